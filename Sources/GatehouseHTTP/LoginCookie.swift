import Crypto
import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Binds the login form's CSRF token to the browser before anyone signs in,
/// without a database row: a random nonce and an expiry, signed with a key
/// derived from `GATEHOUSE_SECRET_KEY`, kept in a short-lived cookie. The
/// form's token is an HMAC of the nonce, so a token copied to another
/// browser (another nonce) or a forged cookie (no valid signature) fails.
/// Cookie-less visits to `/authorize` and `/login` therefore write nothing,
/// and a flood of them cannot fill the sessions table.
struct LoginCookie {
    static let baseName = "gatehouse_login"
    static let lifetime: Duration = .seconds(3600)

    let key: SymmetricKey
    let secure: Bool

    var name: String { secure ? "__Host-" + Self.baseName : Self.baseName }

    /// A new cookie value that expires `lifetime` seconds after `now`.
    func issue(now: Date) -> String {
        let nonce = SecretToken.generate(byteCount: 16)
        let payload = nonce + "." + String(Int(now.timeIntervalSince1970) + Self.lifetime.wholeSeconds)
        return payload + "." + mac(payload)
    }

    /// The nonce of a genuine, unexpired cookie value; nil otherwise.
    func nonce(of value: String, now: Date) -> String? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiry = Int(parts[1]), Double(expiry) > now.timeIntervalSince1970 else { return nil }
        let payload = parts[0] + "." + parts[1]
        guard SecretToken.constantTimeEquals(Array(mac(String(payload)).utf8), Array(parts[2].utf8)) else { return nil }
        return String(parts[0])
    }

    /// The CSRF token the login form carries for a cookie's nonce.
    func csrfToken(nonce: String) -> String {
        mac("login-form:" + nonce)
    }

    func isValidCSRF(_ token: String?, cookieValue: String?, now: Date) -> Bool {
        guard let token, let cookieValue, let nonce = nonce(of: cookieValue, now: now) else { return false }
        return SecretToken.constantTimeEquals(Array(token.utf8), Array(csrfToken(nonce: nonce).utf8))
    }

    func read(_ request: Request) -> String? { BrowserCookie.single(name, in: request) }

    func set(_ value: String) -> (HTTPField.Name, String) {
        BrowserCookie.set(name, value, maxAge: Self.lifetime.wholeSeconds, secure: secure)
    }

    func clear() -> (HTTPField.Name, String) { BrowserCookie.set(name, "", maxAge: 0, secure: secure) }

    private func mac(_ text: String) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }
}

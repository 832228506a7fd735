import GatehouseCore
import HTTPTypes
import Hummingbird

/// The browser-session cookie.
///
/// With an https issuer its name carries the `__Host-` prefix: browsers then
/// accept it only with Secure, Path=/ and no Domain, so a sibling subdomain
/// cannot plant or overwrite it. A request that carries two session cookies
/// (one planted under another path or domain) is treated as signed out.
enum SessionCookie {
    static let baseName = "gatehouse_session"

    static func name(secure: Bool) -> String { secure ? "__Host-" + baseName : baseName }

    /// HttpOnly so scripts cannot read it; SameSite=Lax so it is not sent on
    /// cross-site POSTs; Secure whenever the issuer is https.
    static func set(_ id: String, maxAge: Int, secure: Bool) -> (HTTPField.Name, String) {
        BrowserCookie.set(name(secure: secure), id, maxAge: maxAge, secure: secure)
    }

    static func clear(secure: Bool) -> (HTTPField.Name, String) {
        BrowserCookie.set(name(secure: secure), "", maxAge: 0, secure: secure)
    }

    static func read(_ request: Request, secure: Bool) -> String? {
        guard let value = BrowserCookie.single(name(secure: secure), in: request), value.utf8.count == 43 else { return nil }
        return value
    }
}

/// Cookie attributes and reading shared by the session and sign-in cookies.
enum BrowserCookie {
    static func set(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> (HTTPField.Name, String) {
        (.setCookie, "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : ""))
    }

    /// The cookie's value when the request carries it exactly once; nil when
    /// it is missing or repeated (which of two values is genuine cannot be told).
    static func single(_ name: String, in request: Request) -> String? {
        let values = request.cookies(named: name)
        return values.count == 1 ? values[0] : nil
    }
}

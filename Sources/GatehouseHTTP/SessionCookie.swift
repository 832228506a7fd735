import GatehouseCore
import HTTPTypes
import Hummingbird

/// The browser-session cookie.
enum SessionCookie {
    static let name = "gatehouse_session"

    /// HttpOnly so scripts cannot read it; SameSite=Lax so it is not sent on
    /// cross-site POSTs; Secure whenever the issuer is https.
    static func set(_ id: String, maxAge: Int, secure: Bool) -> (HTTPField.Name, String) {
        (.setCookie, "\(name)=\(id); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax" + (secure ? "; Secure" : ""))
    }

    static func clear(secure: Bool) -> (HTTPField.Name, String) {
        (.setCookie, "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : ""))
    }

    static func read(_ request: Request) -> String? {
        guard let value = request.cookie(name), value.count == 43 else { return nil }
        return value
    }
}

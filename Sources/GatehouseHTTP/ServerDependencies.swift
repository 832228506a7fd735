import Crypto
import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Everything the endpoints use, built once at start and shared. It holds
/// Core's store protocols, never a driver: the composition root
/// (`GatehouseApp`, `ServerDependencies.live`) wires the Postgres stores in.
public struct ServerDependencies: Sendable {
    public let settings: Settings
    public let clock: any WallClock
    public let users: any UserStore
    public let clients: any ClientStore
    public let grants: any GrantStore
    /// Introspection and revocation lookups.
    public let tokens: any TokenStore
    public let sessions: any SessionStore
    public let consents: any ConsentStore
    public let throttle: any LoginThrottle
    /// What `/readyz` asks.
    public let readiness: any ReadinessProbe
    /// The scopes in use (standard and the operator's); reloaded when they change.
    public let scopes: ScopeRegistry
    /// The signing keys in use; reloaded when they change.
    public let keyRing: KeyRing
    /// The current signer (a value: one request keeps the one it took).
    public var signer: IDTokenSigner { keyRing.current }
    public let pages: PageRenderer
    /// Sign-ins, failures and lockouts are recorded here.
    public let audit: any AuditLog
    /// The account page's reads and changes.
    public let accounts: any AccountStore
    /// The signing keys, for the console.
    public let keys: any SigningKeyStore
    /// Seals TOTP secrets.
    public let box: SecretBox
    let csrfKey: SymmetricKey
    /// Signs the pre-sign-in cookie that the login form's CSRF token is bound to.
    let loginCookie: LoginCookie

    /// - Parameter box: the server secret's box; the CSRF and sign-in cookie keys are derived from it.
    public init(settings: Settings, clock: any WallClock, users: any UserStore, clients: any ClientStore,
                grants: any GrantStore, tokens: any TokenStore, sessions: any SessionStore, consents: any ConsentStore,
                throttle: any LoginThrottle, readiness: any ReadinessProbe, keyRing: KeyRing, scopes: ScopeRegistry = ScopeRegistry(),
                pages: PageRenderer, audit: any AuditLog, accounts: any AccountStore, keys: any SigningKeyStore, box: SecretBox) {
        self.settings = settings
        self.clock = clock
        self.users = users
        self.clients = clients
        self.grants = grants
        self.tokens = tokens
        self.sessions = sessions
        self.consents = consents
        self.throttle = throttle
        self.readiness = readiness
        self.keyRing = keyRing
        self.scopes = scopes
        self.pages = pages
        self.audit = audit
        self.accounts = accounts
        self.keys = keys
        self.box = box
        self.csrfKey = box.derivedKey(for: "csrf")
        self.loginCookie = LoginCookie(key: box.derivedKey(for: "login cookie"), secure: settings.issuerIsHTTPS)
    }

    /// The CSRF token bound to a browser session: an HMAC of its id, so it
    /// needs no storage and cannot be computed without the server's secret.
    func csrfToken(for sessionID: String) -> String {
        Base64URL.encode(HMAC<SHA256>.authenticationCode(for: Data(sessionID.utf8), using: csrfKey))
    }

    func isValidCSRF(_ token: String?, sessionID: String) -> Bool {
        guard let token else { return false }
        return SecretToken.constantTimeEquals(Array(token.utf8), Array(csrfToken(for: sessionID).utf8))
    }

    /// The client's address: the TCP peer, or behind trusted proxies the
    /// right-most `X-Forwarded-For` hop that is not one of them.
    func clientAddress(_ request: Request, _ context: GatehouseRequestContext) -> String {
        ClientAddress.resolve(peer: context.clientAddress, forwardedFor: request.headers[values: .xForwardedFor],
                              trustedProxies: settings.trustedProxies)
    }

    /// The session id in the request's session cookie (nil when missing or repeated).
    func sessionID(_ request: Request) -> String? {
        SessionCookie.read(request, secure: settings.issuerIsHTTPS)
    }

    func tokenPolicy() -> TokenPolicy {
        // The signer in use now: a rotation between minting and answering changes nothing for this request.
        let signer = self.signer
        let issuer = settings.issuer
        return TokenPolicy(now: clock.now, accessTokenLifetime: settings.tokenExpire,
                           refreshTokenLifetime: settings.refreshTokenExpire,
                           minter: AccessTokenMinter { try signer.signAccessToken($0, issuer: issuer) })
    }
}

import Crypto
import Foundation
import GatehouseCore
import GatehouseStore
import HTTPTypes
import Hummingbird
import PGClient

/// Everything the endpoints use, built once at start and shared.
public struct ServerDependencies: Sendable {
    public let settings: Settings
    public let clock: any GatehouseCore.Clock
    public let pool: WorkerPool
    public let users: any UserStore
    public let clients: any ClientStore
    public let grants: any GrantStore
    public let sessions: any SessionStore
    public let consents: any ConsentStore
    public let throttle: any LoginThrottle
    public let signer: IDTokenSigner
    public let pages: PageRenderer
    /// The migrations this build ships, for `/readyz`; nil when `sql/` is not found.
    public let migrator: Migrator?
    let csrfKey: SymmetricKey
    /// Signs the pre-sign-in cookie that the login form's CSRF token is bound to.
    let loginCookie: LoginCookie

    /// Wires the Postgres stores, loads (or on first start creates) the
    /// signing key, and loads the templates.
    public static func live(
        settings: Settings, pool: WorkerPool, clock: any GatehouseCore.Clock = SystemClock(),
        passwordHasher: PasswordHasher = PasswordHasher()
    ) async throws -> ServerDependencies {
        guard let secret = settings.secretKey else {
            throw Settings.Invalid(variable: "GATEHOUSE_SECRET_KEY",
                                   reason: "is required to serve: 32 or more random characters (e.g. `openssl rand -base64 48`)")
        }
        let box = try SecretBox(secret: secret)
        let keyStore = PGSigningKeyStore(pool: pool)
        try await keyStore.ensureActiveKey(algorithm: "RS256") { try SigningKeyMaterial.generateRS256(sealingWith: box) }
        let signer = try await IDTokenSigner(storedKeys: try await keyStore.publishedKeys(), box: box)
        return ServerDependencies(
            settings: settings, clock: clock, pool: pool,
            users: PGUserStore(pool: pool, hasher: passwordHasher, clock: clock),
            clients: PGClientStore(pool: pool),
            grants: PGGrantStore(pool: pool),
            sessions: PGSessionStore(pool: pool),
            consents: PGConsentStore(pool: pool),
            throttle: PGLoginThrottle(pool: pool),
            signer: signer,
            pages: try await PageRenderer(overridesDirectory: settings.templatesDirectory, siteName: settings.siteName),
            migrator: try? Migrator(directory: settings.sqlDirectory),
            csrfKey: box.derivedKey(for: "csrf"),
            loginCookie: LoginCookie(key: box.derivedKey(for: "login cookie"), secure: settings.issuerIsHTTPS)
        )
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
        TokenPolicy(now: clock.now, accessTokenLifetime: settings.tokenExpire,
                    refreshTokenLifetime: settings.refreshTokenExpire)
    }
}

import Foundation

/// Lifetimes and the clock's "now" for one token issuance.
public struct TokenPolicy: Sendable {
    public var now: Date
    public var accessTokenLifetime: Int
    public var refreshTokenLifetime: Int

    public init(now: Date, accessTokenLifetime: Int, refreshTokenLifetime: Int) {
        self.now = now
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
    }
}

/// What a grant at `/token` produced. The raw tokens exist only here: the
/// database has their digests.
public struct IssuedTokens: Sendable {
    public let accessToken: String
    public let refreshToken: String?
    public let expiresIn: Int
    public let scopes: Scopes
    /// The user's `sub`, nil for client_credentials.
    public let subject: UUID?
    public let authTime: Date?
    public let nonce: String?

    public init(accessToken: String, refreshToken: String?, expiresIn: Int, scopes: Scopes,
                subject: UUID?, authTime: Date?, nonce: String?) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.scopes = scopes
        self.subject = subject
        self.authTime = authTime
        self.nonce = nonce
    }
}

/// A code redemption at `/token` (RFC 6749 §4.1.3, RFC 7636 §4.5).
public struct CodeRedemption: Sendable {
    public let code: String
    public let redirectURI: String?
    public let codeVerifier: String?

    public init(code: String, redirectURI: String?, codeVerifier: String?) {
        self.code = code
        self.redirectURI = redirectURI
        self.codeVerifier = codeVerifier
    }
}

/// Grants, codes and tokens. Each method is one short transaction; protocol
/// failures are thrown as `OAuthError`.
public protocol GrantStore: Sendable {
    /// Records a grant and a single-use code for it; returns the code.
    func issueCode(for request: AuthorizationRequest, client: Client, userID: Int64, authTime: Date,
                   now: Date, lifetime: Int) async throws -> String
    // The token grants authenticate their client in the same transaction as
    // the grant itself: one database round trip per token request.

    /// Redeems a code once. A second redemption revokes the grant and every token issued from it.
    func redeem(_ redemption: CodeRedemption, client: ClientAuthentication, policy: TokenPolicy) async throws -> (Client, IssuedTokens)
    /// Rotates a refresh token. Presenting a rotated one revokes the grant.
    func refresh(_ refreshToken: String, client: ClientAuthentication, scopes: Scopes?, policy: TokenPolicy) async throws -> (Client, IssuedTokens)
    /// An access token for the client itself, with no user and no refresh token;
    /// `scopes` picks the token's scopes once the client is known.
    func issueClientCredentials(client: ClientAuthentication, scopes: @escaping @Sendable (Client) throws -> Scopes,
                                policy: TokenPolicy) async throws -> (Client, IssuedTokens)
    /// The user and granted scopes of a live access token, or nil.
    func owner(ofAccessToken token: String, now: Date) async throws -> (user: User, scopes: Scopes)?
}

/// A signed-in (or not yet signed-in) browser.
public struct BrowserSession: Sendable {
    /// The cookie value; the database keeps only its digest.
    public let id: String
    public let user: User?
    public let authTime: Date?

    public init(id: String, user: User?, authTime: Date?) {
        self.id = id
        self.user = user
        self.authTime = authTime
    }
}

public protocol SessionStore: Sendable {
    func create(userID: Int64?, authTime: Date?, now: Date, lifetime: Int) async throws -> BrowserSession
    func find(id: String, now: Date) async throws -> BrowserSession?
    func delete(id: String) async throws
}

public protocol ConsentStore: Sendable {
    /// The scopes of the user's unexpired consent to the client, if any.
    func scopes(userID: Int64, clientID: Int64, now: Date) async throws -> Scopes?
    func save(userID: Int64, clientID: Int64, scopes: Scopes, now: Date, lifetimeDays: Int) async throws
}

/// A stored signing key as the server loads it.
public struct StoredSigningKey: Sendable {
    public let kid: String
    public let algorithm: String
    public let state: String
    public let sealedPrivateKey: [UInt8]
    public let publicJWK: [String: String]

    public init(kid: String, algorithm: String, state: String, sealedPrivateKey: [UInt8], publicJWK: [String: String]) {
        self.kid = kid
        self.algorithm = algorithm
        self.state = state
        self.sealedPrivateKey = sealedPrivateKey
        self.publicJWK = publicJWK
    }
}

public protocol SigningKeyStore: Sendable {
    /// Every key that is published: active, next and retired.
    func publishedKeys() async throws -> [StoredSigningKey]
    /// Makes `material` the active key of its algorithm; the previous one is
    /// retired. `check` sees the current active keys first; throwing changes nothing.
    func activate(_ material: SigningKeyMaterial, check: @escaping @Sendable ([StoredSigningKey]) throws -> Void) async throws
}

/// Counts failed sign-ins per account and per client address across replicas.
public protocol LoginThrottle: Sendable {
    /// Seconds until any of `keys` may try again, or nil when none is throttled.
    func retryAfter(keys: [String], now: Date) async throws -> Int?
    /// Counts a failure against the account (a growing delay, `LoginDelay`)
    /// and the address (a windowed counter, `AddressThrottle`).
    func recordFailure(accountKey: String, addressKey: String, now: Date, delay: LoginDelay,
                       address: AddressThrottle) async throws
    func reset(key: String) async throws
}

/// The keys failed sign-ins are counted under.
public enum LoginThrottleKey {
    /// Per account, as the user would type it: NFKC and lower case.
    public static func account(_ username: String) -> String {
        "user:" + Username.normalized(username).lowercased()
    }

    public static func address(_ address: String) -> String { "addr:" + address }
}

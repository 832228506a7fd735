import Foundation

/// Lifetimes and the clock's "now" for one token issuance.
public struct TokenPolicy: Sendable {
    public var now: Date
    public var accessTokenLifetime: Duration
    public var refreshTokenLifetime: Duration

    public init(now: Date, accessTokenLifetime: Duration, refreshTokenLifetime: Duration) {
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

/// What the authorization endpoint hands out in the front channel
/// (the ID token is signed from it afterwards).
public struct FrontChannelTokens: Sendable {
    public let code: String?
    public let accessToken: String?
    public let expiresIn: Int?

    public init(code: String?, accessToken: String?, expiresIn: Int?) {
        self.code = code
        self.accessToken = accessToken
        self.expiresIn = expiresIn
    }
}

/// Grants, codes and tokens. Each method is one short transaction; protocol
/// failures are thrown as `OAuthError`.
public protocol GrantStore: Sendable {
    /// Records a grant with what `request.responseType` asks for: a
    /// single-use code and/or an access token (never a refresh token: the
    /// front channel gets none). Like every token, they belong to the grant,
    /// so revocation and the sweep see them.
    func authorize(_ request: AuthorizationRequest, client: Client, userID: Int64, authTime: Date,
                   now: Date, codeLifetime: Duration, accessTokenLifetime: Duration) async throws -> FrontChannelTokens
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

extension GrantStore {
    /// Records a grant and a single-use code for it (whatever the request's
    /// response type); returns the code.
    public func issueCode(for request: AuthorizationRequest, client: Client, userID: Int64, authTime: Date,
                          now: Date, lifetime: Duration) async throws -> String {
        var codeOnly = request
        codeOnly.responseType = .code
        return try await authorize(codeOnly, client: client, userID: userID, authTime: authTime, now: now,
                                   codeLifetime: lifetime, accessTokenLifetime: lifetime).code!
    }
}

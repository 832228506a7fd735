import Foundation

/// Lifetimes and the clock's "now" for one token issuance.
public struct TokenPolicy: Sendable {
    public var now: Date
    public var accessTokenLifetime: Duration
    public var refreshTokenLifetime: Duration
    /// Makes the access-token strings (opaque, or JWTs for JWT clients).
    public var minter: AccessTokenMinter

    public init(now: Date, accessTokenLifetime: Duration, refreshTokenLifetime: Duration,
                minter: AccessTokenMinter = .opaqueOnly) {
        self.now = now
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.minter = minter
    }

    /// The access token for `client` (and the user `subject`) with `scopes`, issued now.
    public func accessToken(for client: Client, subject: String?, scopes: Scopes) throws -> String {
        try minter(AccessTokenRequest(client: client, subject: subject, scopes: scopes, issuedAt: now,
                                      expiresAt: now.addingTimeInterval(accessTokenLifetime.timeInterval)))
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
    public let subject: String?
    public let authTime: Date?
    public let nonce: String?

    public init(accessToken: String, refreshToken: String?, expiresIn: Int, scopes: Scopes,
                subject: String?, authTime: Date?, nonce: String?) {
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
    func authorize(_ request: AuthorizationRequest, client: Client, user: User, authTime: Date,
                   codeLifetime: Duration, policy: TokenPolicy) async throws -> FrontChannelTokens
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

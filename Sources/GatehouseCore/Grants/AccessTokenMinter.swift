import Foundation

/// How a client's access tokens look (`client create --access-token-format`).
public enum AccessTokenFormat: String, Sendable, CaseIterable {
    /// A random 256-bit string: a reference to its row, meaningless elsewhere.
    case opaque
    /// An RFC 9068 JWT signed with the active key, verifiable offline from
    /// `/jwks`; still recorded by its digest like an opaque one.
    case jwt
}

/// What an access token is minted for.
public struct AccessTokenRequest: Sendable {
    public let client: Client
    /// The user's `sub`; nil for client_credentials.
    public let subject: String?
    public let scopes: Scopes
    public let issuedAt: Date
    public let expiresAt: Date

    public init(client: Client, subject: String?, scopes: Scopes, issuedAt: Date, expiresAt: Date) {
        self.client = client
        self.subject = subject
        self.scopes = scopes
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
    }

    /// RFC 9068 §2.2: the claims of a JWT access token. For client_credentials
    /// the subject is the client itself.
    public func jwtClaims(issuer: String, jti: String) -> [String: ClaimValue] {
        [
            "iss": .string(issuer),
            "exp": .number(Int(expiresAt.timeIntervalSince1970)),
            "iat": .number(Int(issuedAt.timeIntervalSince1970)),
            "aud": .string(client.clientID),
            "sub": .string(subject ?? client.clientID),
            "client_id": .string(client.clientID),
            "scope": .string(scopes.description),
            "jti": .string(jti),
        ]
    }
}

/// Makes the access-token strings the stores record (by digest). The HTTP
/// layer supplies the JWT signer; the default makes opaque tokens only.
public struct AccessTokenMinter: Sendable {
    let mint: @Sendable (AccessTokenRequest) throws -> String

    public init(_ mint: @escaping @Sendable (AccessTokenRequest) throws -> String) {
        self.mint = mint
    }

    public func callAsFunction(_ request: AccessTokenRequest) throws -> String {
        request.client.accessTokenFormat == .opaque ? SecretToken.generate() : try mint(request)
    }

    /// Opaque tokens for every client (a JWT client's tokens would need a signer).
    public static let opaqueOnly = AccessTokenMinter { _ in SecretToken.generate() }
}

import Foundation

/// Which kind of token a presented string turned out to be (RFC 7009 §2.1,
/// RFC 7662 §2.1 `token_type_hint`).
public enum TokenKind: String, Sendable, Equatable {
    case accessToken = "access_token"
    case refreshToken = "refresh_token"
}

/// A token as the store found it by its digest, for introspection and revocation.
public struct StoredToken: Sendable, Equatable {
    public var kind: TokenKind
    /// The grant it belongs to.
    public var grantID: Int64
    /// The client it was issued to: its row id and its `client_id`.
    public var clientRowID: Int64
    public var clientID: String
    public var scopes: Scopes
    public var issuedAt: Date
    public var expiresAt: Date
    /// The grant was revoked (replay, reuse, revocation, password change…).
    public var grantRevoked: Bool
    /// A refresh token that was already exchanged for a new one.
    public var rotated: Bool
    /// The user's `sub` and username; nil for client_credentials.
    public var subject: String?
    public var username: String?
    public var userIsActive: Bool

    public init(kind: TokenKind, grantID: Int64, clientRowID: Int64, clientID: String, scopes: Scopes, issuedAt: Date,
                expiresAt: Date, grantRevoked: Bool, rotated: Bool, subject: String?, username: String?, userIsActive: Bool) {
        self.kind = kind
        self.grantID = grantID
        self.clientRowID = clientRowID
        self.clientID = clientID
        self.scopes = scopes
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.grantRevoked = grantRevoked
        self.rotated = rotated
        self.subject = subject
        self.username = username
        self.userIsActive = userIsActive
    }

    /// Whether it would be accepted now: not expired, not rotated, its grant
    /// not revoked, its user (if any) not disabled.
    public func isLive(now: Date) -> Bool {
        expiresAt > now && !grantRevoked && !rotated && userIsActive
    }
}

/// `/introspect` (RFC 7662): what the caller may learn about a token.
public enum TokenIntrospection {
    /// The answer's members; `{"active": false}` alone when the token is not
    /// active or not the caller's to see (§2.2: nothing more is said).
    public static func answer(_ token: StoredToken?, caller: Client, issuer: String, now: Date) -> [String: ClaimValue] {
        guard let token, token.isLive(now: now), mayIntrospect(token, caller: caller) else {
            return ["active": .bool(false)]
        }
        var members: [String: ClaimValue] = [
            "active": .bool(true),
            "scope": .string(token.scopes.description),
            "client_id": .string(token.clientID),
            "token_type": .string(token.kind == .accessToken ? "Bearer" : "refresh_token"),
            "exp": .number(Int(token.expiresAt.timeIntervalSince1970)),
            "iat": .number(Int(token.issuedAt.timeIntervalSince1970)),
            "iss": .string(issuer),
            // The token was issued to this client: it is the audience.
            "aud": .string(token.clientID),
        ]
        members["sub"] = token.subject.map(ClaimValue.string)
        members["username"] = token.username.map(ClaimValue.string)
        return members
    }

    /// A client may introspect the tokens issued to itself; a resource
    /// server may introspect any (RFC 7662 §2.1, §4: "determine whether the
    /// caller is allowed").
    public static func mayIntrospect(_ token: StoredToken, caller: Client) -> Bool {
        caller.isResourceServer || caller.id == token.clientRowID
    }
}

/// `/revoke` (RFC 7009): what revoking a token does.
public enum TokenRevocation {
    public enum Decision: Sendable, Equatable {
        /// Unknown or already invalid: 200 and nothing to do (§2.2).
        case nothing
        /// A refresh token: the whole grant, every access and refresh token of it (§2.1: "SHOULD").
        case revokeGrant(Int64)
        /// An access token: that token alone.
        case revokeAccessToken
        /// Issued to another client: refused (§2.1), nothing revoked.
        case refuse(OAuthError)
    }

    public static func decide(_ token: StoredToken?, caller: Client, now: Date) -> Decision {
        guard let token else { return .nothing }
        guard token.clientRowID == caller.id else {
            return .refuse(.unauthorizedClient("the token was not issued to this client"))
        }
        switch token.kind {
        case .refreshToken:
            // Even one already exchanged: the client asks to end the grant,
            // and the newer refresh token of it must die too.
            return token.grantRevoked ? .nothing : .revokeGrant(token.grantID)
        case .accessToken:
            return token.isLive(now: now) ? .revokeAccessToken : .nothing
        }
    }
}

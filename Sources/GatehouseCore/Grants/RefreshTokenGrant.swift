import Foundation

/// The refresh token grant at `/token` (RFC 6749 §6, RFC 9700 §4.14.2).
public enum RefreshTokenGrant {
    /// The refresh token's row as the store loaded it (under lock), with its grant and user.
    public struct StoredRefreshToken: Sendable {
        /// The database id of the client the token was issued to.
        public var clientID: Int64
        /// The scope originally granted; a refresh may narrow it, never widen it.
        public var scopes: Scopes
        public var expiresAt: Date
        public var rotated: Bool
        public var grantRevoked: Bool
        public var subject: String
        public var userIsActive: Bool
        public var authTime: Date?

        public init(clientID: Int64, scopes: Scopes, expiresAt: Date, rotated: Bool, grantRevoked: Bool,
                    subject: String, userIsActive: Bool, authTime: Date?) {
            self.clientID = clientID
            self.scopes = scopes
            self.expiresAt = expiresAt
            self.rotated = rotated
            self.grantRevoked = grantRevoked
            self.subject = subject
            self.userIsActive = userIsActive
            self.authTime = authTime
        }
    }

    /// - Parameters:
    ///   - token: the stored token, nil when no refresh token has the presented digest.
    ///   - requested: the `scope` parameter, nil when absent.
    public static func decide(_ token: StoredRefreshToken?, client: Client, requested: Scopes?, now: Date) -> GrantDecision {
        guard let token else { return .refuse(.invalidGrant("the refresh token is invalid")) }
        // RFC 6749 §6: "validate the refresh token and ensure that it was issued to the authenticated client".
        guard token.clientID == client.id else {
            return .refuse(.invalidGrant("the refresh token was issued to another client"))
        }
        guard !token.grantRevoked else { return .refuse(.invalidGrant("the refresh token has been revoked")) }
        // RFC 9700 §4.14.2: "If a refresh token is compromised and subsequently used by both the
        // attacker and the legitimate client, one of them will present an invalidated refresh
        // token, which will inform the authorization server of the breach" — revoke the grant.
        if token.rotated {
            return .revokeAndRefuse(.invalidGrant("the refresh token was already used; the grant is revoked"))
        }
        guard token.expiresAt > now else { return .refuse(.invalidGrant("the refresh token has expired")) }
        guard token.userIsActive else { return .refuse(.invalidGrant("the user is disabled")) }
        let scopes: Scopes
        do {
            scopes = try token.scopes.narrowed(to: requested)
        } catch {
            return .refuse(error)
        }
        // RFC 6749 §6: the new refresh token keeps the original scope.
        return .issue(TokenIssue(scopes: scopes, refreshScopes: token.scopes, subject: token.subject,
                                 authTime: token.authTime, nonce: nil))
    }
}

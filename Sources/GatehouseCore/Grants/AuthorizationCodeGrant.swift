import Foundation

/// The authorization code grant at `/token` (RFC 6749 §4.1.3, RFC 7636 §4.6).
public enum AuthorizationCodeGrant {
    /// The code's row as the store loaded it (under lock), with its grant and user.
    public struct StoredCode: Sendable {
        /// The database id of the client the code was issued to.
        public var clientID: Int64
        public var redirectURI: String
        public var scopes: Scopes
        public var nonce: String?
        public var codeChallenge: String?
        public var codeChallengeMethod: PKCE.Method?
        public var expiresAt: Date
        public var redeemed: Bool
        public var grantRevoked: Bool
        public var subject: String
        public var userIsActive: Bool
        public var authTime: Date?

        public init(clientID: Int64, redirectURI: String, scopes: Scopes, nonce: String?, codeChallenge: String?,
                    codeChallengeMethod: PKCE.Method?, expiresAt: Date, redeemed: Bool, grantRevoked: Bool,
                    subject: String, userIsActive: Bool, authTime: Date?) {
            self.clientID = clientID
            self.redirectURI = redirectURI
            self.scopes = scopes
            self.nonce = nonce
            self.codeChallenge = codeChallenge
            self.codeChallengeMethod = codeChallengeMethod
            self.expiresAt = expiresAt
            self.redeemed = redeemed
            self.grantRevoked = grantRevoked
            self.subject = subject
            self.userIsActive = userIsActive
            self.authTime = authTime
        }
    }

    /// - Parameters:
    ///   - code: the stored code, nil when no code has the presented digest.
    ///   - client: the authenticated client.
    public static func decide(_ code: StoredCode?, client: Client, redemption: CodeRedemption, now: Date) -> GrantDecision {
        guard let code else { return .refuse(.invalidGrant("the authorization code is invalid")) }
        // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client".
        guard code.clientID == client.id else {
            return .refuse(.invalidGrant("the authorization code was issued to another client"))
        }
        // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization
        // server MUST deny the request and SHOULD revoke (when possible) all tokens previously
        // issued based on that authorization code."
        if code.redeemed || code.grantRevoked {
            return .revokeAndRefuse(.invalidGrant("the authorization code was already used"))
        }
        guard code.expiresAt > now else { return .refuse(.invalidGrant("the authorization code has expired")) }
        // A user disabled after the code was issued gets no tokens, as with refresh.
        guard code.userIsActive else { return .refuse(.invalidGrant("the user is disabled")) }
        // RFC 6749 §4.1.3: redirect_uri must be "identical" to the one in the authorization request.
        guard redemption.redirectURI == code.redirectURI else {
            return .refuse(.invalidGrant("redirect_uri does not match the authorization request"))
        }
        do {
            try PKCE.checkRedemption(challenge: code.codeChallenge, method: code.codeChallengeMethod,
                                     verifier: redemption.codeVerifier)
            try PKCE.requireForPublicClient(client, hasChallenge: code.codeChallenge != nil, error: OAuthError.invalidGrant)
        } catch {
            return .refuse(error)
        }
        let refreshScopes = client.grantTypes.contains(.refreshToken) ? code.scopes : nil
        return .issue(TokenIssue(scopes: code.scopes, refreshScopes: refreshScopes, subject: code.subject,
                                 authTime: code.authTime, nonce: code.nonce))
    }
}

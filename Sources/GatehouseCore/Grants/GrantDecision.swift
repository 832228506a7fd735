import Foundation

/// What a token grant's rules decided, for the store to carry out in the
/// transaction that loaded the rows.
public enum GrantDecision: Sendable, Equatable {
    /// Issue an access token (and a refresh token when `refreshScopes` is set).
    case issue(TokenIssue)
    /// Refuse with this error; nothing changes.
    case refuse(OAuthError)
    /// Revoke the whole grant (every token issued from it), commit, then refuse.
    case revokeAndRefuse(OAuthError)
}

/// The tokens a grant decision issues.
public struct TokenIssue: Sendable, Equatable {
    public let scopes: Scopes
    /// nil: no refresh token.
    public let refreshScopes: Scopes?
    /// The user's `sub`, nil for client_credentials.
    public let subject: String?
    public let authTime: Date?
    public let nonce: String?

    public init(scopes: Scopes, refreshScopes: Scopes?, subject: String?, authTime: Date?, nonce: String?) {
        self.scopes = scopes
        self.refreshScopes = refreshScopes
        self.subject = subject
        self.authTime = authTime
        self.nonce = nonce
    }
}

/// Which grant types a client may use at `/token` (RFC 6749 §5.2 `unauthorized_client`).
public enum GrantTypePolicy {
    public static func check(_ grantType: GrantType, for client: Client) throws(OAuthError) {
        guard client.grantTypes.contains(grantType) else {
            throw .unauthorizedClient("this client may not use \(grantType.rawValue)")
        }
        // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
        if grantType == .clientCredentials && client.kind != .confidential {
            throw .unauthorizedClient("public clients cannot use client_credentials")
        }
    }
}

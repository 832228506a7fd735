import Foundation
import GatehouseCore

/// Clients and stored rows for the grant rules' tests.
enum GrantFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let subject = "6f1c1d1e-0000-4000-8000-000000000001"

    static func client(id: Int64 = 7, kind: Client.Kind = .confidential,
                       grantTypes: [GrantType] = [.authorizationCode, .refreshToken],
                       scopes: [String] = ["openid", "email", "api:read"]) -> Client {
        Client(id: id, clientID: "client-\(id)", name: "RP", kind: kind, redirectURIs: ["https://rp.example/cb"],
               postLogoutRedirectURIs: [], responseTypes: [.code], grantTypes: grantTypes, scopes: scopes,
               requireConsent: true, reuseConsent: true, tokenEndpointAuthMethod: kind == .public ? "none" : nil,
               createdAt: now)
    }

    static func code(clientID: Int64 = 7, challenge: String? = nil, method: PKCE.Method? = nil) -> AuthorizationCodeGrant.StoredCode {
        AuthorizationCodeGrant.StoredCode(
            clientID: clientID, redirectURI: "https://rp.example/cb", scopes: Scopes(["openid", "email"]), nonce: "n-1",
            codeChallenge: challenge, codeChallengeMethod: method, expiresAt: now.addingTimeInterval(60), redeemed: false,
            grantRevoked: false, subject: subject, userIsActive: true, authTime: now.addingTimeInterval(-30))
    }

    static func refreshToken(clientID: Int64 = 7) -> RefreshTokenGrant.StoredRefreshToken {
        RefreshTokenGrant.StoredRefreshToken(
            clientID: clientID, scopes: Scopes(["openid", "email"]), expiresAt: now.addingTimeInterval(3600), rotated: false,
            grantRevoked: false, subject: subject, userIsActive: true, authTime: now.addingTimeInterval(-30))
    }
}

extension GrantDecision {
    /// The error code of a refusal or a revocation; nil when tokens are issued.
    var errorCode: String? {
        switch self {
        case .issue: nil
        case .refuse(let error), .revokeAndRefuse(let error): error.code
        }
    }

    var revokes: Bool {
        if case .revokeAndRefuse = self { return true }
        return false
    }

    var issued: TokenIssue? {
        if case .issue(let issue) = self { return issue }
        return nil
    }
}

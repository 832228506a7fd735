import Foundation
import GatehouseCore
import Testing

@Suite("Client credentials grant and grant-type rules (RFC 6749 §4.4, §5.2)")
struct ClientCredentialsGrantTests {
    typealias F = GrantFixtures

    @Test("client_credentials grants the client's non-user scopes, or the requested ones when all are allowed")
    func scopes() throws {
        let client = F.client(grantTypes: [.clientCredentials])
        #expect(try ClientCredentialsGrant.scopes(requested: nil, client: client) == Scopes(["api:read"]))
        #expect(try ClientCredentialsGrant.scopes(requested: Scopes(["api:read"]), client: client) == Scopes(["api:read"]))
        #expect(throws: OAuthError.self) { try ClientCredentialsGrant.scopes(requested: Scopes(["openid"]), client: client) }
        #expect(throws: OAuthError.self) { try ClientCredentialsGrant.scopes(requested: Scopes(["api:write"]), client: client) }
    }

    @Test("a client may use only its registered grant types, and a public client never client_credentials")
    func grantTypes() throws {
        try GrantTypePolicy.check(.authorizationCode, for: F.client())
        #expect(throws: OAuthError.unauthorizedClient("this client may not use client_credentials")) {
            try GrantTypePolicy.check(.clientCredentials, for: F.client())
        }
        #expect(throws: OAuthError.self) {
            try GrantTypePolicy.check(.clientCredentials, for: F.client(kind: .public, grantTypes: [.clientCredentials]))
        }
    }
}

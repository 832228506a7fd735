import Foundation
import GatehouseCore
import Testing

@Suite("Refresh token grant rules (RFC 6749 §6, RFC 9700 §4.14.2)")
struct RefreshTokenGrantTests {
    typealias F = GrantFixtures

    func decide(_ token: RefreshTokenGrant.StoredRefreshToken?, client: Client = F.client(), requested: Scopes? = nil,
                now: Date = F.now) -> GrantDecision {
        RefreshTokenGrant.decide(token, client: client, requested: requested, now: now)
    }

    @Test("a valid refresh token issues the granted scope and a new refresh token with the original scope")
    func issues() throws {
        let issue = try #require(decide(F.refreshToken()).issued)
        #expect(issue.scopes == Scopes(["openid", "email"]))
        #expect(issue.refreshScopes == Scopes(["openid", "email"]))
        #expect(issue.nonce == nil)
    }

    @Test("a refresh may narrow the scope, and the new refresh token keeps the original; widening is invalid_scope")
    func scopeNarrowing() throws {
        let narrowed = try #require(decide(F.refreshToken(), requested: Scopes(["openid"])).issued)
        #expect(narrowed.scopes == Scopes(["openid"]))
        #expect(narrowed.refreshScopes == Scopes(["openid", "email"]))
        #expect(decide(F.refreshToken(), requested: Scopes(["openid", "api:read"])).errorCode == "invalid_scope")
    }

    @Test("a rotated refresh token presented again revokes the whole grant")
    func reuseRevokes() {
        var token = F.refreshToken()
        token.rotated = true
        #expect(decide(token).revokes)
    }

    @Test("an unknown, foreign, revoked, expired or disabled user's refresh token is refused without revoking")
    func refusals() {
        var revoked = F.refreshToken()
        revoked.grantRevoked = true
        var disabled = F.refreshToken()
        disabled.userIsActive = false
        for decision in [decide(nil), decide(F.refreshToken(clientID: 99)), decide(revoked), decide(disabled),
                         decide(F.refreshToken(), now: F.now.addingTimeInterval(3601))] {
            #expect(decision.errorCode == "invalid_grant")
            #expect(!decision.revokes)
        }
    }
}

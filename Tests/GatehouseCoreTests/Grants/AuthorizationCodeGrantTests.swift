import Foundation
import GatehouseCore
import Testing

@Suite("Authorization code grant rules (RFC 6749 §4.1.3, RFC 7636)")
struct AuthorizationCodeGrantTests {
    typealias F = GrantFixtures
    static let redemption = CodeRedemption(code: "c", redirectURI: "https://rp.example/cb", codeVerifier: nil)

    func decide(_ code: AuthorizationCodeGrant.StoredCode?, client: Client = F.client(),
                redemption: CodeRedemption = redemption, now: Date = F.now) -> GrantDecision {
        AuthorizationCodeGrant.decide(code, client: client, redemption: redemption, now: now)
    }

    @Test("a valid code issues the code's scopes, a refresh token for refresh-capable clients, and carries nonce and auth_time")
    func issues() throws {
        let issue = try #require(decide(F.code()).issued)
        #expect(issue.scopes == Scopes(["openid", "email"]))
        #expect(issue.refreshScopes == issue.scopes)
        #expect(issue.subject == F.subject)
        #expect(issue.nonce == "n-1")
        let noRefresh = try #require(decide(F.code(), client: F.client(grantTypes: [.authorizationCode])).issued)
        #expect(noRefresh.refreshScopes == nil)
    }

    @Test("an unknown code is invalid_grant")
    func unknown() { #expect(decide(nil).errorCode == "invalid_grant") }

    @Test("a code is bound to the client it was issued to")
    func clientBinding() {
        let decision = decide(F.code(clientID: 99))
        #expect(decision.errorCode == "invalid_grant")
        #expect(!decision.revokes)
    }

    @Test("a code can be redeemed once: a second redemption, or one of a revoked grant, revokes the grant")
    func reuseRevokes() {
        var code = F.code()
        code.redeemed = true
        #expect(decide(code).revokes)
        code.redeemed = false
        code.grantRevoked = true
        #expect(decide(code).revokes)
    }

    @Test("an expired code is refused, not revoked")
    func expiry() {
        let decision = decide(F.code(), now: F.now.addingTimeInterval(61))
        #expect(decision.errorCode == "invalid_grant")
        #expect(!decision.revokes)
    }

    @Test("a disabled user gets no tokens")
    func disabledUser() {
        var code = F.code()
        code.userIsActive = false
        #expect(decide(code).errorCode == "invalid_grant")
    }

    @Test("redirect_uri must be identical to the authorization request's")
    func redirectURI() {
        let other = CodeRedemption(code: "c", redirectURI: "https://rp.example/cb/", codeVerifier: nil)
        #expect(decide(F.code(), redemption: other).errorCode == "invalid_grant")
        let missing = CodeRedemption(code: "c", redirectURI: nil, codeVerifier: nil)
        #expect(decide(F.code(), redemption: missing).errorCode == "invalid_grant")
    }

    @Test("PKCE: the verifier must match the challenge; a verifier without a challenge and a challenge without a verifier are refused")
    func pkce() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let challenged = F.code(challenge: PKCE.s256Challenge(for: verifier), method: .s256)
        let good = CodeRedemption(code: "c", redirectURI: "https://rp.example/cb", codeVerifier: verifier)
        let bad = CodeRedemption(code: "c", redirectURI: "https://rp.example/cb", codeVerifier: String(verifier.reversed()))
        #expect(decide(challenged, redemption: good).issued != nil)
        #expect(decide(challenged, redemption: bad).errorCode == "invalid_grant")
        #expect(decide(challenged).errorCode == "invalid_grant")
        #expect(decide(F.code(), redemption: good).errorCode == "invalid_grant")
    }

    @Test("a public client's code must have been issued with PKCE (the same rule as at /authorize)")
    func publicClientNeedsPKCE() {
        let publicClient = F.client(kind: .public)
        if case .refuse(let error) = decide(F.code(), client: publicClient) {
            #expect(error.errorDescription.contains("public clients must use PKCE"))
        } else {
            Issue.record("a public client's code without PKCE was not refused")
        }
    }
}

import Foundation
import GatehouseCore
import Testing

@Suite("What gatehouse selftest reads from a provider's pages and checks in its ID tokens")
struct RelyingPartyRuleTests {
    @Test("forms: action, method, fields (escaped values unescaped), submit buttons; unchecked boxes, disabled fields and scripts left out")
    func forms() {
        let html = """
            <!doctype html><script>var s = "<form action='/evil'>";</script>
            <!-- <form action="/commented"> -->
            <form method="POST" action="/openid/login?x=1&amp;y=2">
              <input type=hidden name="csrf_token" value="a&quot;b&#39;c&#x26;">
              <input type="text" name="username" value="">
              <input type="password" name="password">
              <input type="checkbox" name="remember">
              <input type="text" name="gone" disabled>
              <button type="submit">Sign in</button>
            </form>
            <form action='/consent'><input name=request value=abc>
              <button name="allow" value="allow">Allow</button><input type="submit" name="deny" value="Deny"></form>
            """
        let forms = HTMLForm.all(in: html)
        #expect(forms.count == 2)
        #expect(forms[0].action == "/openid/login?x=1&y=2" && forms[0].method == "post" && forms[0].hasPassword)
        #expect(forms[0].fields.map(\.name) == ["csrf_token", "username", "password"])
        #expect(forms[0].fields[0].value == "a\"b'c&")
        #expect(forms[0].buttons.isEmpty)  // an unnamed button sends nothing
        #expect(forms[1].method == "get" && !forms[1].hasPassword)
        #expect(forms[1].fields.map(\.value) == ["abc"])
        #expect(forms[1].buttons.map(\.name) == ["allow", "deny"])
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(alg: String = "RS256", aud: [String] = ["rp"], azp: String? = nil, nonce: String? = "n",
                       atHash: String? = nil, exp: TimeInterval = 300, iss: String = "https://id.example/openid") -> IDTokenExpectations.Claims {
        .init(alg: alg, iss: iss, sub: "42", aud: aud, azp: azp, exp: now.addingTimeInterval(exp),
              iat: now.addingTimeInterval(-1), nonce: nonce, atHash: atHash)
    }

    @Test("ID tokens: iss, aud, azp, exp, nonce and at_hash checked; each broken rule named")
    func idTokens() {
        let expect = IDTokenExpectations(issuer: "https://id.example/openid", clientID: "rp", nonce: "n", accessToken: "at", now: Self.now)
        #expect(expect.problems(Self.claims(atHash: SigningAlgorithm.rs256.halfHash("at"))).isEmpty)
        #expect(expect.problems(Self.claims(alg: "EdDSA", atHash: SigningAlgorithm.edDSA.halfHash("at"))).isEmpty)
        #expect(expect.problems(Self.claims(atHash: nil)).isEmpty)  // at_hash is optional in the code flow
        #expect(expect.problems(Self.claims(iss: "https://id.example")).first?.hasPrefix("iss is") == true)
        #expect(expect.problems(Self.claims(aud: ["other"])).first?.contains("aud") == true)
        #expect(expect.problems(Self.claims(aud: ["rp", "api"])).first?.contains("azp") == true)
        #expect(expect.problems(Self.claims(aud: ["rp", "api"], azp: "rp")).isEmpty)
        #expect(expect.problems(Self.claims(nonce: "other")).first?.contains("nonce") == true)
        #expect(expect.problems(Self.claims(atHash: "AAAA")).first?.contains("at_hash") == true)
        #expect(expect.problems(Self.claims(exp: -600)).first?.contains("exp") == true)
    }
}

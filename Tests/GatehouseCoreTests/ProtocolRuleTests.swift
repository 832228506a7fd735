import Foundation
import GatehouseCore
import Testing

@Suite("Protocol rules without a database")
struct ProtocolRuleTests {
    @Test("PKCE S256 matches RFC 7636 appendix B")
    func pkceVector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        #expect(PKCE.s256Challenge(for: verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.verify(verifier: verifier, challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", method: .s256))
        #expect(!PKCE.verify(verifier: verifier, challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cX", method: .s256))
        #expect(!PKCE.isValidVerifier("short"))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 129)))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 42) + "+"))
    }

    @Test("at_hash is the base64url left half of SHA-256 of the access token (OIDC Core §3.1.3.6)")
    func atHash() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a3…, FIPS 180-2; its first 16 bytes in base64url:
        #expect(IDTokenClaims.accessTokenHash("abc") == "ungWv48Bz-pBQUDeXa4iIw")
    }

    @Test("form parameters decode + and percent-escapes, remember repeats, and refuse malformed input")
    func formParameters() throws {
        let p = try #require(FormParameters(encoded: "scope=openid+email&redirect_uri=http%3A%2F%2Fexample.org%2F&state=%C3%A9&x="))
        #expect(p["scope"] == "openid email")
        #expect(p["redirect_uri"] == "http://example.org/")
        #expect(p["state"] == "é")
        #expect(p.value("x") == nil)
        #expect(FormParameters(encoded: "a=%zz") == nil)
        #expect(FormParameters(encoded: "a=%FF%FE") == nil)  // not UTF-8
        let repeated = try #require(FormParameters(encoded: "a=1&a=2"))
        #expect(throws: OAuthError.self) { try repeated.rejectRepeats() }
        #expect(FormParameters.escape("a b/&=é") == "a%20b%2F%26%3D%C3%A9")
    }

    @Test("Basic client credentials are form-decoded (RFC 6749 §2.3.1); mixing methods is refused")
    func basicCredentials() throws {
        let header = "Basic " + Data("my%20client:s%3Acret%2B".utf8).base64EncodedString()
        let c = try ClientCredentials.from(authorization: header, body: FormParameters())
        #expect(c == ClientCredentials(clientID: "my client", secret: "s:cret+", method: .basic))
        #expect(throws: OAuthError.self) {
            try ClientCredentials.from(authorization: header, body: FormParameters([("client_secret", "x")]))
        }
        let post = try ClientCredentials.from(authorization: nil, body: FormParameters([("client_id", "c"), ("client_secret", "s")]))
        #expect(post.method == .post)
        #expect(throws: OAuthError.self) { try ClientCredentials.from(authorization: nil, body: FormParameters()) }
    }

    @Test("redirect responses keep the redirect URI's own query")
    func redirectQuery() {
        #expect(RedirectResponse.url("https://rp.example/cb?x=1", [("code", "c"), ("state", nil)]) == "https://rp.example/cb?x=1&code=c")
        #expect(RedirectResponse.url("http://example.org/", [("code", "c"), ("state", "123123")]) == "http://example.org/?code=c&state=123123")
    }
}

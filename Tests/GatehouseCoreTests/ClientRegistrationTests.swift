import GatehouseCore
import Testing

@Suite("Client registrations get defaults and are checked before they are stored")
struct ClientRegistrationTests {
    let strict = RedirectURIPolicy(allowsInsecureHTTP: false)
    let development = RedirectURIPolicy(allowsInsecureHTTP: true)

    @Test("defaults: confidential, authorization_code + refresh_token, code, consent required and reusable")
    func defaults() throws {
        let r = try ClientRegistration(name: "Demo", redirectURIs: ["https://rp.example/cb"]).validated(policy: strict)
        #expect(r.kind == .confidential)
        #expect(r.grantTypes == ["authorization_code", "refresh_token"])
        #expect(r.responseTypes == ["code"])
        #expect(r.requireConsent && r.reuseConsent)
        #expect(r.scopes.contains("openid"))
        #expect(r.tokenEndpointAuthMethod == nil)  // either client_secret_basic or client_secret_post
    }

    @Test("a redirect URI with a fragment is refused")
    func fragment() {
        #expect(throws: RedirectURIPolicy.Violation.self) {
            try ClientRegistration(name: "X", redirectURIs: ["https://rp.example/cb#frag"]).validated(policy: development)
        }
    }

    @Test("plain http is refused for a confidential client unless on loopback or the operator allows insecure redirects")
    func plainHTTP() throws {
        #expect(throws: RedirectURIPolicy.Violation.self) {
            try ClientRegistration(name: "X", redirectURIs: ["http://rp.example/cb"]).validated(policy: strict)
        }
        for loopback in ["http://localhost:3000/cb", "http://127.0.0.1/cb", "http://[::1]:8080/cb"] {
            _ = try ClientRegistration(name: "X", redirectURIs: [loopback]).validated(policy: strict)
        }
        // A plain-http development issuer accepts it: the walk-through's http://example.org/.
        _ = try ClientRegistration(name: "X", redirectURIs: ["http://example.org/"]).validated(policy: development)
    }

    @Test("only a numeric 127.x.y.z, [::1] or localhost counts as loopback, not a host name that starts with 127.")
    func loopbackLookalikes() throws {
        for uri in ["http://127.attacker.example/cb", "http://127.0.0.1.attacker.example/cb", "http://127.0.0.256/cb",
                    "http://127.0.0/cb", "http://127.0.0.1a/cb", "http://localhost.attacker.example/cb"] {
            #expect(throws: RedirectURIPolicy.Violation.self, "\(uri)") {
                try ClientRegistration(name: "X", redirectURIs: [uri]).validated(policy: strict)
            }
        }
        for uri in ["http://127.0.0.1:8080/cb", "http://127.1.2.3/cb", "http://127.255.255.255/cb", "http://LOCALHOST/cb"] {
            _ = try ClientRegistration(name: "X", redirectURIs: [uri]).validated(policy: strict)
        }
    }

    @Test("malformed and relative URIs are refused")
    func malformed() {
        for uri in ["not a uri", "/relative/path", "https://", "javascript:alert(1)", "https://rp.example/c b"] {
            #expect(throws: RedirectURIPolicy.Violation.self, "\(uri)") {
                try ClientRegistration(name: "X", redirectURIs: [uri]).validated(policy: development)
            }
        }
    }

    @Test("native apps may use a private-use scheme, but only as public clients")
    func privateUseScheme() throws {
        var r = ClientRegistration(name: "App", redirectURIs: ["com.example.app:/oauth"])
        #expect(throws: RedirectURIPolicy.Violation.self) { try r.validated(policy: strict) }
        r.kind = .public
        let valid = try r.validated(policy: strict)
        #expect(valid.tokenEndpointAuthMethod == "none")
    }

    @Test("unknown grant and response types, bad scopes and missing redirect URIs are refused")
    func invalid() {
        func attempt(_ change: (inout ClientRegistration) -> Void) -> Bool {
            var r = ClientRegistration(name: "X", redirectURIs: ["https://rp.example/cb"])
            change(&r)
            return (try? r.validated(policy: strict)) == nil
        }
        #expect(attempt { $0.grantTypes = ["password"] })
        #expect(attempt { $0.responseTypes = ["token"] })
        #expect(attempt { $0.scopes = ["bad scope\""] })
        #expect(attempt { $0.redirectURIs = [] })
        #expect(attempt { $0.name = "   " })
        #expect(attempt { $0.kind = .public; $0.grantTypes = ["client_credentials"] })
        #expect(attempt { $0.grantTypes = ["refresh_token"] })
        #expect(!attempt { $0.grantTypes = ["client_credentials"] })
    }
}

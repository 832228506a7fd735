import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("/authorize validates the client first, then answers the client by redirect")
struct AuthorizeEndpointTests {
    @Test("an unknown client_id shows an error page with a 4xx status and never redirects")
    func unknownClient() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                var uri = op.authorizeURI(client)
                uri = uri.replacingOccurrences(of: client.clientID, with: "nope")
                let page = try await browser.get(uri)
                #expect(page.status == .badRequest)
                #expect(page.location == nil)
                #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }

    @Test("a redirect_uri that is not registered exactly shows an error page and never redirects")
    func wrongRedirectURI() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                for uri in ["http://example.org", "http://example.org/?x=1", "http://evil.example/", "HTTP://example.org/"] {
                    let page = try await browser.get(op.authorizeURI(client, redirectURI: uri))
                    #expect(page.status == .badRequest, "\(uri)")
                    #expect(page.location == nil, "\(uri)")
                }
            }
        }
    }

    @Test("other errors go back to the client with error, error_description and state")
    func redirectErrors() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient { $0.scopes = ["openid", "email"] }
            let (publicClient, _) = try await op.createClient { $0.kind = .public }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                func expectError(_ uri: String, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                    let page = try await browser.get(uri)
                    #expect(page.status == .found, sourceLocation: sourceLocation)
                    let location = try #require(page.location, sourceLocation: sourceLocation)
                    #expect(location.hasPrefix("http://example.org/?") || location.hasPrefix("http://example.org/#"),
                            sourceLocation: sourceLocation)
                    let query = FormParameters.ofResponse(location)
                    #expect(query["error"] == code, "\(location)", sourceLocation: sourceLocation)
                    #expect(query["error_description"]?.isEmpty == false, sourceLocation: sourceLocation)
                    #expect(query["state"] == "123123", sourceLocation: sourceLocation)
                }
                let base = "client_id=\(client.clientID)&redirect_uri=http%3A%2F%2Fexample.org%2F&state=123123"
                try await expectError("/authorize?\(base)&scope=openid", "invalid_request")
                try await expectError("/authorize?\(base)&scope=openid&response_type=token", "unsupported_response_type")
                try await expectError("/authorize?\(base)&response_type=code&scope=openid+phone", "invalid_scope")
                try await expectError("/authorize?\(base)&response_type=code", "invalid_scope")
                try await expectError("/authorize?\(base)&response_type=code&scope=openid&scope=email", "invalid_request")
                try await expectError("/authorize?\(base)&response_type=code&scope=openid&prompt=none+login", "invalid_request")
                try await expectError("/authorize?\(base)&response_type=code&scope=openid&max_age=soon", "invalid_request")
                try await expectError("/authorize?\(base)&response_type=code&scope=openid&code_challenge=short", "invalid_request")
                let publicBase = "client_id=\(publicClient.clientID)&redirect_uri=http%3A%2F%2Fexample.org%2F&state=123123"
                try await expectError("/authorize?\(publicBase)&response_type=code&scope=openid", "invalid_request")
            }
        }
    }

    @Test("PKCE: S256 is accepted, plain is refused unless the setting allows it")
    func pkceMethods() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let challenge = PKCE.s256Challenge(for: String(repeating: "v", count: 50))
                let s256 = try await browser.get(op.authorizeURI(client, extra: [("code_challenge", challenge), ("code_challenge_method", "S256")]))
                #expect(s256.status == .ok)  // the login page
                let plain = try await browser.get(op.authorizeURI(client, extra: [("code_challenge", challenge), ("code_challenge_method", "plain")]))
                #expect(FormParameters.ofQuery(plain.location ?? "")["error"] == "invalid_request")
                let implicitPlain = try await browser.get(op.authorizeURI(client, extra: [("code_challenge", challenge)]))
                #expect(FormParameters.ofQuery(implicitPlain.location ?? "")["error"] == "invalid_request")
            }
        }

        try await TestProvider.with({ $0.allowPlainPKCE = true }) { lenient in
            let (other, _) = try await lenient.createClient()
            try await lenient.app().test(.router) { http in
                let page = try await Browser(http).get(lenient.authorizeURI(other, extra: [
                    ("code_challenge", String(repeating: "p", count: 43)), ("code_challenge_method", "plain"),
                ]))
                #expect(page.status == .ok)
            }
        }
    }

    @Test("prompt=none answers login_required without a session and consent_required without consent")
    func promptNone() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let anonymous = try await browser.get(op.authorizeURI(client, extra: [("prompt", "none")]))
                #expect(FormParameters.ofQuery(anonymous.location ?? "")["error"] == "login_required")
                // Sign in, but stop at the consent page.
                let login = try await browser.get(op.authorizeURI(client))
                let consent = try await op.submitLogin(browser, on: login)
                #expect(consent.field("request") != nil)
                let silent = try await browser.get(op.authorizeURI(client, extra: [("prompt", "none")]))
                #expect(FormParameters.ofQuery(silent.location ?? "")["error"] == "consent_required")
            }
        }
    }

    @Test("POST /authorize takes the parameters from a form body")
    func postAuthorize() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let page = try await Browser(http).post("/authorize", form: [
                    ("client_id", client.clientID), ("redirect_uri", "http://example.org/"), ("response_type", "code"),
                    ("scope", "openid"), ("state", "s"),
                ])
                #expect(page.status == .ok)
                #expect(page.body.contains("name=\"password\""))
            }
        }
    }

    @Test("trailing slashes are accepted on every route")
    func trailingSlashes() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let discoveryStatus = try await browser.get("/.well-known/openid-configuration/").status
                #expect(discoveryStatus == .ok)
                let jwksStatus = try await browser.get("/jwks/").status
                #expect(jwksStatus == .ok)
                let userinfoStatus = try await browser.get("/userinfo/").status
                #expect(userinfoStatus == .unauthorized)
                let authorizeStatus = try await browser.get("/authorize/").status
                #expect(authorizeStatus == .badRequest)
                let tokenStatus = try await browser.get("/token/").status
                #expect(tokenStatus == .methodNotAllowed)
            }
        }
    }
}

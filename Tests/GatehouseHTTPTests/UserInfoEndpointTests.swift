import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("/userinfo")
struct UserInfoEndpointTests {
    /// Signs in through the browser and returns an access token for `scope`.
    func accessToken(_ op: TestProvider, _ browser: Browser, scope: String) async throws -> String {
        let (client, secret) = try await op.createClient { $0.requireConsent = false }
        let r = try await op.exchange(browser, code: try await op.obtainCode(browser, client, scope: scope), client: client, secret: secret)
        return try #require(r.json["access_token"] as? String)
    }

    @Test("the token is accepted from the Authorization header, a form body and the access_token query parameter")
    func threeWays() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let token = try await accessToken(op, browser, scope: "openid email")
                browser.cookie = nil
                let header = try await op.userInfo(browser, token: token)
                #expect(header.status == .ok)
                let query = try await browser.get("/userinfo/?access_token=\(token)")
                #expect(query.status == .ok)
                let form = try await browser.post("/userinfo", form: [("access_token", token)])
                #expect(form.status == .ok)
                #expect(header.body == query.body && query.body == form.body)
                #expect(header.headers[.cacheControl] == "no-store")
                let both = try await browser.get("/userinfo?access_token=\(token)", headers: [.authorization: "Bearer \(token)"])
                #expect(both.status == .badRequest)
            }
        }
    }

    @Test("claims follow the granted scopes")
    func claimsByScope() async throws {
        try await TestProvider.with { op in
            let user = try await op.createUser()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                func claims(_ scope: String) async throws -> [String: Any] {
                    let token = try await accessToken(op, browser, scope: scope)
                    let page = try await op.userInfo(browser, token: token)
                    return try #require(try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any])
                }
                let minimal = try await claims("openid")
                #expect(Set(minimal.keys) == ["sub"])
                #expect(minimal["sub"] as? String == user.subject)
                let email = try await claims("openid email")
                #expect(email["email"] as? String == "alice@example.com")
                #expect(email["email_verified"] as? Bool == false)
                #expect(email["name"] == nil)
                let profile = try await claims("openid profile phone")
                #expect(profile["name"] as? String == "Alice Liddell")
                #expect(profile["given_name"] as? String == "Alice")
                #expect(profile["preferred_username"] as? String == "alice")
                #expect(profile["phone_number"] as? String == "+1 555 0100")
                #expect(profile["email"] == nil)
            }
        }
    }

    @Test("a token without the openid scope gets 403 insufficient_scope")
    func insufficientScope() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let token = try await accessToken(op, browser, scope: "email")
                let page = try await op.userInfo(browser, token: token)
                #expect(page.status == .forbidden)
                #expect(page.headers[.wwwAuthenticate]?.contains("error=\"insufficient_scope\"") == true)
            }
        }
    }

    @Test("a missing, unknown or expired token gets 401 with a Bearer invalid_token challenge")
    func invalidTokens() async throws {
        try await TestProvider.with({ $0.tokenExpire = .seconds(60) }) { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let token = try await accessToken(op, browser, scope: "openid")
                browser.cookie = nil
                for page in [try await browser.get("/userinfo"), try await op.userInfo(browser, token: "unknown-token")] {
                    #expect(page.status == .unauthorized)
                    #expect(page.headers[.wwwAuthenticate]?.hasPrefix("Bearer ") == true)
                    #expect(page.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
                    #expect(page.headers[.wwwAuthenticate]?.contains("error_description=") == true)
                    #expect(page.body.contains("\"error\":\"invalid_token\""))
                }
                let beforeExpiryStatus = try await op.userInfo(browser, token: token).status
                #expect(beforeExpiryStatus == .ok)
                op.clock.advance(by: 61)
                let expired = try await op.userInfo(browser, token: token)
                #expect(expired.status == .unauthorized)
                #expect(expired.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            }
        }
    }

    @Test("CORS is allowed on userinfo, discovery and JWKS, and never on /authorize")
    func cors() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let userinfoOrigin = try await browser.get("/userinfo").headers[.accessControlAllowOrigin]
                #expect(userinfoOrigin == "*")
                let discoveryOrigin = try await browser.get("/.well-known/openid-configuration").headers[.accessControlAllowOrigin]
                #expect(discoveryOrigin == "*")
                let jwksOrigin = try await browser.get("/jwks").headers[.accessControlAllowOrigin]
                #expect(jwksOrigin == "*")
                let preflight = try await browser.send("/userinfo", method: .options, body: nil, headers: [:])
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
                let authorizeOrigin = try await browser.get(op.authorizeURI(client)).headers[.accessControlAllowOrigin]
                #expect(authorizeOrigin == nil)
            }
        }
    }

    @Test("a database outage answers 503 in JSON for APIs and as a page for browser routes, never a hang")
    func outage() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            await op.pool.shutdown()  // every query now fails as unavailable
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let api = try await op.userInfo(browser, token: "anything")
                #expect(api.status == .serviceUnavailable)
                #expect(api.body.contains("temporarily_unavailable"))
                let token = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("client_id", "x"), ("client_secret", "y")])
                #expect(token.status == .serviceUnavailable)
                let page = try await browser.get(op.authorizeURI(client))
                #expect(page.status == .serviceUnavailable)
                #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            }
        }
    }
}

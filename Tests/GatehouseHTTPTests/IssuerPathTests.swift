import Foundation
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Routes under the issuer's path, as django-oidc-provider mounted them")
struct IssuerPathTests {
    @Test("with OIDC_ISSUER …/openid every route answers under /openid, with or without a trailing slash, and the pages link under it")
    func underThePath() async throws {
        try await TestProvider.with({ $0.issuer = "https://id.example.com/openid" }) { op in
            _ = try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                for path in ["/openid/.well-known/openid-configuration", "/openid/.well-known/openid-configuration/"] {
                    let page = try await browser.get(path)
                    #expect(page.status == .ok, "\(path)")
                    let doc = try #require(try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any])
                    #expect(doc["issuer"] as? String == "https://id.example.com/openid")
                    #expect(doc["token_endpoint"] as? String == "https://id.example.com/openid/token")
                }
                #expect(try await browser.get("/openid/jwks/").status == .ok)
                // /token/ is the token endpoint: an empty POST is an OAuth error, not a 404.
                let token = try await browser.post("/openid/token/", form: [("grant_type", "authorization_code")])
                #expect(token.status == .badRequest || token.status == .unauthorized, "\(token.status)")
                #expect(token.body.contains("\"error\""))

                let query = "client_id=\(client.clientID)&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=s"
                let login = try await browser.get("/openid/authorize/?\(query)")
                #expect(login.status == .ok)
                #expect(login.body.contains(#"action="/openid/login""#))
                #expect(login.body.contains(#"href="/openid/static/gatehouse.css?v="#))
                #expect(login.body.contains(#"href="/openid/favicon.ico""#))
                #expect(try await browser.get("/openid/static/gatehouse.css").status == .ok)

                // Outside the prefix: another path is another path, and health checks stay at the root.
                #expect(try await browser.get("/openidx/jwks").status == .notFound)
                #expect(try await browser.get("/healthz").status == .ok)
            }
        }
    }
}

import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("/end-session")
struct EndSessionTests {
    @Test("without an id_token_hint a GET only asks to confirm; the confirming POST (with CSRF) signs out, and the next /authorize asks for the password")
    func signsOut() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                _ = try await op.obtainCode(browser, client)
                let signedInStatus = try await browser.get(op.authorizeURI(client)).status
                #expect(signedInStatus == .found)
                let ask = try await browser.get("/end-session")
                #expect(ask.status == .ok)
                #expect(ask.headers[.setCookie] == nil)
                #expect(ask.body.contains("Sign out of Gatehouse?"))
                // Still signed in: a link alone cannot sign anyone out.
                let stillIn = try await browser.get(op.authorizeURI(client)).status
                #expect(stillIn == .found)
                let forged = try await browser.post("/end-session", form: [("csrf_token", "forged")])
                #expect(forged.headers[.setCookie] == nil)
                let out = try await browser.post("/end-session", form: [("csrf_token", try #require(ask.field("csrf_token")))])
                #expect(out.status == .ok)
                #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
                #expect(try await browser.get(op.authorizeURI(client)).body.contains("name=\"password\""))
            }
        }
    }

    @Test("it returns to a post_logout_redirect_uri only when the client registered it")
    func postLogoutRedirect() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let tokens = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                let hint = try #require(tokens.json["id_token"] as? String)
                let registered = try await browser.get("/end-session?" + FormParameters.encode([
                    ("id_token_hint", hint), ("post_logout_redirect_uri", "https://rp.example/bye"), ("state", "xyz"),
                ]))
                #expect(registered.status == .found)
                #expect(registered.location == "https://rp.example/bye?state=xyz")
                let unregistered = try await browser.get("/end-session?" + FormParameters.encode([
                    ("client_id", client.clientID), ("post_logout_redirect_uri", "https://evil.example/"),
                ]))
                #expect(unregistered.location == nil)
                #expect(unregistered.status == .badRequest)
            }
        }
    }
}

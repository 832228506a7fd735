import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The documented request limits (README, "Request limits").
@Suite("request limits")
struct RequestLimitTests {
    @Test("an over-long scope is invalid_request: redirected from /authorize, JSON from /token")
    func scopeLength() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.grantTypes = ["authorization_code", "client_credentials"] }
            let longScope = Array(repeating: "openid", count: Scopes.maximumLength / 6 + 1).joined(separator: " ")
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client, scope: longScope))
                #expect(page.status == .found)
                let query = FormParameters.ofQuery(try #require(page.location))
                #expect(query["error"] == "invalid_request")
                #expect(query["state"] == "123123")

                let token = try await op.tokenRequest(browser, [
                    ("grant_type", "client_credentials"), ("scope", longScope),
                    ("client_id", client.clientID), ("client_secret", secret!),
                ])
                #expect(token.status == .badRequest)
                #expect(token.json["error"] as? String == "invalid_request")
            }
        }
    }

    @Test("a body over 64 KiB gets 413 from /token, as JSON")
    func bodyLimit() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let body = "grant_type=client_credentials&pad=" + String(repeating: "a", count: 65 * 1024)
                let response = try await http.execute(uri: "/token", method: .post,
                                                      headers: [.contentType: "application/x-www-form-urlencoded"],
                                                      body: ByteBuffer(string: body))
                #expect(response.status == .contentTooLarge)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["error"] as? String == "invalid_request")
            }
        }
    }

    @Test("two Authorization headers are invalid_request at /userinfo and /token (RFC 6750 §3.1)")
    func repeatedAuthorizationHeader() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                var headers = HTTPFields()
                headers.append(HTTPField(name: .authorization, value: "Bearer one"))
                headers.append(HTTPField(name: .authorization, value: "Bearer two"))
                let userinfo = try await http.execute(uri: "/userinfo", method: .get, headers: headers)
                #expect(userinfo.status == .badRequest)
                let userinfoJSON = try JSONSerialization.jsonObject(with: Data(buffer: userinfo.body)) as? [String: Any]
                #expect(userinfoJSON?["error"] as? String == "invalid_request")

                headers[.contentType] = "application/x-www-form-urlencoded"
                let token = try await http.execute(uri: "/token", method: .post, headers: headers,
                                                   body: ByteBuffer(string: "grant_type=client_credentials"))
                #expect(token.status == .badRequest)
                let tokenJSON = try JSONSerialization.jsonObject(with: Data(buffer: token.body)) as? [String: Any]
                #expect(tokenJSON?["error"] as? String == "invalid_request")
            }
        }
    }

    @Test("a NUL byte in a parameter is invalid_request at /token and an error page at /authorize, never a 500")
    func nulInParameter() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let token = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("client_id", "a\u{0}b")])
                #expect(token.status == .badRequest)
                #expect(token.json["error"] as? String == "invalid_request")
                let page = try await browser.get("/authorize?client_id=%00&response_type=code")
                #expect(page.status == .badRequest)
            }
        }
    }
}

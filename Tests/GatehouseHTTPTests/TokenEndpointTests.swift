import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("/token grants")
struct TokenEndpointTests {
    @Test("a code exchange answers access_token, token_type bearer, expires_in, refresh_token and id_token, never cached")
    func codeExchange() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let r = try await op.exchange(browser, code: code, client: client, secret: secret)
                #expect(r.status == .ok)
                #expect(r.json["token_type"] as? String == "bearer")
                #expect(r.json["expires_in"] as? Int == 3600)
                #expect((r.json["access_token"] as? String)?.count == 43)
                #expect((r.json["refresh_token"] as? String)?.count == 43)
                #expect((r.json["id_token"] as? String)?.split(separator: ".").count == 3)
                #expect(r.headers[.cacheControl] == "no-store")
                #expect(r.headers[HTTPField.Name("Pragma")!] == "no-cache")
            }
        }
    }

    @Test("a code can be redeemed once; a second redemption answers invalid_grant and revokes the tokens it issued")
    func codeReplay() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let first = try await op.exchange(browser, code: code, client: client, secret: secret)
                let access = try #require(first.json["access_token"] as? String)
                let refresh = try #require(first.json["refresh_token"] as? String)
                let beforeExpiryStatus = try await op.userInfo(browser, token: access).status
                #expect(beforeExpiryStatus == .ok)
                let second = try await op.exchange(browser, code: code, client: client, secret: secret)
                #expect(second.status == .badRequest)
                #expect(second.json["error"] as? String == "invalid_grant")
                let afterExpiryStatus = try await op.userInfo(browser, token: access).status
                #expect(afterExpiryStatus == .unauthorized)
                let refreshed = try await op.tokenRequest(browser, [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client.clientID), ("client_secret", secret!),
                ])
                #expect(refreshed.json["error"] as? String == "invalid_grant")
            }
        }
    }

    @Test("of 50 concurrent redemptions of one code exactly one wins")
    func concurrentRedemptions() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let code = try await op.obtainCode(Browser(http), client)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await op.exchange(Browser(http), code: code, client: client, secret: secret).status }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .ok }.count == 1)
                #expect(statuses.filter { $0 == .badRequest }.count == 49)
            }
        }
    }

    @Test("a code is bound to its client and redirect_uri, and expires")
    func codeBinding() async throws {
        try await TestProvider.with({ $0.codeExpire = .seconds(60) }) { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let (other, otherSecret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let stolen = try await op.exchange(browser, code: code, client: other, secret: otherSecret)
                #expect(stolen.json["error"] as? String == "invalid_grant")
                let wrongURI = try await op.exchange(browser, code: code, client: client, secret: secret, redirectURI: "https://rp.example/cb")
                #expect(wrongURI.json["error"] as? String == "invalid_grant")
                // The failed attempts did not burn the code.
                let secondRedemptionStatus = try await op.exchange(browser, code: code, client: client, secret: secret).status
                #expect(secondRedemptionStatus == .ok)

                let late = try await op.obtainCode(browser, client)
                op.clock.advance(by: 61)
                let expired = try await op.exchange(browser, code: late, client: client, secret: secret)
                #expect(expired.json["error"] as? String == "invalid_grant")
            }
        }
    }

    @Test("PKCE: the verifier must match the challenge; a verifier without a challenge is refused")
    func pkce() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let (publicClient, _) = try await op.createClient { $0.kind = .public; $0.requireConsent = false }
            let verifier = SecretToken.generate() + "-pkce"
            let challenge = [("code_challenge", PKCE.s256Challenge(for: verifier)), ("code_challenge_method", "S256")]
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client, extra: challenge)
                let missingVerifierError = try await op.exchange(browser, code: code, client: client, secret: secret).json["error"] as? String
                #expect(missingVerifierError == "invalid_grant")
                let wrong = String(repeating: "w", count: 43)
                let wrongVerifierError = try await op.exchange(browser, code: code, client: client, secret: secret, verifier: wrong).json["error"] as? String
                #expect(wrongVerifierError == "invalid_grant")
                let rightVerifierStatus = try await op.exchange(browser, code: code, client: client, secret: secret, verifier: verifier).status
                #expect(rightVerifierStatus == .ok)

                let plainCode = try await op.obtainCode(browser, client)
                let unexpected = try await op.exchange(browser, code: plainCode, client: client, secret: secret, verifier: verifier)
                #expect(unexpected.json["error"] as? String == "invalid_grant")

                // A public client sends only its client_id and the verifier.
                let publicCode = try await op.obtainCode(browser, publicClient, extra: challenge)
                let publicTokens = try await op.exchange(browser, code: publicCode, client: publicClient, secret: nil, verifier: verifier)
                #expect(publicTokens.status == .ok)
            }
        }
    }

    @Test("refresh tokens rotate; presenting a rotated one answers invalid_grant and revokes the whole grant")
    func refreshRotation() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let first = try await op.exchange(browser, code: code, client: client, secret: secret)
                let r1 = try #require(first.json["refresh_token"] as? String)
                func refresh(_ token: String, scope: String? = nil) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, json: [String: Any]) {
                    var form = [("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client.clientID), ("client_secret", secret!)]
                    if let scope { form.append(("scope", scope)) }
                    return try await op.tokenRequest(browser, form)
                }
                let second = try await refresh(r1)
                #expect(second.status == .ok)
                let r2 = try #require(second.json["refresh_token"] as? String)
                let a2 = try #require(second.json["access_token"] as? String)
                #expect(r2 != r1)
                #expect(second.json["id_token"] != nil)
                let rotatedAccessStatus = try await op.userInfo(browser, token: a2).status
                #expect(rotatedAccessStatus == .ok)

                let reuse = try await refresh(r1)
                #expect(reuse.json["error"] as? String == "invalid_grant")
                let rotatedReuseError = try await refresh(r2).json["error"] as? String
                #expect(rotatedReuseError == "invalid_grant")
                let afterReuseStatus = try await op.userInfo(browser, token: a2).status
                #expect(afterReuseStatus == .unauthorized)
            }
        }
    }

    @Test("a refresh may narrow the scope; widening it answers invalid_scope")
    func refreshScope() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let first = try await op.exchange(browser, code: try await op.obtainCode(browser, client, scope: "openid email"),
                                                  client: client, secret: secret)
                let token = try #require(first.json["refresh_token"] as? String)
                let base = [("grant_type", "refresh_token"), ("client_id", client.clientID), ("client_secret", secret!)]
                let wider = try await op.tokenRequest(browser, base + [("refresh_token", token), ("scope", "openid email phone")])
                #expect(wider.json["error"] as? String == "invalid_scope")
                let narrower = try await op.tokenRequest(browser, base + [("refresh_token", token), ("scope", "openid")])
                #expect(narrower.status == .ok)
                #expect(narrower.json["scope"] as? String == "openid")
                // The rotated refresh token keeps the original scope.
                let next = try #require(narrower.json["refresh_token"] as? String)
                let back = try await op.tokenRequest(browser, base + [("refresh_token", next), ("scope", "openid email")])
                #expect(back.status == .ok)
            }
        }
    }

    @Test("refresh tokens expire after OIDC_REFRESH_TOKEN_EXPIRE")
    func refreshExpiry() async throws {
        try await TestProvider.with({ $0.refreshTokenExpire = .seconds(120) }) { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let first = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                op.clock.advance(by: 121)
                let late = try await op.tokenRequest(browser, [
                    ("grant_type", "refresh_token"), ("refresh_token", first.json["refresh_token"] as! String),
                    ("client_id", client.clientID), ("client_secret", secret!),
                ])
                #expect(late.json["error"] as? String == "invalid_grant")
            }
        }
    }

    @Test("client_credentials is only for clients allowed it, and gives no refresh token and no id_token")
    func clientCredentials() async throws {
        try await TestProvider.with { op in
            let (machine, machineSecret) = try await op.createClient { $0.grantTypes = ["client_credentials"]; $0.scopes = ["api.read", "api.write"] }
            let (web, webSecret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let ok = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("scope", "api.read")],
                                                   basic: (machine.clientID, machineSecret!))
                #expect(ok.status == .ok)
                #expect(ok.json["refresh_token"] == nil)
                #expect(ok.json["id_token"] == nil)
                #expect(ok.json["scope"] as? String == "api.read")
                let refused = try await op.tokenRequest(browser, [("grant_type", "client_credentials")], basic: (web.clientID, webSecret!))
                #expect(refused.json["error"] as? String == "unauthorized_client")
                let badScope = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("scope", "admin")],
                                                         basic: (machine.clientID, machineSecret!))
                #expect(badScope.json["error"] as? String == "invalid_scope")
            }
        }
    }

    @Test("client authentication: Basic credentials are URL-decoded; a wrong secret is 401 invalid_client with WWW-Authenticate")
    func clientAuthentication() async throws {
        try await TestProvider.with { op in
            let (client, secret) = try await op.createClient { $0.grantTypes = ["client_credentials"]; $0.scopes = ["a"] }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                // Base64url secrets contain '-' and '_'; escape() also percent-encodes nothing else here,
                // so force an encoded character by encoding the whole pair manually.
                let encodedID = client.clientID.unicodeScalars.map { String(format: "%%%02X", $0.value) }.joined()
                var headers = HTTPFields()
                headers[.authorization] = "Basic " + Data("\(encodedID):\(secret!)".utf8).base64EncodedString()
                headers[.contentType] = "application/x-www-form-urlencoded"
                let basic = try await browser.send("/token", method: .post, body: "grant_type=client_credentials", headers: headers)
                #expect(basic.status == .ok)
                let post = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("client_id", client.clientID), ("client_secret", secret!)])
                #expect(post.status == .ok)
                let wrong = try await op.tokenRequest(browser, [("grant_type", "client_credentials")], basic: (client.clientID, "wrong"))
                #expect(wrong.status == .unauthorized)
                #expect(wrong.json["error"] as? String == "invalid_client")
                #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                let unknown = try await op.tokenRequest(browser, [("grant_type", "client_credentials"), ("client_id", "ghost"), ("client_secret", "x")])
                #expect(unknown.status == .unauthorized)
            }
        }
    }

    @Test("malformed token requests get JSON errors: wrong method, content type, grant type, repeated or missing parameters")
    func malformed() async throws {
        try await TestProvider.with { op in
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let get = try await browser.get("/token")
                #expect(get.status == .methodNotAllowed)
                #expect(get.headers[.allow] == "POST")
                var json = HTTPFields()
                json[.contentType] = "application/json"
                let wrongType = try await browser.send("/token", method: .post, body: "{}", headers: json)
                #expect(wrongType.status == .badRequest)
                #expect(wrongType.body.contains("invalid_request"))
                let auth = [("client_id", client.clientID), ("client_secret", secret!)]
                let passwordGrantError = try await op.tokenRequest(browser, auth + [("grant_type", "password")]).json["error"] as? String
                #expect(passwordGrantError == "unsupported_grant_type")
                let missingGrantTypeError = try await op.tokenRequest(browser, auth).json["error"] as? String
                #expect(missingGrantTypeError == "invalid_request")
                let codeGrantWithoutCodeError = try await op.tokenRequest(browser, auth + [("grant_type", "authorization_code")]).json["error"] as? String
                #expect(codeGrantWithoutCodeError == "invalid_request")
                let repeated = try await op.tokenRequest(browser, auth + [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")])
                #expect(repeated.json["error"] as? String == "invalid_request")
                let garbage = try await browser.send("/token", method: .post, body: "code=%zz", headers: [.contentType: "application/x-www-form-urlencoded"])
                #expect(garbage.status == .badRequest)
            }
        }
    }
}

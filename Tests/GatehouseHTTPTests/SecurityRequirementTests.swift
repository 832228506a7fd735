import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PGClient
import Testing

/// RFC 9700 (OAuth 2.0 Security Best Current Practice) requirements that
/// docs/SECURITY.md lists, each shown end to end.
@Suite("RFC 9700 requirements")
struct SecurityRequirementTests {
    typealias TokenAnswer = (status: HTTPResponse.Status, headers: HTTPFields, json: [String: Any])

    @Test("mix-up defence (RFC 9207): code and error redirects carry iss, discovery announces it, the ID token's iss matches")
    func mixUpIssuer() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let signedIn = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client)))
                #expect(signedIn.status == .found)
                let location = try #require(signedIn.location)
                let query = FormParameters.ofQuery(location)
                let code = try #require(query["code"])
                #expect(query["iss"] == op.settings.issuer)

                let implicit = try await browser.get("/authorize?" + FormParameters.encode([
                    ("client_id", client.clientID), ("redirect_uri", "http://example.org/"), ("response_type", "token"),
                    ("scope", "openid"), ("state", "s1"),
                ]))
                #expect(implicit.status == .found)
                // A token word in response_type: the error goes in the fragment, as the answer would.
                #expect(implicit.location?.hasPrefix("http://example.org/#") == true)
                let error = FormParameters.ofFragment(implicit.location ?? "")
                #expect(error["error"] == "unsupported_response_type")
                #expect(error["state"] == "s1")
                #expect(error["iss"] == op.settings.issuer)

                let discovery = try await Self.json(browser.get("/.well-known/openid-configuration"))
                #expect(discovery["authorization_response_iss_parameter_supported"] as? Bool == true)
                #expect(discovery["issuer"] as? String == op.settings.issuer)

                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                let idToken = try #require(tokens.json["id_token"] as? String)
                let payload = try #require(Base64URL.decode(String(idToken.split(separator: ".")[1])))
                let claims = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
                #expect(claims["iss"] as? String == op.settings.issuer)
            }
        }
    }

    @Test("response modes: an unknown one is invalid_request, query cannot carry tokens, discovery lists query, fragment and form_post")
    func responseModes() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client, extra: [("response_mode", "web_message")]))
                #expect(page.status == .found)
                let location = page.location ?? ""
                #expect(location.hasPrefix("http://example.org/?"), "\(location)")
                let query = FormParameters.ofQuery(location)
                #expect(query["error"] == "invalid_request")
                #expect(query["code"] == nil)
                #expect(query["state"] == "123123")
                #expect(query["iss"] == op.settings.issuer)
                // Every known mode may carry a code: each leads to the login page.
                for mode in ["query", "fragment", "form_post"] {
                    let accepted = try await browser.get(op.authorizeURI(client, extra: [("response_mode", mode)]))
                    #expect(accepted.status == .ok, "\(mode)")
                    #expect(accepted.body.contains("name=\"password\""), "\(mode)")
                }

                let discovery = try await Self.json(browser.get("/.well-known/openid-configuration"))
                #expect(discovery["response_modes_supported"] as? [String] == ["query", "fragment", "form_post"])
                #expect(discovery["response_types_supported"] as? [String] == ResponseType.allCases.map(\.rawValue))
            }
        }
    }

    @Test("a public client's refresh tokens rotate; reusing a rotated one answers invalid_grant and revokes the grant")
    func publicClientRefreshRotation() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.kind = .public; $0.requireConsent = false }
            #expect(client.kind == .public)
            let verifier = SecretToken.generate() + "-public"
            let challenge = [("code_challenge", PKCE.s256Challenge(for: verifier)), ("code_challenge_method", "S256")]
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client, extra: challenge)
                let first = try await op.exchange(browser, code: code, client: client, secret: nil, verifier: verifier)
                #expect(first.status == .ok)
                let r1 = try #require(first.json["refresh_token"] as? String)
                func refresh(_ token: String) async throws -> TokenAnswer {
                    try await op.tokenRequest(browser, [
                        ("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client.clientID),
                    ])
                }
                let second = try await refresh(r1)
                #expect(second.status == .ok)
                let r2 = try #require(second.json["refresh_token"] as? String)
                let a2 = try #require(second.json["access_token"] as? String)
                #expect(r2 != r1)
                let before = try await op.userInfo(browser, token: a2).status
                #expect(before == .ok)

                let reuse = try await refresh(r1)
                #expect(reuse.status == .badRequest)
                #expect(reuse.json["error"] as? String == "invalid_grant")
                let after = try await op.userInfo(browser, token: a2).status
                #expect(after == .unauthorized)
                let newest = try await refresh(r2).json["error"] as? String
                #expect(newest == "invalid_grant")
            }
        }
    }

    @Test("a refresh token is bound to its client: another client gets invalid_grant, and the owner can still use it")
    func refreshTokenBoundToClient() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (a, aSecret) = try await op.createClient { $0.requireConsent = false }
            let (b, bSecret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let issued = try await op.exchange(browser, code: try await op.obtainCode(browser, a), client: a, secret: aSecret)
                let token = try #require(issued.json["refresh_token"] as? String)
                let access = try #require(issued.json["access_token"] as? String)

                // B authenticates correctly (so not 401), but the token is not B's.
                let stolen = try await op.tokenRequest(browser, [("grant_type", "refresh_token"), ("refresh_token", token)],
                                                       basic: (b.clientID, bSecret!))
                #expect(stolen.status == .badRequest)
                #expect(stolen.json["error"] as? String == "invalid_grant")
                #expect(stolen.json["access_token"] == nil)

                // Presenting it from another client does not revoke the grant.
                let stillValid = try await op.userInfo(browser, token: access).status
                #expect(stillValid == .ok)
                let owner = try await op.tokenRequest(browser, [("grant_type", "refresh_token"), ("refresh_token", token)],
                                                      basic: (a.clientID, aSecret!))
                #expect(owner.status == .ok)
                #expect(owner.json["refresh_token"] as? String != nil)
            }
        }
    }

    @Test("a disabled user's refresh tokens, access tokens and pending codes are refused")
    func disabledUser() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let issued = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                let access = try #require(issued.json["access_token"] as? String)
                let refreshToken = try #require(issued.json["refresh_token"] as? String)
                let pendingCode = try await op.obtainCode(browser, client)  // issued before the user is disabled
                let before = try await op.userInfo(browser, token: access).status
                #expect(before == .ok)

                try await Self.setActive(false, username: "alice", op)

                let refreshed = try await op.tokenRequest(browser, [
                    ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
                    ("client_id", client.clientID), ("client_secret", secret!),
                ])
                #expect(refreshed.status == .badRequest)
                #expect(refreshed.json["error"] as? String == "invalid_grant")
                let info = try await op.userInfo(browser, token: access)
                #expect(info.status == .unauthorized)
                #expect(info.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                let redeemed = try await op.exchange(browser, code: pendingCode, client: client, secret: secret)
                #expect(redeemed.status == .badRequest)
                #expect(redeemed.json["error"] as? String == "invalid_grant")
                #expect(redeemed.json["access_token"] == nil)

                // The refusals are due to the user's state alone: enabled again, the same code redeems.
                try await Self.setActive(true, username: "alice", op)
                let reenabled = try await op.exchange(browser, code: pendingCode, client: client, secret: secret).status
                #expect(reenabled == .ok)
            }
        }
    }

    @Test("a client_credentials access token has no user: /userinfo answers 401 invalid_token")
    func clientCredentialsAtUserInfo() async throws {
        try await TestProvider.with { op in
            let (machine, machineSecret) = try await op.createClient {
                $0.grantTypes = ["client_credentials"]; $0.scopes = ["openid", "api.read"]
            }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let issued = try await op.tokenRequest(browser, [("grant_type", "client_credentials")],
                                                       basic: (machine.clientID, machineSecret!))
                #expect(issued.status == .ok)
                let token = try #require(issued.json["access_token"] as? String)
                let info = try await op.userInfo(browser, token: token)
                #expect(info.status == .unauthorized)
                #expect(info.headers[.wwwAuthenticate]?.contains("error=\"invalid_token\"") == true)
                #expect(!info.body.contains("\"sub\""))
            }
        }
    }

    @Test("a confidential client must authenticate to redeem a code; a public client must not send a secret")
    func clientMustAuthenticate() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (confidential, secret) = try await op.createClient { $0.requireConsent = false }
            let (publicClient, _) = try await op.createClient { $0.kind = .public; $0.requireConsent = false }
            let verifier = SecretToken.generate() + "-auth"
            let challenge = [("code_challenge", PKCE.s256Challenge(for: verifier)), ("code_challenge_method", "S256")]
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, confidential)
                let unauthenticated = try await op.exchange(browser, code: code, client: confidential, secret: nil)
                #expect(unauthenticated.status == .unauthorized)
                #expect(unauthenticated.json["error"] as? String == "invalid_client")
                #expect(unauthenticated.json["access_token"] == nil)
                #expect(unauthenticated.headers[.wwwAuthenticate] != nil)
                // The refused attempt did not use up the code.
                let authenticated = try await op.exchange(browser, code: code, client: confidential, secret: secret).status
                #expect(authenticated == .ok)

                let publicCode = try await op.obtainCode(browser, publicClient, extra: challenge)
                let withSecret = try await op.exchange(browser, code: publicCode, client: publicClient,
                                                       secret: "made-up-secret", verifier: verifier)
                #expect(withSecret.status == .unauthorized)
                #expect(withSecret.json["error"] as? String == "invalid_client")
                #expect(withSecret.json["access_token"] == nil)
                let withoutSecret = try await op.exchange(browser, code: publicCode, client: publicClient, secret: nil, verifier: verifier).status
                #expect(withoutSecret == .ok)
            }
        }
    }

    @Test("forwarded headers are ignored: Host and X-Forwarded-* do not change the issuer; throttling keys on the peer address")
    func forwardedHeadersIgnored() async throws {
        try await TestProvider.with({ $0.loginMaxFailures = 3; $0.loginLockout = .seconds(30) }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                var spoofed = HTTPFields()
                spoofed[HTTPField.Name("Host")!] = "evil.example"
                spoofed[HTTPField.Name("X-Forwarded-Host")!] = "evil.example"
                spoofed[HTTPField.Name("X-Forwarded-Proto")!] = "https"
                spoofed[HTTPField.Name("Forwarded")!] = "host=evil.example;proto=https"
                let page = try await Browser(http).get("/.well-known/openid-configuration", headers: spoofed)
                #expect(page.status == .ok)
                #expect(!page.body.contains("evil.example"))
                let discovery = try Self.json(page)
                #expect(discovery["issuer"] as? String == op.settings.issuer)
                #expect(discovery["authorization_endpoint"] as? String == op.settings.issuer + "/authorize")
            }
            // Over real TCP, so the request context knows the peer address (router
            // tests have none). Each failure names another user and claims another
            // X-Forwarded-For; the shared peer address still reaches the limit.
            try await op.app().test(.live) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                let csrf = try #require(page.field("csrf_token"))
                func login(_ username: String, _ password: String, claiming address: String) async throws -> Browser.Page {
                    var headers = HTTPFields()
                    headers[HTTPField.Name("X-Forwarded-For")!] = address
                    headers[HTTPField.Name("X-Real-IP")!] = address
                    headers[HTTPField.Name("Forwarded")!] = "for=\(address)"
                    return try await browser.post("/login", form: [
                        ("username", username), ("password", password), ("csrf_token", csrf), ("next", page.field("next") ?? ""),
                    ], headers: headers)
                }
                for i in 0..<3 {
                    let failed = try await login("mallory\(i)", "wrong", claiming: "203.0.113.\(i + 1)")
                    #expect(failed.status == .unauthorized)
                }
                // The address is throttled: its wrong guesses are refused ...
                let blocked = try await login("mallory9", "wrong", claiming: "198.51.100.8")
                #expect(blocked.status == .tooManyRequests)
                #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
                // ... but alice, who has no failures of her own, signs in behind the same address.
                let correct = try await login("alice", TestProvider.password, claiming: "198.51.100.7")
                #expect(correct.status == .seeOther)

                let addressKeys = try await op.pool.withConnection { conn in
                    try conn.query("SELECT key FROM login_throttle WHERE key LIKE 'addr:%' ORDER BY key").rows
                        .map { try $0.decode(String.self, at: 0) }
                }
                #expect(addressKeys == ["addr:127.0.0.1"])
            }
        }
    }

    @Test("session fixation: signing in issues a new session id, and a session cookie planted before it is deleted, not promoted")
    func sessionFixation() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.createUser("mallory", email: nil)
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                // Mallory signs in and plants her session cookie in Alice's browser.
                let mallory = Browser(http)
                _ = try await op.submitLogin(mallory, on: try await mallory.get(op.authorizeURI(client)), username: "mallory")
                let planted = try #require(mallory.cookie("gatehouse_session"))
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client, extra: [("prompt", "login")]))
                browser.jar.append(("gatehouse_session", planted))
                let posted = try await browser.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password),
                    ("csrf_token", try #require(page.field("csrf_token"))), ("next", page.field("next") ?? ""),
                ])
                #expect(posted.status == .seeOther)
                let fresh = try #require(browser.cookie("gatehouse_session"))
                #expect(fresh != planted)
                // The new cookie is Alice's: the consent page names her.
                let signedIn = try await browser.get(op.authorizeURI(client))
                #expect(signedIn.field("request") != nil)
                #expect(signedIn.body.contains("<strong>alice</strong>"))
                let rows = try await op.pool.withConnection { conn in
                    try conn.query("SELECT count(*) FROM sessions WHERE id_digest = $1",
                                   SecretToken.digest(of: planted)).first!.decode(Int.self, at: 0)
                }
                #expect(rows == 0)
            }
        }
    }

    @Test("codes, access tokens, refresh tokens and session ids are stored only as their SHA-256 digests")
    func secretsStoredAsDigests() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let session = try #require(browser.cookie("gatehouse_session"))
                let issued = try await op.exchange(browser, code: code, client: client, secret: secret)
                #expect(issued.status == .ok)
                let access = try #require(issued.json["access_token"] as? String)
                let refresh = try #require(issued.json["refresh_token"] as? String)
                let secrets = [
                    ("authorization_codes", "code_digest", code), ("access_tokens", "token_digest", access),
                    ("refresh_tokens", "token_digest", refresh), ("sessions", "id_digest", session),
                ]
                try await op.pool.withConnection { conn in
                    var dump = ""
                    for (table, _, _) in secrets {
                        for row in try conn.query("SELECT row_to_json(t)::text FROM \(table) t").rows {
                            dump += try row.decode(String.self, at: 0) + "\n"
                        }
                    }
                    for (table, column, raw) in secrets {
                        #expect(raw.count == 43)
                        #expect(!dump.contains(raw), "the raw value from \(table) is stored")
                        // The row is found by SHA-256 of the raw value, computed both here and by Postgres.
                        let bySwift = try conn.query("SELECT count(*) FROM \(table) WHERE \(column) = $1",
                                                     SecretToken.digest(of: raw)).first!.decode(Int.self, at: 0)
                        #expect(bySwift == 1, "\(table)")
                        let byPostgres = try conn.query("SELECT count(*) FROM \(table) WHERE \(column) = sha256(convert_to($1, 'UTF8'))",
                                                        raw).first!.decode(Int.self, at: 0)
                        #expect(byPostgres == 1, "\(table)")
                    }
                }
            }
        }
    }

    // MARK: - Helpers

    static func json(_ page: Browser.Page) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any])
    }

    /// "gatehouse_session=abc" → "abc".
    static func cookieValue(_ cookie: String) -> String {
        cookie.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
    }

    static func setActive(_ active: Bool, username: String, _ op: TestProvider) async throws {
        let changed = try await op.pool.withConnection { conn in
            try conn.query("UPDATE users SET is_active = $1 WHERE username = $2", active, username).affectedRows
        }
        #expect(changed == 1)
    }
}

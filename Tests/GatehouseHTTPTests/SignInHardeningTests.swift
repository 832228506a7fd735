import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Review findings 5-15: addresses, throttling, accounts and protocol edges, against a real Postgres.
@Suite("Hardening: sign-in, accounts and protocol edges")
struct SignInHardeningTests {
    static func count(_ op: TestProvider, _ sql: String) async throws -> Int {
        try await op.pool.withConnection { try $0.query(sql).first!.decode(Int.self, at: 0) }
    }

    @Test("5. behind a trusted proxy, failures are counted per forwarded client address, so one client's failures lock out no one else")
    func trustedProxyAddresses() async throws {
        try await TestProvider.with({ $0.trustedProxies = [IPNetwork(cidr: "127.0.0.0/8")!]; $0.loginMaxFailures = 3 }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.live) { http in
                let browser = Browser(http)
                func login(_ username: String, _ password: String, from address: String) async throws -> Browser.Page {
                    let page = try await browser.get(op.authorizeURI(client))
                    var headers = HTTPFields()
                    headers[.xForwardedFor] = "6.6.6.6, " + address  // the left hop is the client's own text
                    return try await browser.post("/login", form: [
                        ("username", username), ("password", password), ("csrf_token", try #require(page.field("csrf_token"))),
                        ("next", page.field("next") ?? ""),
                    ], headers: headers)
                }
                for i in 0..<4 { _ = try await login("mallory\(i)", "wrong guess", from: "203.0.113.9") }
                let attacker = try await login("mallory9", "wrong guess", from: "203.0.113.9")
                #expect(attacker.status == .tooManyRequests)
                let other = try await login("nobody", "wrong guess", from: "198.51.100.7")
                #expect(other.status == .unauthorized)
                let alice = try await login("alice", TestProvider.password, from: "198.51.100.7")
                #expect(alice.status == .seeOther)
                let keys = try await op.pool.withConnection { conn in
                    try conn.query("SELECT key FROM login_throttle WHERE key LIKE 'addr:%' ORDER BY key").rows
                        .map { try $0.decode(String.self, at: 0) }
                }
                #expect(keys == ["addr:198.51.100.7", "addr:203.0.113.9"])
            }
        }
    }

    @Test("6. an account's failures cost a doubling, capped wait that even the right password must sit out; a sign-in clears it")
    func progressiveAccountDelay() async throws {
        try await TestProvider.with({ $0.loginMaxFailures = 2; $0.loginLockout = .seconds(30); $0.loginDelayMax = .seconds(100) }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                func attempt(_ password: String) async throws -> Browser.Page {
                    try await browser.post("/login", form: [
                        ("username", "Alice"), ("password", password), ("csrf_token", try #require(page.field("csrf_token"))),
                        ("next", page.field("next") ?? ""),
                    ])
                }
                #expect(try await attempt("wrong 1").status == .unauthorized)
                #expect(try await attempt("wrong 2").status == .unauthorized)  // the 2nd failure starts a 30 s wait
                let waiting = try await attempt(TestProvider.password)
                #expect(waiting.status == .tooManyRequests)
                #expect(waiting.headers[.retryAfter] == "30")
                op.clock.advance(by: 31)
                #expect(try await attempt("wrong 3").status == .unauthorized)  // not reset to zero: now 60 s
                #expect(try await attempt(TestProvider.password).headers[.retryAfter] == "60")
                op.clock.advance(by: 61)
                #expect(try await attempt("wrong 4").status == .unauthorized)  // 120 s, capped at 100
                #expect(try await attempt(TestProvider.password).headers[.retryAfter] == "100")
                op.clock.advance(by: 101)
                let signedIn = try await attempt(TestProvider.password)
                #expect(signedIn.status == .seeOther)
                #expect(try await Self.count(op, "SELECT count(*) FROM login_throttle WHERE key LIKE 'user:%'") == 0)
            }
        }
    }

    @Test("7. a new password or a disabled account ends the user's sessions and revokes their tokens")
    func passwordChangeAndDisableRevoke() async throws {
        for change in ["password", "disable"] {
            try await TestProvider.with { op in
                try await op.createUser()
                let (client, secret) = try await op.createClient { $0.requireConsent = false }
                try await op.app().test(.router) { http in
                    let browser = Browser(http)
                    let tokens = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                    let access = try #require(tokens.json["access_token"] as? String)
                    let refresh = try #require(tokens.json["refresh_token"] as? String)
                    let ok = try await op.userInfo(browser, token: access).status
                    #expect(ok == .ok)
                    if change == "password" {
                        #expect(try await op.deps.users.setPassword(username: "alice", to: "a brand new password"))
                    } else {
                        #expect(try await op.deps.users.setActive(username: "alice", active: false))
                    }
                    let after = try await op.userInfo(browser, token: access).status
                    #expect(after == .unauthorized, "\(change)")
                    let refreshed = try await op.tokenRequest(browser, [
                        ("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", client.clientID), ("client_secret", secret!),
                    ])
                    #expect(refreshed.json["error"] as? String == "invalid_grant", "\(change)")
                    let page = try await browser.get(op.authorizeURI(client))
                    #expect(page.body.contains(#"name="password""#), "\(change): the session ended")
                    #expect(try await Self.count(op, "SELECT count(*) FROM sessions") == 0)
                }
            }
        }
    }

    @Test("8. a username is unique after NFKC: a fullwidth look-alike cannot be created, and signs in as the same account")
    func usernameNFKC() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            await #expect(throws: StoreError.self) {
                _ = try await op.deps.users.create(NewUser(username: "ａｌｉｃｅ", password: "another password"))
            }
            let user = try await op.deps.users.authenticate(username: "ＡＬＩＣＥ", password: TestProvider.password)
            #expect(user?.username == "alice")
        }
    }

    @Test("8. an older scrypt hash is replaced with the current parameters at the next sign-in")
    func hashUpgradedAtSignIn() async throws {
        try await TestProvider.with { op in
            let old = try PasswordHasher(parameters: .init(logN: 5, r: 1, p: 1)).hash("upgrade me please")
            try await op.pool.withConnection { conn in
                try conn.query("INSERT INTO users (username, password_hash) VALUES ('olga', $1)", old)
            }
            #expect(try await op.deps.users.authenticate(username: "olga", password: "upgrade me please") != nil)
            let stored = try await op.pool.withConnection { conn in
                try conn.query("SELECT password_hash FROM users WHERE username = 'olga'").first!.decode(String.self, at: 0)
            }
            #expect(stored.hasPrefix("$scrypt$ln=4,r=1,p=1$"))  // TestProvider's hasher is the "current" one
        }
    }

    @Test("9. max_age=0 behaves as prompt=login: one sign-in, then the code")
    func maxAgeZero() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                _ = try await op.obtainCode(browser, client)
                op.clock.advance(by: 5)
                let asked = try await browser.get(op.authorizeURI(client, extra: [("max_age", "0")]))
                #expect(asked.body.contains(#"name="password""#))
                let done = try await op.submitLogin(browser, on: asked)
                #expect(done.status == .found)
                #expect(FormParameters.ofQuery(try #require(done.location))["code"] != nil)
            }
        }
    }

    @Test("10. id_token_hint: another user's hint asks for a sign-in (login_required with prompt=none); a hint not signed here is invalid_request")
    func idTokenHint() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.createUser("bob", email: nil)
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let bob = Browser(http)
                var page = try await bob.get(op.authorizeURI(client))
                page = try await op.submitLogin(bob, on: page, username: "bob")
                let location = try #require(page.location)
                let code = try #require(FormParameters.ofQuery(location)["code"])
                let exchanged = try await op.exchange(bob, code: code, client: client, secret: secret)
                let bobsHint = try #require(exchanged.json["id_token"] as? String)

                let alice = Browser(http)
                _ = try await op.obtainCode(alice, client)
                let silent = try await alice.get(op.authorizeURI(client, extra: [("prompt", "none"), ("id_token_hint", bobsHint)]))
                #expect(FormParameters.ofQuery(try #require(silent.location))["error"] == "login_required")
                let interactive = try await alice.get(op.authorizeURI(client, extra: [("id_token_hint", bobsHint)]))
                #expect(interactive.body.contains(#"name="password""#))
                let matching = try await bob.get(op.authorizeURI(client, extra: [("prompt", "none"), ("id_token_hint", bobsHint)]))
                #expect(FormParameters.ofQuery(try #require(matching.location))["code"] != nil)

                let parts = bobsHint.split(separator: ".")
                let forged = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
                let refused = try await alice.get(op.authorizeURI(client, extra: [("id_token_hint", String(forged))]))
                #expect(FormParameters.ofQuery(try #require(refused.location))["error"] == "invalid_request")
            }
        }
    }

    @Test("11. /end-session with client_id and an id_token_hint issued to another client signs out but does not redirect")
    func endSessionAudience() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let (other, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let tokens = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                let hint = try #require(tokens.json["id_token"] as? String)
                let out = try await browser.get("/end-session?" + FormParameters.encode([
                    ("id_token_hint", hint), ("client_id", other.clientID), ("post_logout_redirect_uri", "https://rp.example/bye"),
                ]))
                #expect(out.location == nil)
                #expect(out.status == .badRequest)
                #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
        }
    }

    @Test("11. an id_token_hint naming another user than the signed-in one asks to confirm instead of signing out")
    func endSessionHintForAnotherUser() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.createUser("mallory", email: nil)
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let mallory = Browser(http)
                var page = try await mallory.get(op.authorizeURI(client))
                page = try await op.submitLogin(mallory, on: page, username: "mallory")
                let location = try #require(page.location)
                let code = try #require(FormParameters.ofQuery(location)["code"])
                let exchanged = try await op.exchange(mallory, code: code, client: client, secret: secret)
                let mallorysHint = try #require(exchanged.json["id_token"] as? String)

                let alice = Browser(http)
                _ = try await op.obtainCode(alice, client)
                let link = "/end-session?" + FormParameters.encode([
                    ("id_token_hint", mallorysHint), ("post_logout_redirect_uri", "https://rp.example/bye"),
                ])
                let asked = try await alice.get(link)
                #expect(asked.status == .ok)
                #expect(asked.headers[.setCookie] == nil)
                #expect(asked.body.contains("Sign out of Gatehouse?"))
                let stillIn = try await alice.get(op.authorizeURI(client)).status
                #expect(stillIn == .found)
                // Her own confirmation signs her out and returns to the registered URI.
                var form = [("csrf_token", try #require(asked.field("csrf_token")))]
                for name in ["id_token_hint", "post_logout_redirect_uri"] { form.append((name, try #require(asked.field(name)))) }
                let out = try await alice.post("/end-session", form: form)
                #expect(out.location == "https://rp.example/bye")
                #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
        }
    }

    @Test("12. a confidential client accepts client_secret_basic and client_secret_post unless registered with one, which is then enforced")
    func clientAuthMethods() async throws {
        try await TestProvider.with { op in
            let (either, eitherSecret) = try await op.createClient { $0.grantTypes = ["client_credentials"] }
            let (basicOnly, basicSecret) = try await op.createClient {
                $0.grantTypes = ["client_credentials"]; $0.authMethod = "client_secret_basic"
            }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let grant = [("grant_type", "client_credentials")]
                let viaBasic = try await op.tokenRequest(browser, grant, basic: (either.clientID, eitherSecret!))
                #expect(viaBasic.status == .ok)
                let viaPost = try await op.tokenRequest(browser, grant + [("client_id", either.clientID), ("client_secret", eitherSecret!)])
                #expect(viaPost.status == .ok)
                let enforced = try await op.tokenRequest(browser, grant + [("client_id", basicOnly.clientID), ("client_secret", basicSecret!)])
                #expect(enforced.status == .unauthorized)
                #expect(enforced.json["error"] as? String == "invalid_client")
                let allowed = try await op.tokenRequest(browser, grant, basic: (basicOnly.clientID, basicSecret!))
                #expect(allowed.status == .ok)
            }
        }
    }

    @Test("13. prompt=consent shows the consent page to a --no-consent client; without it offline_access is left out of the grant")
    func promptConsentAndOfflineAccess() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let silent = try await op.exchange(browser, code: try await op.obtainCode(browser, client, scope: "openid offline_access"),
                                                   client: client, secret: secret)
                #expect(silent.json["scope"] as? String == "openid")
                let page = try await browser.get(op.authorizeURI(client, scope: "openid offline_access", extra: [("prompt", "consent")]))
                #expect(page.field("request") != nil)
                let allowed = try await op.submitConsent(browser, on: page)
                let location = try #require(allowed.location)
                let code = try #require(FormParameters.ofQuery(location)["code"])
                let consented = try await op.exchange(browser, code: code, client: client, secret: secret)
                #expect(consented.json["scope"] as? String == "openid offline_access")
            }
        }
    }

    @Test("14. cookie-less GET /authorize and GET /login write no database row; the login form works from its signed cookie")
    func noRowsBeforeSignIn() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                for _ in 0..<5 {
                    _ = try await Browser(http).get(op.authorizeURI(client))
                    _ = try await Browser(http).get("/login")
                }
                #expect(try await Self.count(op, "SELECT count(*) FROM sessions") == 0)
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                #expect(browser.cookie("gatehouse_login") != nil)
                #expect(browser.cookie("gatehouse_session") == nil)
                // A token from another browser's cookie, or a tampered cookie, is refused.
                let other = Browser(http)
                _ = try await other.get("/login")
                other.jar = other.jar.map { ($0.name, $0.value) }
                let stolen = try await other.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password), ("csrf_token", try #require(page.field("csrf_token"))),
                ])
                #expect(stolen.status == .forbidden)
                let value = try #require(browser.cookie("gatehouse_login"))
                let tampered = Browser(http)
                tampered.jar = [("gatehouse_login", String(value.dropLast()) + (value.hasSuffix("A") ? "B" : "A"))]
                let refused = try await tampered.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password), ("csrf_token", try #require(page.field("csrf_token"))),
                ])
                #expect(refused.status == .forbidden)
                let signedIn = try await op.submitLogin(browser, on: page)
                #expect(signedIn.field("request") != nil)
                #expect(browser.cookie("gatehouse_login") == nil)
                #expect(try await Self.count(op, "SELECT count(*) FROM sessions") == 1)
            }
        }
    }

    @Test("15. with an https issuer the session cookie is __Host- prefixed; a request with two session cookies is signed out")
    func hostPrefixAndDuplicateCookies() async throws {
        try await TestProvider.with({ $0.issuer = "https://id.example.com" }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                #expect(page.headers[.setCookie]?.hasPrefix("__Host-gatehouse_login=") == true)
                let done = try await op.submitLogin(browser, on: page)
                #expect(done.status == .found)
                let session = try #require(browser.cookie("__Host-gatehouse_session"))
                let setCookie = browser.jar.map(\.name)
                #expect(setCookie == ["__Host-gatehouse_session"])
                // An unprefixed cookie is not read when the issuer is https.
                let plain = Browser(http)
                plain.jar = [("gatehouse_session", session)]
                #expect(try await plain.get(op.authorizeURI(client)).body.contains(#"name="password""#))
                // A second session cookie (planted under another path or domain) signs the request out.
                browser.jar.append(("__Host-gatehouse_session", SecretToken.generate()))
                #expect(try await browser.get(op.authorizeURI(client)).body.contains(#"name="password""#))
            }
        }
    }
}

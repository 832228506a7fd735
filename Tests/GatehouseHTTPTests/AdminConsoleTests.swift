import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The admin console: who may enter, the second factor, and what an admin can do")
struct AdminConsoleTests {
    static let adminPassword = "the admin's long password"

    /// An admin with an authenticator; returns the TOTP.
    func makeAdmin(_ op: TestProvider, _ name: String = "root") async throws -> (User, TOTP) {
        let admin = try await op.deps.users.create(NewUser(username: name, password: Self.adminPassword))
        _ = try await op.deps.users.setAdmin(username: name, admin: true)
        let totp = TOTP.generate()
        try await op.deps.accounts.beginTOTP(userID: admin.id, sealedSecret: try op.deps.box.seal(totp.secret))
        // Enabled a while ago: its step is long past.
        #expect(try await op.deps.accounts.useTOTP(userID: admin.id, step: TOTP.counter(at: op.clock.now) - 10, enable: true,
                                                   recoveryCodeDigests: [], now: op.clock.now))
        return (admin, totp)
    }

    func signIn(_ browser: Browser, _ username: String, _ password: String, next: String = "/admin") async throws {
        let login = try await browser.get("/login?next=" + FormParameters.escape(next))
        let posted = try await browser.post("/login", form: [
            ("username", username), ("password", password),
            ("csrf_token", try #require(login.field("csrf_token"))), ("next", try #require(login.field("next"))),
        ])
        #expect(posted.status == .seeOther, "\(posted.body.prefix(200))")
    }

    @Test("signed out: the login page; a non-admin: 403 on every console path; an admin without an authenticator: 403 with the way to set one up")
    func whoMayEnter() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let anonymous = Browser(http)
                let away = try await anonymous.get("/admin/clients")
                #expect(away.status == .found && away.location == "/login?next=%2Fadmin")

                let alice = Browser(http)
                try await signIn(alice, "alice", TestProvider.password)
                for path in ["/admin", "/admin/clients", "/admin/clients/new", "/admin/users/alice", "/admin/keys", "/admin/audit",
                             "/admin/verify", "/admin/no-such-page"] {
                    let page = try await alice.get(path)
                    #expect(page.status == .forbidden, "\(path): \(page.status)")
                }
                let csrf = try #require(try await alice.get("/account").field("csrf_token"))
                for path in ["/admin/clients", "/admin/users/alice/set-admin", "/admin/verify", "/admin/keys/rotate"] {
                    let page = try await alice.post(path, form: [("csrf_token", csrf), ("code", "000000")])
                    #expect(page.status == .forbidden, "POST \(path): \(page.status)")
                }
                #expect(try await op.deps.users.find(username: "alice")?.isAdmin == false)

                _ = try await op.deps.users.setAdmin(username: "alice", admin: true)
                let noFactor = try await alice.get("/admin")
                #expect(noFactor.status == .forbidden && noFactor.body.contains("/account"))
            }
        }
    }

    @Test("an admin passes the second factor by POST only; a wrong code is refused and audited; the console lapses after OIDC_ADMIN_SESSION_EXPIRE without use; a recovery code works once")
    func secondFactor() async throws {
        try await TestProvider.with({ $0.adminSessionExpire = .seconds(900) }) { op in
            let (admin, totp) = try await makeAdmin(op)
            let codes = RecoveryCodes.generate()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                try await signIn(browser, "root", Self.adminPassword)
                var page = try await browser.get("/admin")
                #expect(page.status == .seeOther && page.location == "/admin/verify")
                page = try await browser.get("/admin/verify")
                #expect(page.status == .ok)
                #expect(try await browser.get("/admin").status == .seeOther)  // a GET never upgrades
                let csrf = try #require(page.field("csrf_token"))
                let wrong = try await browser.post("/admin/verify", form: [("csrf_token", csrf), ("code", "000000")])
                #expect(wrong.status == .unauthorized)
                let noCSRF = try await browser.post("/admin/verify", form: [("code", totp.code(at: op.clock.now))])
                #expect(noCSRF.status == .forbidden)
                let right = try await browser.post("/admin/verify", form: [("csrf_token", csrf), ("code", totp.code(at: op.clock.now))])
                #expect(right.status == .seeOther && right.location == "/admin")
                page = try await browser.get("/admin")
                #expect(page.status == .ok && page.body.contains("Overview"))
                #expect(page.headers[.cacheControl] == "no-store" && page.headers[.xFrameOptions] == "DENY")
                #expect(page.headers[.contentSecurityPolicy]?.contains("script-src") == false)

                op.clock.advance(by: 600)
                #expect(try await browser.get("/admin").status == .ok)  // used within 900 s: still open
                op.clock.advance(by: 901)
                #expect(try await browser.get("/admin").location == "/admin/verify")
                // The same code again: refused (used once). A recovery code works once.
                #expect(try await op.deps.accounts.useTOTP(userID: admin.id, step: TOTP.counter(at: op.clock.now) + 1, enable: false,
                                                           recoveryCodeDigests: codes.map(RecoveryCodes.digest), now: op.clock.now))
                let recovered = try await browser.post("/admin/verify", form: [("csrf_token", csrf), ("code", codes[3].uppercased())])
                #expect(recovered.location == "/admin")
                op.clock.advance(by: 1000)
                let reused = try await browser.post("/admin/verify", form: [("csrf_token", csrf), ("code", codes[3])])
                #expect(reused.status == .unauthorized)
                let log = try await op.deps.audit.list(AuditQuery(target: "user:root")).map(\.action)
                #expect(log.filter { $0 == .consoleEntered }.count == 2 && log.filter { $0 == .consoleSecondFactorFailed }.count == 2)
            }
        }
    }

    /// A browser signed in as the admin and past the second factor.
    func console(_ op: TestProvider, _ http: any TestClientProtocol, _ totp: TOTP) async throws -> (Browser, String) {
        let browser = Browser(http)
        try await signIn(browser, "root", Self.adminPassword)
        let verify = try await browser.get("/admin/verify")
        let csrf = try #require(verify.field("csrf_token"))
        let passed = try await browser.post("/admin/verify", form: [("csrf_token", csrf), ("code", totp.code(at: op.clock.now))])
        #expect(passed.location == "/admin")
        return (browser, csrf)
    }

    @Test("create a client and use its shown secret at /token; names escaped; deleting asks for the password once the sign-in is five minutes old")
    func clients() async throws {
        try await TestProvider.with { op in
            let (_, totp) = try await makeAdmin(op)
            try await op.app().test(.router) { http in
                let (admin, csrf) = try await console(op, http, totp)
                let name = "Q\"uote <b> & é\u{301}"
                let created = try await admin.post("/admin/clients", form: [
                    ("csrf_token", csrf), ("name", name), ("redirect_uris", "https://rp.example/cb"), ("type", "confidential"),
                    ("grant_types", "authorization_code refresh_token client_credentials"), ("scopes", "openid api"),
                    ("require_consent", "on"), ("reuse_consent", "on"), ("id_token_alg", "RS256"), ("token_endpoint_auth_method", ""),
                ])
                #expect(created.status == .ok, "\(created.body.prefix(400))")
                let clientID = try #require(created.body.components(separatedBy: "<dt>client_id</dt><dd><code>").dropFirst().first?
                    .components(separatedBy: "<").first)
                let secret = try #require(created.body.components(separatedBy: "class=\"secret-value\">").dropFirst().first?
                    .components(separatedBy: "<").first)
                let token = try await op.tokenRequest(admin, [("grant_type", "client_credentials"), ("scope", "api")],
                                                      basic: (clientID, secret))
                #expect(token.status == .ok, "\(token.json)")

                let list = try await admin.get("/admin/clients?q=uote")
                #expect(list.body.contains("Q&quot;uote &lt;b&gt; &amp; é\u{301}"))
                #expect(!list.body.contains("<b>"))

                let invalid = try await admin.post("/admin/clients", form: [("csrf_token", csrf), ("name", "X"),
                                                                            ("redirect_uris", "http://evil.example/cb")])
                #expect(invalid.status == .badRequest && invalid.body.contains("plain http"))

                // Edit: HS256 needs the secret itself, so switching to it is refused; other changes are saved.
                func edit(_ alg: String) async throws -> Browser.Page {
                    try await admin.post("/admin/clients/\(clientID)/edit", form: [
                        ("csrf_token", csrf), ("name", "Renamed"), ("redirect_uris", "https://rp.example/cb2\nhttps://rp.example/cb3"),
                        ("grant_types", "authorization_code refresh_token client_credentials"), ("scopes", "openid api"),
                        ("id_token_alg", alg), ("require_consent", "on")])
                }
                let hs = try await edit("HS256")
                #expect(hs.status == .badRequest && hs.body.contains("HS256"))
                let saved = try await edit("ES256")
                #expect(saved.status == .seeOther && saved.location == "/admin/clients/\(clientID)?done=updated")
                #expect(try await admin.get(try #require(saved.location)).body.contains("Saved."))
                let stored = try #require(try await op.deps.clients.find(clientID: clientID))
                #expect(stored.name == "Renamed" && stored.redirectURIs == ["https://rp.example/cb2", "https://rp.example/cb3"])
                #expect(stored.idTokenAlgorithm == .es256 && !stored.reuseConsent && stored.requireConsent)
                #expect(try await op.tokenRequest(admin, [("grant_type", "client_credentials"), ("scope", "api")],
                                                  basic: (clientID, secret)).status == .ok)  // the secret stays

                op.clock.advance(by: 301)
                let refused = try await admin.post("/admin/clients/\(clientID)/delete", form: [("csrf_token", csrf)])
                #expect(refused.status == .forbidden && refused.body.contains("password"))
                #expect(try await op.deps.clients.find(clientID: clientID) != nil)
                let deleted = try await admin.post("/admin/clients/\(clientID)/delete", form: [("csrf_token", csrf), ("password", Self.adminPassword)])
                #expect(deleted.status == .seeOther)
                #expect(try await op.deps.clients.find(clientID: clientID) == nil)
                let actions = try await op.deps.audit.list(AuditQuery(actor: "user:root")).map(\.action)
                #expect(actions.contains(.clientCreated) && actions.contains(.clientDeleted))
            }
        }
    }

    @Test("disabling a user ends their session and tokens; revoking a grant from their page stops the refresh token")
    func users() async throws {
        try await TestProvider.with { op in
            let (_, totp) = try await makeAdmin(op)
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let rp = Browser(http)
                let code = try await op.obtainCode(rp, client, scope: "openid email offline_access")
                let tokens = try await op.exchange(rp, code: code, client: client, secret: secret)
                let refresh = try #require(tokens.json["refresh_token"] as? String)
                let access = try #require(tokens.json["access_token"] as? String)
                #expect(try await op.userInfo(rp, token: access).status == .ok)

                let (admin, csrf) = try await console(op, http, totp)
                let page = try await admin.get("/admin/users/alice")
                #expect(page.status == .ok && page.body.contains("Demo RP"))

                // Profile and custom claims.
                let profile = try await admin.post("/admin/users/alice/profile", form: [
                    ("csrf_token", csrf), ("given_name", "Alicia"), ("family_name", "Liddell"), ("email", "alicia@example.org"),
                    ("email_verified", "on"), ("phone_number", "+44 20 7946 0000")])
                #expect(profile.status == .seeOther)
                let edited = try #require(try await op.deps.users.find(username: "alice"))
                #expect(edited.profile.name == "Alicia Liddell" && edited.profile.email == "alicia@example.org" && edited.profile.emailVerified)
                let badEmail = try await admin.post("/admin/users/alice/profile", form: [("csrf_token", csrf), ("email", "not an address")])
                #expect(badEmail.status == .badRequest)
                #expect(try await admin.post("/admin/users/alice/set-claim", form: [("csrf_token", csrf), ("claim", "groups"),
                                                                                   ("value", #"["staff"]"#)]).status == .seeOther)
                #expect(try await op.deps.users.find(username: "alice")?.claims["groups"] != nil)
                let reserved = try await admin.post("/admin/users/alice/set-claim", form: [("csrf_token", csrf), ("claim", "email"), ("value", "x")])
                #expect(reserved.status == .badRequest)
                #expect(try await admin.post("/admin/users/alice/unset-claim", form: [("csrf_token", csrf), ("claim", "groups")]).status == .seeOther)
                #expect(try await op.deps.users.find(username: "alice")?.claims["groups"] == nil)
                let revoked = try await admin.post("/admin/users/alice/revoke", form: [("csrf_token", csrf), ("client_id", client.clientID)])
                #expect(revoked.status == .seeOther)
                let reuse = try await op.tokenRequest(rp, [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                                                      basic: (client.clientID, try #require(secret)))
                #expect(reuse.json["error"] as? String == "invalid_grant")

                let code2 = try await op.obtainCode(rp, client, scope: "openid email")
                let access2 = try #require(try await op.exchange(rp, code: code2, client: client, secret: secret).json["access_token"] as? String)
                let disabled = try await admin.post("/admin/users/alice/disable", form: [("csrf_token", csrf)])
                #expect(disabled.status == .seeOther)
                #expect(try await op.userInfo(rp, token: access2).status == .unauthorized)
                #expect(try await rp.get(op.authorizeURI(client)).body.contains("name=\"password\""))  // signed out
                let actions = try await op.deps.audit.list(AuditQuery(target: "user:alice")).map(\.action)
                #expect(actions.contains(.userDisabled) && actions.contains(.accessWithdrawn))
            }
        }
    }
}

import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("The account page: applications, sessions, password and authenticator")
struct AccountPageTests {
    static func handle(of sessionID: String) -> String {
        SecretToken.digest(of: sessionID).map { String(format: "%02x", $0) }.joined()
    }

    /// Signs `browser` in through /login with next=/account and returns the account page.
    func signIn(_ op: TestProvider, _ browser: Browser, password: String = TestProvider.password) async throws -> Browser.Page {
        let away = try await browser.get("/account")
        #expect(away.status == .found && away.location == "/login?next=%2Faccount")
        let login = try await browser.get(try #require(away.location))
        let posted = try await browser.post("/login", form: [
            ("username", "alice"), ("password", password),
            ("csrf_token", try #require(login.field("csrf_token"))), ("next", try #require(login.field("next"))),
        ])
        #expect(posted.status == .seeOther && posted.location == "/account")
        return try await browser.get("/account")
    }

    @Test("withdrawing an application revokes its refresh token and forgets the consent; sessions can be signed out; forms need the CSRF token")
    func applicationsAndSessions() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.name = "Photo <Book> & Co" }
            try await op.app().test(.router) { http in
                let rp = Browser(http)
                let code = try await op.obtainCode(rp, client, scope: "openid email offline_access")
                let tokens = try await op.exchange(rp, code: code, client: client, secret: secret)
                let refresh = try #require(tokens.json["refresh_token"] as? String)

                let me = Browser(http)
                var page = try await signIn(op, me)
                #expect(page.status == .ok)
                #expect(page.body.contains("Photo &lt;Book&gt; &amp; Co"))
                #expect(page.headers[.cacheControl] == "no-store" && page.headers[.xFrameOptions] == "DENY")
                let csrf = try #require(page.field("csrf_token"))

                // No CSRF token, or another session's: refused, nothing changes.
                #expect(try await me.post("/account/applications/withdraw", form: [("client_id", client.clientID)]).status != .seeOther)
                let done = try await me.post("/account/applications/withdraw", form: [("csrf_token", csrf), ("client_id", client.clientID)])
                #expect(done.status == .seeOther && done.location == "/account?done=withdrawn")
                page = try await me.get(try #require(done.location))
                #expect(page.body.contains("Access withdrawn") && !page.body.contains("Photo &lt;Book&gt;"))
                let reuse = try await op.tokenRequest(rp, [("grant_type", "refresh_token"), ("refresh_token", refresh)],
                                                      basic: (client.clientID, try #require(secret)))
                #expect(reuse.status == .badRequest && reuse.json["error"] as? String == "invalid_grant")
                // The consent is forgotten: the next sign-in asks again.
                let again = try await rp.get(op.authorizeURI(client, scope: "openid email"))
                #expect(again.field("request") != nil, "the consent page")

                // The RP's browser session is listed beside this one; signing it out ends it.
                let other = try #require(page.body.components(separatedBy: "name=\"session\" value=\"").dropFirst()
                    .map { String($0.prefix(64)) }.first { $0 != Self.handle(of: me.cookie("gatehouse_session") ?? "") })
                let out = try await me.post("/account/sessions/end", form: [("csrf_token", csrf), ("session", other)])
                #expect(out.location == "/account?done=signed-out")
                let rpAgain = try await rp.get(op.authorizeURI(client))
                #expect(rpAgain.body.contains("name=\"password\""), "the RP's browser must sign in again")
                let bogus = try await me.post("/account/sessions/end", form: [("csrf_token", csrf), ("session", String(repeating: "0", count: 64))])
                #expect(bogus.status == .badRequest)
            }
        }
    }

    @Test("an authenticator: the key is shown, a wrong code is refused, the right one turns it on once with ten recovery codes; removing needs the password")
    func authenticator() async throws {
        try await TestProvider.with { op in
            let user = try await op.createUser()
            try await op.app().test(.router) { http in
                let me = Browser(http)
                var page = try await signIn(op, me)
                #expect(page.body.contains("Set up an authenticator"))
                let csrf = try #require(page.field("csrf_token"))
                page = try await me.post("/account/totp/start", form: [("csrf_token", csrf)])
                #expect(page.status == .ok)
                let stored = try #require(try await op.deps.accounts.totpSecret(userID: user.id))
                #expect(!stored.enabled)
                let totp = TOTP(secret: try op.deps.box.open(stored.sealed))
                #expect(page.body.contains(String(totp.base32Secret.prefix(4))) && page.body.contains("otpauth://totp/"))
                let wrong = try await me.post("/account/totp/confirm", form: [("csrf_token", csrf), ("code", "000000")])
                #expect(wrong.status == .badRequest && wrong.body.contains("not the one"))
                let right = try await me.post("/account/totp/confirm", form: [("csrf_token", csrf), ("code", totp.code(at: op.clock.now))])
                #expect(right.status == .ok)
                let codes = right.body.components(separatedBy: "<li><code>").dropFirst().map { String($0.prefix(11)) }
                #expect(codes.count == 10)
                page = try await me.get("/account")
                #expect(page.body.contains("Recovery codes left: 10"))
                // The same code cannot be used again.
                #expect(try await op.deps.accounts.useTOTP(userID: user.id, step: TOTP.counter(at: op.clock.now), enable: false,
                                                           recoveryCodeDigests: [], now: op.clock.now) == false)
                #expect(try await op.deps.accounts.useRecoveryCode(userID: user.id, digest: RecoveryCodes.digest(codes[0]), now: op.clock.now))
                #expect(try await op.deps.accounts.useRecoveryCode(userID: user.id, digest: RecoveryCodes.digest(codes[0]), now: op.clock.now) == false)

                let refused = try await me.post("/account/totp/remove", form: [("csrf_token", csrf), ("password", "wrong")])
                #expect(refused.status == .badRequest && refused.body.contains("authenticator stays"))
                let removed = try await me.post("/account/totp/remove", form: [("csrf_token", csrf), ("password", TestProvider.password)])
                #expect(removed.location == "/account?done=totp-removed")
                #expect(try await op.deps.accounts.secondFactor(userID: user.id) == SecondFactorStatus(enabledAt: nil, recoveryCodesLeft: 0))
            }
        }
    }

    @Test("changing the password needs the current one, matching new ones and the length rule; then every session ends")
    func password() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let me = Browser(http)
                let page = try await signIn(op, me)
                let csrf = try #require(page.field("csrf_token"))
                func change(_ current: String, _ new: String, _ confirm: String) async throws -> Browser.Page {
                    try await me.post("/account/password", form: [("csrf_token", csrf), ("current_password", current),
                                                                  ("new_password", new), ("confirm_password", confirm)])
                }
                #expect(try await change("wrong", "a new long password", "a new long password").body.contains("current password is not right"))
                #expect(try await change(TestProvider.password, "a new long password", "another").body.contains("differ"))
                #expect(try await change(TestProvider.password, "short", "short").status == .badRequest)
                let changed = try await change(TestProvider.password, "a new long password", "a new long password")
                #expect(changed.status == .ok && changed.body.contains("Password changed"))
                #expect(try await me.get("/account").status == .found)  // signed out
                #expect(try await op.deps.users.authenticate(username: "alice", password: "a new long password") != nil)
            }
        }
    }
}

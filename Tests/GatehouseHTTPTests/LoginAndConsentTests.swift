import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Login and consent pages")
struct LoginAndConsentTests {
    @Test("pages carry anti-framing, CSP, referrer and no-store headers, a lang attribute and labelled fields")
    func pageHeaders() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get(op.authorizeURI(client))
                #expect(page.status == .ok)
                #expect(page.headers[.xFrameOptions] == "DENY")
                #expect(page.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                // form-action would block the redirect after the login and consent POSTs in Chrome and Safari.
                #expect(page.headers[.contentSecurityPolicy]?.contains("form-action") == false)
                #expect(page.headers[.referrerPolicy] == "no-referrer")
                #expect(page.headers[.cacheControl] == "no-store")
                #expect(page.body.contains("<html lang=\"en\">"))
                #expect(page.body.contains("<label for=\"username\">") && page.body.contains("name=\"username\""))
                #expect(page.body.contains("<label for=\"password\">") && page.body.contains("name=\"password\""))
                #expect(page.field("csrf_token")?.isEmpty == false)
            }
        }
    }

    @Test("the session cookie is HttpOnly and SameSite=Lax, and Secure when the issuer is https")
    func cookieFlags() async throws {
        for (issuer, secure) in [("http://localhost:8000", false), ("https://id.example.com", true)] {
            try await TestProvider.with({ $0.issuer = issuer }) { op in
                let (client, _) = try await op.createClient()
                try await op.app().test(.router) { http in
                    let page = try await Browser(http).get(op.authorizeURI(client))
                    let cookie = try #require(page.headers[.setCookie])
                    #expect(cookie.contains("HttpOnly"))
                    #expect(cookie.contains("SameSite=Lax"))
                    #expect(cookie.contains("Secure") == secure)
                }
            }
        }
    }

    @Test("a login form without the session's CSRF token is refused")
    func csrfRequired() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                let forged = try await browser.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password), ("csrf_token", "forged"), ("next", page.field("next")!),
                ])
                #expect(forged.status == .forbidden)
                let other = Browser(http)  // another browser, another session: the token does not transfer
                let stolen = try await other.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password), ("csrf_token", page.field("csrf_token")!),
                ])
                #expect(stolen.status == .forbidden)
            }
        }
    }

    @Test("a consent form without the session's CSRF token is refused and issues no code")
    func consentCSRF() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let consent = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client)))
                let forged = try await browser.post("/consent", form: [
                    ("csrf_token", "forged"), ("request", try #require(consent.field("request"))), ("allow", "allow"),
                ])
                #expect(forged.status == .forbidden)
                #expect(forged.location == nil)
            }
        }
    }

    @Test("login_hint fills in the username field")
    func loginHint() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get(op.authorizeURI(client, extra: [("login_hint", "alice@example.com")]))
                #expect(page.field("username") == "alice@example.com")
            }
        }
    }

    @Test("an unknown user and a wrong password get the same message")
    func sameMessage() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                let wrongPassword = try await op.submitLogin(browser, on: page, password: "nope")
                let unknownUser = try await op.submitLogin(browser, on: page, username: "mallory", password: "nope")
                #expect(wrongPassword.status == .unauthorized)
                #expect(unknownUser.status == .unauthorized)
                func message(_ p: Browser.Page) -> String? {
                    p.body.range(of: "role=\"alert\">").map { String(p.body[$0.upperBound...].prefix(while: { $0 != "<" })) }
                }
                #expect(message(wrongPassword) != nil)
                #expect(message(wrongPassword) == message(unknownUser))
            }
        }
    }

    @Test("failed logins are rate limited per username with 429 and Retry-After")
    func throttled() async throws {
        try await TestProvider.with({ $0.loginMaxFailures = 3; $0.loginLockout = .seconds(30) }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                for _ in 0..<3 { _ = try await op.submitLogin(browser, on: page, password: "wrong") }
                let blocked = try await op.submitLogin(browser, on: page)  // even the right password waits
                #expect(blocked.status == .tooManyRequests)
                #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
                op.clock.advance(by: 31)
                let after = try await op.submitLogin(browser, on: page)
                #expect(after.status == .ok)  // the consent page
                #expect(after.field("request") != nil)
            }
        }
    }

    @Test("consent names the client and the scopes in plain words, HTML-escaped")
    func consentPage() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.name = "<script>alert(1)</script> & Co" }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let consent = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client, scope: "openid email")))
                #expect(!consent.body.contains("<script>alert(1)</script>"))
                #expect(consent.body.contains("&lt;script&gt;"))
                #expect(consent.body.contains("See your email address"))
                #expect(consent.body.contains("name=\"allow\"") && consent.body.contains("name=\"deny\""))
                #expect(consent.headers[.xFrameOptions] == "DENY")
            }
        }
    }

    @Test("denying consent redirects with access_denied and the state")
    func deny() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let consent = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client)))
                let denied = try await op.submitConsent(browser, on: consent, allow: false)
                #expect(denied.status == .found)
                let query = FormParameters.ofQuery(denied.location ?? "")
                #expect(query["error"] == "access_denied")
                #expect(query["state"] == "123123")
            }
        }
    }

    @Test("a remembered consent skips the page until it expires; prompt=consent asks again")
    func rememberedConsent() async throws {
        try await TestProvider.with({ $0.skipConsentExpire = .days(2) }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                _ = try await op.obtainCode(browser, client)
                let again = try await browser.get(op.authorizeURI(client))
                #expect(again.status == .found)
                #expect(FormParameters.ofQuery(again.location ?? "")["code"] != nil)
                // Narrower scopes are covered too; wider ones are not.
                let subsetStatus = try await browser.get(op.authorizeURI(client, scope: "openid")).status
                #expect(subsetStatus == .found)
                let widerScopeForm = try await browser.get(op.authorizeURI(client, scope: "openid email profile phone")).field("request")
                #expect(widerScopeForm != nil)
                let promptConsentForm = try await browser.get(op.authorizeURI(client, extra: [("prompt", "consent")])).field("request")
                #expect(promptConsentForm != nil)
                op.clock.advance(by: 2 * 86_400 + 1)
                let expired = try await browser.get(op.authorizeURI(client))
                // The browser session has expired too after two days: sign in again, then consent shows.
                let next = expired.field("request") != nil ? expired : try await op.submitLogin(browser, on: expired)
                #expect(next.field("request") != nil)
            }
        }
    }

    @Test("after a consent expires and the sweep deletes it, the consent page shows again")
    func sweptConsent() async throws {
        try await TestProvider.with({ $0.skipConsentExpire = .days(1); $0.sessionExpire = .days(10) }) { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                _ = try await op.obtainCode(browser, client)
                let stored = try await op.pool.withConnection { try $0.query("SELECT count(*) FROM consents").first!.decode(Int.self, at: 0) }
                #expect(stored == 1)
                op.clock.advance(by: 86_401)
                let sweepPool = op.db.makePool(size: 1)
                let report = try await ExpirySweeper(pool: sweepPool, clock: op.clock).sweep()
                await sweepPool.shutdown()
                #expect(report.rows["consents"] == 1)
                let page = try await browser.get(op.authorizeURI(client))
                #expect(page.field("request") != nil)
            }
        }
    }

    @Test("a client that does not require consent gets the code right after login")
    func noConsentClient() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let afterLogin = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client)))
                #expect(afterLogin.status == .found)
                #expect(FormParameters.ofQuery(afterLogin.location ?? "")["code"] != nil)
            }
        }
    }

    @Test("prompt=login and an exceeded max_age ask for the password again")
    func reauthentication() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                _ = try await op.obtainCode(browser, client)
                let forced = try await browser.get(op.authorizeURI(client, extra: [("prompt", "login")]))
                #expect(forced.body.contains("name=\"password\""))
                let done = try await op.submitLogin(browser, on: forced)
                #expect(done.status == .found)  // no loop back to the login page
                op.clock.advance(by: 120)
                let stale = try await browser.get(op.authorizeURI(client, extra: [("max_age", "60")]))
                #expect(stale.body.contains("name=\"password\""))
                let fresh = try await browser.get(op.authorizeURI(client, extra: [("max_age", "600")]))
                #expect(fresh.status == .found)
            }
        }
    }

    @Test("redirects are 302 or 303, never 307")
    func redirectStatuses() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                let login = try await browser.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password),
                    ("csrf_token", page.field("csrf_token")!), ("next", page.field("next")!),
                ])
                #expect(login.status == .seeOther)
                let consent = try await browser.get(login.location!)
                let code = try await op.submitConsent(browser, on: consent)
                #expect(code.status == .found)
            }
        }
    }

    @Test("the login page's next must be a local /authorize URL")
    func noOpenRedirect() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get("/login?next=" + FormParameters.escape("https://evil.example/"))
                #expect(page.field("next") == "")
                let posted = try await browser.post("/login", form: [
                    ("username", "alice"), ("password", TestProvider.password),
                    ("csrf_token", page.field("csrf_token")!), ("next", "//evil.example/authorize?x"),
                ])
                #expect(posted.location == nil)
                #expect(posted.status == .ok)
            }
        }
    }

    @Test("templates can be overridden from OIDC_TEMPLATES_DIR")
    func templateOverride() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-tpl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "<html lang=\"en\"><p>Custom error: {{message}}</p></html>".write(
            to: dir.appendingPathComponent("error.mustache"), atomically: true, encoding: .utf8)
        try await TestProvider.with({ $0.templatesDirectory = dir.path }) { op in
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get("/authorize?client_id=nobody")
                #expect(page.body.contains("Custom error: "))
            }
        }
    }
}

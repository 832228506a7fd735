import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Review findings 1-4 and 16: what the pages show and the headers every answer carries.
@Suite("Hardening: pages and headers")
struct PageHardeningTests {
    /// Text that breaks out of an attribute or into markup when escaped per grapheme.
    static let hostile = ["\"\u{301} autofocus onfocus=alert(1) x=\"", "<img src=x>\u{338}", "&amp;\u{20D2}'", "a\u{200D}\"b"]

    /// No raw quote, angle bracket or apostrophe of `value` in `body`, scalar by scalar.
    static func reflectsRaw(_ value: String, in body: String) -> Bool {
        let needle = Array(value.unicodeScalars)
        let hay = Array(body.unicodeScalars)
        guard needle.count <= hay.count else { return false }
        return (0...(hay.count - needle.count)).contains { Array(hay[$0..<($0 + needle.count)]) == needle }
    }

    @Test("1. every echoed value (login_hint, next, username) is escaped per Unicode scalar, combining marks included")
    func echoedValuesEscaped() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                for value in Self.hostile {
                    let browser = Browser(http)
                    let hinted = try await browser.get(op.authorizeURI(client, extra: [("login_hint", value)]))
                    #expect(hinted.status == .ok)
                    #expect(!Self.reflectsRaw(value, in: hinted.body), "login_hint \(value.debugDescription)")
                    let next = "/authorize?client_id=\(client.clientID)&state=" + FormParameters.escape(value)
                    let login = try await browser.get("/login?next=" + FormParameters.escape(next))
                    #expect(!Self.reflectsRaw(value, in: login.body), "next \(value.debugDescription)")
                    let failed = try await browser.post("/login", form: [
                        ("username", value), ("password", "wrong password"), ("csrf_token", try #require(login.field("csrf_token"))),
                        ("next", next),
                    ])
                    #expect(failed.status == .unauthorized)
                    #expect(!Self.reflectsRaw(value, in: failed.body), "username \(value.debugDescription)")
                }
            }
        }
    }

    @Test("1. templates from OIDC_TEMPLATES_DIR are escaped per scalar too, even one that names the HTML content type")
    func overridesEscaped() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"<form><input name="username" value="{{username}}"><input name="csrf_token" value="{{csrf_token}}"></form>"#
            .write(to: dir.appendingPathComponent("login.mustache"), atomically: true, encoding: .utf8)
        try #"{{% CONTENT_TYPE: HTML}}<p title="{{message}}">{{title}}</p>"#
            .write(to: dir.appendingPathComponent("error.mustache"), atomically: true, encoding: .utf8)
        try await TestProvider.with({ $0.templatesDirectory = dir.path }) { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                for value in Self.hostile {
                    let page = try await Browser(http).get(op.authorizeURI(client, extra: [("login_hint", value)]))
                    #expect(page.body.hasPrefix("<form>"))
                    #expect(!Self.reflectsRaw(value, in: page.body))
                }
                let error = try await Browser(http).get("/authorize?client_id=nope")
                #expect(error.body.hasPrefix("<p title="))
            }
        }
    }

    @Test("2. the pages' CSP has no 'unsafe-inline': the stylesheet is a file with a year-long cache, linked by a content digest")
    func noInlineStyle() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get(op.authorizeURI(client))
                let csp = try #require(page.headers[.contentSecurityPolicy])
                #expect(!csp.contains("unsafe-inline"))
                #expect(csp.contains("style-src 'self'"))
                #expect(!page.body.contains("<style"))
                #expect(!page.body.contains("style="))
                let href = try #require(page.body.range(of: #"href="/static/gatehouse.css?v="#))
                let link = String(page.body[page.body.index(href.lowerBound, offsetBy: 6)...].prefix { $0 != "\"" })
                let css = try await Browser(http).get(link)
                #expect(css.status == .ok)
                #expect(css.headers[.contentType] == "text/css; charset=utf-8")
                #expect(css.headers[.cacheControl]?.contains("max-age=31536000") == true)
                #expect(css.body.contains("font-family"))
            }
        }
    }

    @Test("3. error pages do not echo the request: an unknown client_id is not repeated, the wording is fixed with a next step")
    func errorPagesDoNotEcho() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let sentence = "Your account is suspended, call +1 555 0199 now"
                let page = try await Browser(http).get("/authorize?" + FormParameters.encode([
                    ("client_id", sentence), ("redirect_uri", "https://evil.example/"), ("response_type", "code"),
                ]))
                #expect(page.status == .badRequest)
                #expect(!page.body.contains("suspended"))
                #expect(!page.body.contains("evil.example"))
                #expect(page.body.contains("Go back to the application and try again."))
                #expect(page.body.contains("Error: invalid_request"))
            }
        }
    }

    @Test("4. pages declare an icon that /favicon.ico serves, and name the provider from OIDC_SITE_NAME")
    func iconAndSiteName() async throws {
        try await TestProvider.with({ $0.siteName = "Acme <Sign-in>" }) { op in
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get(op.authorizeURI(client))
                #expect(page.body.contains(#"<link rel="icon" href="/favicon.ico""#))
                #expect(page.body.contains("Acme &lt;Sign-in&gt;"))
                #expect(page.body.contains("<title>Sign in · Acme &lt;Sign-in&gt;</title>"))
                let icon = try await Browser(http).get("/favicon.ico")
                #expect(icon.status == .ok)
                #expect(icon.headers[.contentType] == "image/x-icon")
            }
            #expect(try Settings.load(from: [:]).siteName == "Gatehouse")
            #expect(try Settings.load(from: ["OIDC_SITE_NAME": "Acme ID"]).siteName == "Acme ID")
        }
    }

    @Test("4. the consent page shows where the user will be sent, a 'Not you?' link that asks for a sign-in, and how to withdraw access")
    func consentPageTellsTheUser() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let consent = try await op.submitLogin(browser, on: try await browser.get(
                    op.authorizeURI(client, redirectURI: "https://rp.example/cb")))
                #expect(consent.body.contains("You will be sent to <strong>rp.example</strong>"))
                #expect(consent.body.contains("Not you? Sign in as someone else"))
                #expect(consent.body.contains("withdraw this access later"))
                let start = try #require(consent.body.range(of: #"<a href=""#))
                let link = HTML.unescape(String(consent.body[start.upperBound...].prefix { $0 != "\"" }))
                #expect(FormParameters.ofQuery(link)["prompt"] == "login")
                let again = try await browser.get(link)
                #expect(again.body.contains(#"name="password""#))
            }
        }
    }

    @Test("16. HEAD and OPTIONS on /token answer 405 with Allow: POST; every 4xx and 5xx, 404 and 413 included, carries nosniff")
    func methodsAndNosniff() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                for method: HTTPRequest.Method in [.head, .options, .get] {
                    let response = try await http.execute(uri: "/token", method: method)
                    #expect(response.status == .methodNotAllowed, "\(method)")
                    #expect(response.headers[.allow] == "POST")
                    #expect(response.headers[.xContentTypeOptions] == "nosniff")
                }
                let missing = try await http.execute(uri: "/no-such-page", method: .get)
                #expect(missing.status == .notFound)
                #expect(missing.headers[.xContentTypeOptions] == "nosniff")
                var headers = HTTPFields()
                headers[.contentType] = "application/x-www-form-urlencoded"
                for path in ["/token", "/login"] {
                    let large = try await http.execute(uri: path, method: .post, headers: headers,
                                                       body: ByteBuffer(string: "a=" + String(repeating: "x", count: 70_000)))
                    #expect(large.status == .contentTooLarge, "\(path)")
                    #expect(large.headers[.xContentTypeOptions] == "nosniff")
                }
            }
        }
    }

    @Test("16. with an https issuer every response carries HSTS; with http none does")
    func hsts() async throws {
        for (issuer, expected) in [("https://id.example.com", true), ("http://localhost:8000", false)] {
            try await TestProvider.with({ $0.issuer = issuer }) { op in
                try await op.app().test(.router) { http in
                    for path in ["/.well-known/openid-configuration", "/jwks", "/no-such-page", "/login", "/favicon.ico"] {
                        let response = try await http.execute(uri: path, method: .get)
                        #expect((response.headers[.strictTransportSecurity]?.contains("max-age=63072000") == true) == expected, "\(path)")
                    }
                }
            }
        }
    }
}

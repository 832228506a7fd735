import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Testing

/// The browser side of the code flow, for tests.
extension TestProvider {
    func authorizeURI(_ client: Client, scope: String = "openid email profile", state: String = "123123",
                      redirectURI: String = "http://example.org/", extra: [(String, String)] = []) -> String {
        "/authorize?" + FormParameters.encode([
            ("client_id", client.clientID), ("redirect_uri", redirectURI), ("response_type", "code"),
            ("scope", scope), ("state", state),
        ] + extra)
    }

    /// Submits the login form shown on `page` and follows the redirect back to /authorize.
    func submitLogin(_ browser: Browser, on page: Browser.Page, username: String = "alice",
                     password: String = TestProvider.password) async throws -> Browser.Page {
        let posted = try await browser.post("/login", form: [
            ("username", username), ("password", password),
            ("csrf_token", try #require(page.field("csrf_token"))), ("next", page.field("next") ?? ""),
        ])
        guard posted.status == .seeOther, let next = posted.location else { return posted }
        return try await browser.get(next)
    }

    /// Answers the consent page shown on `page`.
    func submitConsent(_ browser: Browser, on page: Browser.Page, allow: Bool = true) async throws -> Browser.Page {
        try await browser.post("/consent", form: [
            ("csrf_token", try #require(page.field("csrf_token"))), ("request", try #require(page.field("request"))),
            (allow ? "allow" : "deny", allow ? "allow" : "deny"),
        ])
    }

    /// The whole browser part: sign in, consent if asked, and return the code.
    func obtainCode(_ browser: Browser, _ client: Client, scope: String = "openid email profile",
                    extra: [(String, String)] = []) async throws -> String {
        var page = try await browser.get(authorizeURI(client, scope: scope, extra: extra))
        if page.field("password") != nil || page.body.contains("name=\"password\"") {
            page = try await submitLogin(browser, on: page)
        }
        if page.field("request") != nil {
            page = try await submitConsent(browser, on: page)
        }
        #expect(page.status == .found, "expected a redirect to the client, got \(page.status): \(page.body.prefix(300))")
        let location = try #require(page.location)
        let query = FormParameters.ofQuery(location)
        return try #require(query["code"], "no code in \(location)")
    }

    /// POSTs to /token and returns the status, headers and JSON object.
    func tokenRequest(_ browser: Browser, _ form: [(String, String)], basic: (String, String)? = nil)
        async throws -> (status: HTTPResponse.Status, headers: HTTPFields, json: [String: Any]) {
        var headers = HTTPFields()
        if let (id, secret) = basic {
            let raw = FormParameters.escape(id) + ":" + FormParameters.escape(secret)
            headers[.authorization] = "Basic " + Data(raw.utf8).base64EncodedString()
        }
        let saved = browser.cookie
        browser.cookie = nil
        defer { browser.cookie = saved }
        let page = try await browser.post("/token", form: form, headers: headers)
        let json = (try? JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any]) ?? [:]
        return (page.status, page.headers, json)
    }

    func exchange(_ browser: Browser, code: String, client: Client, secret: String?, verifier: String? = nil,
                  redirectURI: String = "http://example.org/") async throws -> (status: HTTPResponse.Status, headers: HTTPFields, json: [String: Any]) {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                    ("client_id", client.clientID)]
        if let secret { form.append(("client_secret", secret)) }
        if let verifier { form.append(("code_verifier", verifier)) }
        return try await tokenRequest(browser, form)
    }

    func userInfo(_ browser: Browser, token: String) async throws -> Browser.Page {
        let saved = browser.cookie
        browser.cookie = nil
        defer { browser.cookie = saved }
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        return try await browser.get("/userinfo", headers: headers)
    }
}

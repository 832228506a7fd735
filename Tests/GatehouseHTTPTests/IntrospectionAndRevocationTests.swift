import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/introspect` (RFC 7662) and `/revoke` (RFC 7009), each requirement by name.
@Suite("Introspection (RFC 7662) and revocation (RFC 7009)")
struct IntrospectionAndRevocationTests {
    /// A POST to a back-channel endpoint, authenticated with HTTP Basic when `basic` is given.
    static func post(_ op: TestProvider, _ browser: Browser, _ path: String, _ form: [(String, String)],
                     basic: (String, String?)? = nil) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, json: [String: Any], body: String) {
        var headers = HTTPFields()
        if let (id, secret) = basic {
            let raw = FormParameters.escape(id) + ":" + FormParameters.escape(secret ?? "")
            headers[.authorization] = "Basic " + Data(raw.utf8).base64EncodedString()
        }
        let saved = browser.cookie
        browser.cookie = nil
        defer { browser.cookie = saved }
        let page = try await browser.post(path, form: form, headers: headers)
        let json = (try? JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any]) ?? [:]
        return (page.status, page.headers, json, page.body)
    }

    /// Signs alice in for `client` and exchanges the code: (access, refresh).
    static func tokens(_ op: TestProvider, _ browser: Browser, _ client: Client, _ secret: String?) async throws -> (String, String) {
        let code = try await op.obtainCode(browser, client, scope: "openid email offline_access")
        let r = try await op.exchange(browser, code: code, client: client, secret: secret)
        return (try #require(r.json["access_token"] as? String), try #require(r.json["refresh_token"] as? String))
    }

    static func refresh(_ op: TestProvider, _ browser: Browser, _ token: String, _ client: Client, _ secret: String?) async throws -> HTTPResponse.Status {
        try await op.tokenRequest(browser, [("grant_type", "refresh_token"), ("refresh_token", token)], basic: (client.clientID, secret ?? "")).status
    }

    @Test("RFC 7662 §2.2: an active token answers active, scope, client_id, sub, username, token_type, exp, iat, iss and aud; never cached")
    func activeTokenMembers() async throws {
        try await TestProvider.with { op in
            let user = try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let (access, refresh) = try await Self.tokens(op, browser, client, secret)
                let a = try await Self.post(op, browser, "/introspect", [("token", access), ("token_type_hint", "access_token")],
                                            basic: (client.clientID, secret))
                #expect(a.status == .ok)
                #expect(a.headers[.cacheControl] == "no-store")
                #expect(a.json["active"] as? Bool == true)
                #expect(a.json["scope"] as? String == "openid email")
                #expect(a.json["client_id"] as? String == client.clientID)
                #expect(a.json["sub"] as? String == user.subject)
                #expect(a.json["username"] as? String == "alice")
                #expect(a.json["token_type"] as? String == "Bearer")
                #expect(a.json["iss"] as? String == op.settings.issuer)
                #expect(a.json["aud"] as? String == client.clientID)
                let iat = try #require(a.json["iat"] as? Int)
                #expect(a.json["exp"] as? Int == iat + op.settings.tokenExpire.wholeSeconds)
                // The hint is only a hint: a refresh token is found with the access-token hint too.
                let r = try await Self.post(op, browser, "/introspect", [("token", refresh), ("token_type_hint", "access_token")],
                                            basic: (client.clientID, secret))
                #expect(r.json["active"] as? Bool == true)
                #expect(r.json["token_type"] as? String == "refresh_token")
                // offline_access needs consent given on the page (OIDC Core §11); this client asks none.
                #expect(r.json["scope"] as? String == "openid email")
            }
        }
    }

    @Test("RFC 7662 §2.1: a resource server sees another client's token as active; a client cannot introspect a third client's token")
    func whoMayIntrospect() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (a, aSecret) = try await op.createClient { $0.requireConsent = false }
            let (b, bSecret) = try await op.createClient { $0.requireConsent = false }
            let (api, apiSecret) = try await op.createClient { $0.resourceServer = true; $0.redirectURIs = [] }
            #expect(api.isResourceServer && api.redirectURIs.isEmpty && api.grantTypes.isEmpty)
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let (access, _) = try await Self.tokens(op, browser, a, aSecret)
                let byAPI = try await Self.post(op, browser, "/introspect", [("token", access)], basic: (api.clientID, apiSecret))
                #expect(byAPI.json["active"] as? Bool == true)
                #expect(byAPI.json["client_id"] as? String == a.clientID)
                let byB = try await Self.post(op, browser, "/introspect", [("token", access)], basic: (b.clientID, bSecret))
                #expect(byB.status == .ok)
                #expect(byB.json.count == 1 && byB.json["active"] as? Bool == false, "\(byB.body)")
                // client_secret_post works as at /token.
                let posted = try await Self.post(op, browser, "/introspect", [("token", access), ("client_id", a.clientID),
                                                                                ("client_secret", aSecret!)])
                #expect(posted.json["active"] as? Bool == true)
            }
        }
    }

    @Test("RFC 7662 §2.2: revoked, expired, unknown and malformed tokens are inactive with nothing more; a client_credentials token has no sub")
    func inactiveTokens() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let (machine, machineSecret) = try await op.createClient { $0.grantTypes = ["client_credentials"]; $0.redirectURIs = []; $0.resourceServer = true }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                func active(_ token: String) async throws -> [String: Any] {
                    try await Self.post(op, browser, "/introspect", [("token", token)], basic: (client.clientID, secret)).json
                }
                let machineToken = try #require(try await op.tokenRequest(browser, [("grant_type", "client_credentials")],
                                                                          basic: (machine.clientID, machineSecret!)).json["access_token"] as? String)
                let own = try await Self.post(op, browser, "/introspect", [("token", machineToken)], basic: (machine.clientID, machineSecret))
                #expect(own.json["active"] as? Bool == true)
                #expect(own.json["sub"] == nil && own.json["username"] == nil)

                // An empty token is a missing one: invalid_request (below); anything else unknown is inactive.
                for token in ["nope", String(repeating: "x", count: 5000), "a.b.c", "\u{0301}"] {
                    let answer = try await active(token)
                    #expect(answer as NSDictionary == ["active": false] as NSDictionary, "\(token.prefix(10)): \(answer)")
                }
                let (access, _) = try await Self.tokens(op, browser, client, secret)
                op.clock.advance(by: TimeInterval(op.settings.tokenExpire.wholeSeconds + 1))
                #expect(try await active(access) as NSDictionary == ["active": false] as NSDictionary)
                op.clock.advance(by: -TimeInterval(op.settings.tokenExpire.wholeSeconds + 1))
                #expect(try await active(access)["active"] as? Bool == true)
                #expect(try await Self.post(op, browser, "/revoke", [("token", access)], basic: (client.clientID, secret)).status == .ok)
                #expect(try await active(access) as NSDictionary == ["active": false] as NSDictionary)
            }
        }
    }

    @Test("RFC 7662 §2.1: bad credentials are 401 invalid_client with a challenge; a public client cannot introspect; errors are JSON")
    func introspectionAuthentication() async throws {
        try await TestProvider.with { op in
            let (client, _) = try await op.createClient()
            let (spa, _) = try await op.createClient { $0.kind = .public }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let wrong = try await Self.post(op, browser, "/introspect", [("token", "t")], basic: (client.clientID, "wrong"))
                #expect(wrong.status == .unauthorized)
                #expect(wrong.json["error"] as? String == "invalid_client")
                #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                let none = try await Self.post(op, browser, "/introspect", [("token", "t")])
                #expect(none.status == .unauthorized)
                let publicCaller = try await Self.post(op, browser, "/introspect", [("token", "t"), ("client_id", spa.clientID)])
                #expect(publicCaller.status == .unauthorized)
                #expect(publicCaller.json["error"] as? String == "invalid_client")
                let missing = try await Self.post(op, browser, "/introspect", [("token", ""), ("token_type_hint", "access_token")],
                                                  basic: (client.clientID, "x"))
                #expect(missing.status == .badRequest)
                #expect(missing.json["error"] as? String == "invalid_request")
                let hint = try await Self.post(op, browser, "/revoke", [("token", "t"), ("token_type_hint", "id_token"),
                                                                        ("client_id", spa.clientID)])
                #expect(hint.status == .badRequest)
                #expect(hint.json["error"] as? String == "unsupported_token_type")
                let get = try await browser.get("/introspect")
                #expect(get.status == .methodNotAllowed)
                #expect(get.headers[.allow] == "POST")
            }
        }
    }

    @Test("RFC 7009 §2.1: revoking a refresh token revokes its grant: /userinfo, /introspect and a refresh all see the access token dead at once")
    func refreshTokenRevocationKillsGrant() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let (access, refresh) = try await Self.tokens(op, browser, client, secret)
                #expect(try await op.userInfo(browser, token: access).status == .ok)
                let revoked = try await Self.post(op, browser, "/revoke", [("token", refresh), ("token_type_hint", "refresh_token")],
                                                  basic: (client.clientID, secret))
                #expect(revoked.status == .ok)
                #expect(revoked.body.isEmpty)
                #expect(revoked.headers[.cacheControl] == "no-store")
                #expect(try await op.userInfo(browser, token: access).status == .unauthorized)
                #expect(try await Self.post(op, browser, "/introspect", [("token", access)], basic: (client.clientID, secret))
                            .json["active"] as? Bool == false)
                #expect(try await Self.refresh(op, browser, refresh, client, secret) == .badRequest)
            }
        }
    }

    @Test("RFC 7009 §2.1: revoking an access token revokes that token only; the grant's refresh token still refreshes")
    func accessTokenRevocation() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let (access, refresh) = try await Self.tokens(op, browser, client, secret)
                #expect(try await Self.post(op, browser, "/revoke", [("token", access)], basic: (client.clientID, secret)).status == .ok)
                #expect(try await op.userInfo(browser, token: access).status == .unauthorized)
                #expect(try await Self.refresh(op, browser, refresh, client, secret) == .ok)
            }
        }
    }

    @Test("RFC 7009 §2.2: an unknown or already invalid token answers 200; §2.1: another client's token is refused and not revoked")
    func revocationEdges() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let (other, otherSecret) = try await op.createClient()
            let (spa, _) = try await op.createClient { $0.kind = .public; $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                #expect(try await Self.post(op, browser, "/revoke", [("token", "unknown")], basic: (client.clientID, secret)).status == .ok)
                let (access, refresh) = try await Self.tokens(op, browser, client, secret)
                let foreign = try await Self.post(op, browser, "/revoke", [("token", refresh)], basic: (other.clientID, otherSecret))
                #expect(foreign.status == .badRequest)
                #expect(foreign.json["error"] as? String == "unauthorized_client")
                #expect(try await op.userInfo(browser, token: access).status == .ok)
                // A public client names itself with client_id; it cannot revoke a confidential client's token either.
                let byPublic = try await Self.post(op, browser, "/revoke", [("token", access), ("client_id", spa.clientID)])
                #expect(byPublic.status == .badRequest)
                #expect(try await op.userInfo(browser, token: access).status == .ok)
                #expect(try await Self.post(op, browser, "/revoke", [("token", refresh)], basic: (client.clientID, secret)).status == .ok)
                // Already revoked: still 200.
                #expect(try await Self.post(op, browser, "/revoke", [("token", refresh)], basic: (client.clientID, secret)).status == .ok)
                #expect(try await Self.post(op, browser, "/revoke", [("token", access)], basic: (client.clientID, secret)).status == .ok)
                let wrongSecret = try await Self.post(op, browser, "/revoke", [("token", access)], basic: (client.clientID, "nope"))
                #expect(wrongSecret.status == .unauthorized)
            }
        }
    }

    @Test("discovery lists the introspection and revocation endpoints and their auth methods")
    func discovery() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let doc = try #require(try JSONSerialization.jsonObject(
                    with: Data(try await Browser(http).get("/.well-known/openid-configuration").body.utf8)) as? [String: Any])
                #expect(doc["introspection_endpoint"] as? String == op.settings.issuer + "/introspect")
                #expect(doc["revocation_endpoint"] as? String == op.settings.issuer + "/revoke")
                #expect(doc["introspection_endpoint_auth_methods_supported"] as? [String] == ["client_secret_basic", "client_secret_post"])
                #expect(doc["revocation_endpoint_auth_methods_supported"] as? [String] == ["client_secret_basic", "client_secret_post", "none"])
            }
        }
    }
}

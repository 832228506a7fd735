import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

/// Every response type in every mode it may use, for every signing
/// algorithm, through the real login and consent pages.
@Suite("Response types, response modes and ID-token algorithms at /authorize")
struct FrontChannelResponseTests {
    /// The modes each type is tried in; nil is "no response_mode" (the type's default).
    static func modes(_ type: ResponseType) -> [ResponseMode?] {
        type.returnsTokensInFrontChannel ? [nil, .fragment, .formPost] : [nil, .query, .fragment, .formPost]
    }

    /// The parameters of an authorization response, wherever its mode put them.
    static func parameters(of page: Browser.Page, mode: ResponseMode,
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: String] {
        switch mode {
        case .query, .fragment:
            #expect(page.status == .seeOther || page.status == .found, "\(page.status): \(page.body.prefix(200))",
                    sourceLocation: sourceLocation)
            let location = try #require(page.location, sourceLocation: sourceLocation)
            let separator: Character = mode == .query ? "?" : "#"
            #expect(location.hasPrefix("http://example.org/\(separator)"), "\(location)", sourceLocation: sourceLocation)
            #expect(mode == .fragment || !location.contains("#"), sourceLocation: sourceLocation)
            return (mode == .query ? FormParameters.ofQuery(location) : FormParameters.ofFragment(location)).values
        case .formPost:
            #expect(page.status == .ok, sourceLocation: sourceLocation)
            let csp = page.headers[.contentSecurityPolicy] ?? ""
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), sourceLocation: sourceLocation)
            #expect(page.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
            #expect(page.body.contains(#"<form method="post" action="http://example.org/""#), sourceLocation: sourceLocation)
            #expect(page.body.contains(#"<button type="submit">"#), sourceLocation: sourceLocation)
            #expect(page.body.contains(#"<script src="/static/form-post.js?v="#), sourceLocation: sourceLocation)
            return HTML.hiddenFields(in: page.body)
        }
    }

    /// Verifies an ID token's signature with jwt-kit: the published keys, or
    /// for HS256 the client's secret; checks its header's algorithm.
    static func verify(_ token: String, algorithm: SigningAlgorithm, jwks: String, secret: String?) async throws -> IDTokenClaims {
        let header = try part(token, 0)
        #expect(header["alg"] as? String == algorithm.rawValue)
        let keys = JWTKeyCollection()
        if algorithm == .hs256 {
            #expect(header["kid"] == nil)
            await keys.add(hmac: HMACKey(from: try #require(secret)), digestAlgorithm: .sha256)
        } else {
            let kid = try #require(header["kid"] as? String)
            #expect(jwks.contains(#""kid":"\#(kid)""#))
            try await keys.add(jwksJSON: jwks)
        }
        return try await keys.verify(token, as: IDTokenClaims.self)
    }

    static func payload(_ token: String) throws -> [String: Any] { try part(token, 1) }

    /// The JSON object in part `index` of a compact JWS.
    static func part(_ token: String, _ index: Int) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(String(token.split(separator: ".")[index])))
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        return try #require(object as? [String: Any])
    }

    @Test("every response type × response mode, signed with each algorithm: the right parameters, hashes and claims",
          arguments: SigningAlgorithm.allCases)
    func everyCombination(_ algorithm: SigningAlgorithm) async throws {
        try await TestProvider.with { op in
            let user = try await op.createUser()
            let (client, secret) = try await op.createClient {
                $0.responseTypes = ResponseType.allCases.map(\.rawValue)
                $0.idTokenAlgorithm = algorithm.rawValue
            }
            #expect(client.idTokenAlgorithm == algorithm)
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let jwks = try await browser.get("/jwks").body
                var combinations = 0
                for type in ResponseType.allCases {
                    for requested in Self.modes(type) {
                        let mode = requested ?? type.defaultMode
                        let label = "\(algorithm.rawValue) \(type.rawValue) \(requested?.rawValue ?? "default")"
                        let nonce = "n-\(combinations)"
                        var extra = [("nonce", nonce)]
                        if let requested { extra.append(("response_mode", requested.rawValue)) }
                        let uri = op.authorizeURI(client, extra: extra).replacingOccurrences(
                            of: "response_type=code", with: "response_type=" + FormParameters.escape(type.rawValue))
                        var page = try await browser.get(uri)
                        if page.body.contains("name=\"password\"") { page = try await op.submitLogin(browser, on: page) }
                        // Consent is remembered after the first time, so the page may not come.
                        if page.field("request") != nil { page = try await op.submitConsent(browser, on: page) }
                        let p = try Self.parameters(of: page, mode: mode)
                        combinations += 1

                        #expect(p["state"] == "123123", "\(label)")
                        #expect(p["iss"] == op.settings.issuer, "\(label)")
                        #expect((p["code"] != nil) == type.issuesCode, "\(label)")
                        #expect((p["access_token"] != nil) == type.issuesAccessToken, "\(label)")
                        #expect((p["id_token"] != nil) == type.issuesIDToken, "\(label)")
                        #expect(p["refresh_token"] == nil, "\(label): the front channel gets no refresh token")
                        if type.issuesAccessToken {
                            #expect(p["token_type"] == "Bearer", "\(label)")
                            #expect(p["expires_in"] == String(op.settings.tokenExpire.wholeSeconds), "\(label)")
                            let info = try await op.userInfo(browser, token: try #require(p["access_token"]))
                            #expect(info.status == .ok, "\(label): a front-channel access token works at /userinfo")
                            #expect(info.body.contains(user.subject), "\(label)")
                        }
                        var subject: String?
                        if let idToken = p["id_token"] {
                            let claims = try await Self.verify(idToken, algorithm: algorithm, jwks: jwks, secret: secret)
                            subject = claims.sub
                            #expect(claims.sub == user.subject, "\(label)")
                            #expect(claims.aud == client.clientID && claims.iss == op.settings.issuer, "\(label)")
                            #expect(claims.nonce == nonce, "\(label)")
                            #expect(claims.auth_time != nil, "\(label)")
                            #expect(claims.at_hash == p["access_token"].map(algorithm.halfHash), "\(label): at_hash")
                            #expect(claims.c_hash == p["code"].map(algorithm.halfHash), "\(label): c_hash")
                            // No access token, so the user's claims are in the ID token (OIDC Core §5.4).
                            let body = try Self.payload(idToken)
                            #expect((body["email"] as? String == "alice@example.com") == (type == .idToken), "\(label): claims")
                            #expect((body["given_name"] as? String == "Alice") == (type == .idToken), "\(label): claims")
                        }
                        if let code = p["code"] {
                            let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                            #expect(tokens.status == .ok, "\(label): \(tokens.json)")
                            let idToken = try #require(tokens.json["id_token"] as? String, "\(label)")
                            let claims = try await Self.verify(idToken, algorithm: algorithm, jwks: jwks, secret: secret)
                            #expect(claims.at_hash == (tokens.json["access_token"] as? String).map(algorithm.halfHash), "\(label)")
                            #expect(claims.c_hash == nil, "\(label): /token's ID token has no c_hash")
                            #expect(claims.nonce == nonce, "\(label)")
                            #expect(subject == nil || claims.sub == subject, "\(label): the same sub in both channels")
                        }
                    }
                }
                #expect(combinations == 19)

                // Gatehouse's own ID token (any algorithm, HS256 included) is accepted as id_token_hint.
                let hinted = try await browser.get(op.authorizeURI(client, extra: [("prompt", "none")])
                    .replacingOccurrences(of: "response_type=code", with: "response_type=id_token") + "&nonce=h&id_token_hint="
                    + FormParameters.escape(try #require(try Self.parameters(
                        of: try await browser.get(op.authorizeURI(client, extra: [("nonce", "x"), ("prompt", "none")])
                            .replacingOccurrences(of: "response_type=code", with: "response_type=id_token")),
                        mode: .fragment)["id_token"])))
                let answer = FormParameters.ofFragment(hinted.location ?? "")
                #expect(answer["error"] == nil, "\(hinted.location ?? hinted.body)")
                #expect(answer["id_token"] != nil)
            }
        }
    }

    @Test("errors after the client is known come back in the requested mode: nonce missing, query with tokens, unregistered type")
    func errorsInRequestedMode() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient { $0.responseTypes = ["code", "id_token", "id_token token"] }
            let (codeOnly, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                func request(_ c: Client, _ type: String, _ extra: [(String, String)]) -> String {
                    op.authorizeURI(c, extra: extra).replacingOccurrences(
                        of: "response_type=code", with: "response_type=" + FormParameters.escape(type))
                }
                // An ID token in the front channel needs a nonce (OIDC Core §3.2.2.1).
                let noNonce = try Self.parameters(of: try await browser.get(request(client, "id_token", [])), mode: .fragment)
                #expect(noNonce["error"] == "invalid_request")
                #expect(noNonce["error_description"]?.contains("nonce") == true)
                #expect(noNonce["state"] == "123123")
                let posted = try Self.parameters(of: try await browser.get(request(client, "id_token", [("response_mode", "form_post")])),
                                                 mode: .formPost)
                #expect(posted["error"] == "invalid_request")
                #expect(posted["state"] == "123123")
                #expect(posted["iss"] == op.settings.issuer)
                // Tokens never travel in the query: the refusal itself goes in the fragment.
                let query = try Self.parameters(of: try await browser.get(request(client, "token id_token",
                                                                                  [("nonce", "n"), ("response_mode", "query")])),
                                                mode: .fragment)
                #expect(query["error"] == "invalid_request")
                // A type the client is not registered for.
                let unregistered = try Self.parameters(of: try await browser.get(request(codeOnly, "code id_token", [("nonce", "n")])),
                                                       mode: .fragment)
                #expect(unregistered["error"] == "unauthorized_client")
                // An unknown mode is refused in the type's default mode.
                let unknown = try Self.parameters(of: try await browser.get(request(client, "code", [("response_mode", "jwt")])),
                                                  mode: .query)
                #expect(unknown["error"] == "invalid_request")
                // prompt=none without a session: login_required, in form_post when asked for.
                let none = try Self.parameters(of: try await browser.get(request(client, "id_token token",
                                                                                 [("nonce", "n"), ("prompt", "none"), ("response_mode", "form_post")])),
                                               mode: .formPost)
                #expect(none["error"] == "login_required")
                #expect(none["access_token"] == nil && none["id_token"] == nil)
            }
        }
    }

    @Test("a front-channel access token belongs to a grant: revoking the grant (code replay) and the sweep see it")
    func frontChannelTokenBelongsToGrant() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.responseTypes = ["code token"]; $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                var page = try await browser.get(op.authorizeURI(client).replacingOccurrences(
                    of: "response_type=code", with: "response_type=code+token"))
                page = try await op.submitLogin(browser, on: page)
                let p = try Self.parameters(of: page, mode: .fragment)
                let access = try #require(p["access_token"])
                let code = try #require(p["code"])
                #expect(try await op.userInfo(browser, token: access).status == .ok)
                #expect(try await op.exchange(browser, code: code, client: client, secret: secret).status == .ok)
                // A second redemption revokes the grant: the front-channel token dies with it.
                #expect(try await op.exchange(browser, code: code, client: client, secret: secret).status == .badRequest)
                #expect(try await op.userInfo(browser, token: access).status == .unauthorized)
            }
            let grants = try await op.pool.withConnection { conn in
                try conn.query("""
                    SELECT count(*) FROM access_tokens a JOIN grants g ON g.id = a.grant_id WHERE g.revoked_at IS NOT NULL
                    """).first!.decode(Int.self, at: 0)
            }
            #expect(grants == 2)
        }
    }

    @Test("the form-post script is served as JavaScript with a year's cache")
    func formPostScript() async throws {
        try await TestProvider.with { op in
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let script = try await browser.get("/static/form-post.js")
                #expect(script.status == .ok)
                #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(script.body.contains("submit"))
            }
        }
    }
}

extension HTML {
    /// Every hidden input's name and value, unescaped.
    static func hiddenFields(in html: String) -> [String: String] {
        let pattern = try! NSRegularExpression(pattern: #"<input type="hidden" name="([^"]*)" value="([^"]*)">"#)
        var fields: [String: String] = [:]
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let name = String(html[Range(match.range(at: 1), in: html)!])
            fields[unescape(name)] = unescape(String(html[Range(match.range(at: 2), in: html)!]))
        }
        return fields
    }
}

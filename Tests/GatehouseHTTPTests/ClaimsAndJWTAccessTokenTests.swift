import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

/// RFC 9068 access tokens and the operator's own scopes and claims.
@Suite("JWT access tokens, custom scopes and claims")
struct ClaimsAndJWTAccessTokenTests {
    struct AccessTokenClaims: JWTPayload {
        let iss: String, sub: String, aud: String, client_id: String, scope: String, jti: String, exp: Int, iat: Int
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func header(_ token: String) throws -> [String: Any] {
        let bytes = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("RFC 9068: a jwt client's access tokens are at+jwt JWTs that verify from /jwks, and work at /userinfo, /introspect and /revoke like opaque ones")
    func jwtAccessTokens() async throws {
        try await TestProvider.with { op in
            let user = try await op.createUser()
            let (client, secret) = try await op.createClient {
                $0.requireConsent = false
                $0.accessTokenFormat = "jwt"
                $0.idTokenAlgorithm = "ES256"
                $0.grantTypes = ["authorization_code", "refresh_token", "client_credentials"]
            }
            #expect(client.accessTokenFormat == .jwt)
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client, scope: "openid email")
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                let access = try #require(tokens.json["access_token"] as? String)
                let header = try Self.header(access)
                #expect(header["typ"] as? String == "at+jwt")
                #expect(header["alg"] as? String == "ES256")
                let jwks = try await browser.get("/jwks").body
                let claims = try await JWTKeyCollection().add(jwksJSON: jwks).verify(access, as: AccessTokenClaims.self)
                #expect(claims.iss == op.settings.issuer)
                #expect(claims.sub == user.subject)
                #expect(claims.aud == client.clientID && claims.client_id == client.clientID)
                #expect(claims.scope == "openid email")
                #expect(claims.exp - claims.iat == op.settings.tokenExpire.wholeSeconds)
                #expect(claims.jti.count >= 22)
                // The ID token's at_hash covers the JWT like any access token.
                let idToken = try #require(tokens.json["id_token"] as? String)
                let idClaims = try await JWTKeyCollection().add(jwksJSON: jwks).verify(idToken, as: IDTokenClaims.self)
                #expect(idClaims.at_hash == SigningAlgorithm.es256.halfHash(access))

                #expect(try await op.userInfo(browser, token: access).status == .ok)
                let introspected = try await IntrospectionAndRevocationTests.post(op, browser, "/introspect", [("token", access)],
                                                                                  basic: (client.clientID, secret))
                #expect(introspected.json["active"] as? Bool == true)
                #expect(try await IntrospectionAndRevocationTests.post(op, browser, "/revoke", [("token", access)],
                                                                       basic: (client.clientID, secret)).status == .ok)
                #expect(try await op.userInfo(browser, token: access).status == .unauthorized)
                // A refresh gives a new JWT; a token for the client itself has the client as its subject.
                let refreshed = try await op.tokenRequest(browser, [("grant_type", "refresh_token"),
                    ("refresh_token", try #require(tokens.json["refresh_token"] as? String))], basic: (client.clientID, secret!))
                #expect(try Self.header(try #require(refreshed.json["access_token"] as? String))["typ"] as? String == "at+jwt")
                let machine = try await op.tokenRequest(browser, [("grant_type", "client_credentials")], basic: (client.clientID, secret!))
                let machineClaims = try await JWTKeyCollection().add(jwksJSON: jwks)
                    .verify(try #require(machine.json["access_token"] as? String), as: AccessTokenClaims.self)
                #expect(machineClaims.sub == client.clientID)
                // The database holds the digest, never the JWT.
                let stored = try await op.pool.withConnection { conn in
                    try conn.query("SELECT count(*) FROM access_tokens WHERE position($1::bytea in token_digest) > 0",
                                   Array(access.utf8)).first!.decode(Int.self, at: 0)
                }
                #expect(stored == 0)
            }
        }
    }

    @Test("custom scopes: /userinfo returns the claims of every granted scope, custom ones included; consent shows the description; discovery lists them")
    func customScopesAndClaims() async throws {
        try await TestProvider.with { op in
            var new = NewUser(username: "alice", password: TestProvider.password,
                              profile: UserProfile(givenName: "Alice", email: "alice@example.com"))
            new.claims = ["groups": try CustomClaims.value(parsing: #"["admins","staff"]"#),
                          "employee_number": try CustomClaims.value(parsing: "E-1234"),
                          "clearance": try CustomClaims.value(parsing: "3")]
            _ = try await op.deps.users.create(new)
            try await PGScopeStore(pool: op.pool).create(try ScopeDefinition(
                name: "groups", description: "See the groups you belong to & <roles>", claims: ["groups"]).validated())
            try await PGScopeStore(pool: op.pool).create(try ScopeDefinition(
                name: "hr", description: "See your employee number", claims: ["employee_number"]).validated())
            #expect(op.deps.scopes.reload(try await PGScopeStore(pool: op.pool).list()))
            let (client, secret) = try await op.createClient { $0.scopes = ["openid", "email", "groups", "hr"] }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                var page = try await browser.get(op.authorizeURI(client, scope: "openid groups"))
                page = try await op.submitLogin(browser, on: page)
                #expect(page.body.contains("See the groups you belong to &amp; &lt;roles&gt;"))
                page = try await op.submitConsent(browser, on: page)
                let location = try #require(page.location)
                let code = try #require(FormParameters.ofQuery(location)["code"])
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                let info = try await op.userInfo(browser, token: try #require(tokens.json["access_token"] as? String))
                let json = try #require(try JSONSerialization.jsonObject(with: Data(info.body.utf8)) as? [String: Any])
                #expect(json["groups"] as? [String] == ["admins", "staff"])
                #expect(json["employee_number"] == nil, "hr was not granted")
                #expect(json["clearance"] == nil, "no scope releases it")
                #expect(json["email"] == nil)
                // A scope the client may not ask for is refused.
                let refused = try await browser.get(op.authorizeURI(client, scope: "openid payroll"))
                #expect(FormParameters.ofQuery(refused.location ?? "")["error"] == "invalid_scope")

                let doc = try #require(try JSONSerialization.jsonObject(
                    with: Data(try await browser.get("/.well-known/openid-configuration").body.utf8)) as? [String: Any])
                #expect((doc["scopes_supported"] as? [String])?.suffix(2) == ["groups", "hr"])
                #expect((doc["claims_supported"] as? [String])?.contains("employee_number") == true)
            }
        }
    }

    @Test("OIDC_IDTOKEN_INCLUDE_CLAIMS: the ID token also carries the granted scopes' claims, custom ones included")
    func idTokenIncludesClaims() async throws {
        try await TestProvider.with({ $0.idTokenIncludeClaims = true }) { op in
            var new = NewUser(username: "alice", password: TestProvider.password, profile: UserProfile(email: "alice@example.com"))
            new.claims = ["groups": try CustomClaims.value(parsing: #"["staff"]"#)]
            _ = try await op.deps.users.create(new)
            try await PGScopeStore(pool: op.pool).create(ScopeDefinition(name: "groups", description: "Groups", claims: ["groups"]))
            op.deps.scopes.reload(try await PGScopeStore(pool: op.pool).list())
            let (client, secret) = try await op.createClient { $0.requireConsent = false; $0.scopes = ["openid", "email", "groups"] }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client, scope: "openid email groups")
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                let idToken = try #require(tokens.json["id_token"] as? String)
                let bytes = try #require(Base64URL.decode(String(idToken.split(separator: ".")[1])))
                let payload = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
                #expect(payload["email"] as? String == "alice@example.com")
                #expect(payload["groups"] as? [String] == ["staff"])
            }
        }
    }
}

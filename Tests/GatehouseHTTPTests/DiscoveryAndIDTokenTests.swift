import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing

@Suite("Discovery, JWKS and the ID token")
struct DiscoveryAndIDTokenTests {
    @Test("discovery lists every endpoint and capability, and the issuer is exactly OIDC_ISSUER")
    func discovery() async throws {
        try await TestProvider.with({ $0.issuer = "https://id.example.com/tenant" }) { op in
            try await op.app().test(.router) { http in
                let page = try await Browser(http).get("/.well-known/openid-configuration")
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any])
                #expect(doc["issuer"] as? String == "https://id.example.com/tenant")
                for key in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint",
                            "scopes_supported", "claims_supported", "response_types_supported", "grant_types_supported",
                            "subject_types_supported", "id_token_signing_alg_values_supported",
                            "token_endpoint_auth_methods_supported", "code_challenge_methods_supported"] {
                    #expect(doc[key] != nil, "\(key) missing")
                }
                #expect(doc["token_endpoint"] as? String == "https://id.example.com/tenant/token")
                #expect(doc["id_token_signing_alg_values_supported"] as? [String] == ["RS256", "ES256", "EdDSA", "HS256"])
                #expect(doc["code_challenge_methods_supported"] as? [String] == ["S256"])
                #expect((doc["token_endpoint_auth_methods_supported"] as? [String])?.contains("client_secret_basic") == true)
            }
        }
    }

    @Test("the ID token is RS256-signed with the key /jwks publishes, and carries the required claims")
    func idToken() async throws {
        try await TestProvider.with({ $0.idTokenExpire = .seconds(300) }) { op in
            let user = try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client, extra: [("nonce", "n-0S6_WzA2Mj")])
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                let idToken = try #require(tokens.json["id_token"] as? String)
                let accessToken = try #require(tokens.json["access_token"] as? String)

                let jwks = try await browser.get("/jwks")
                #expect(jwks.headers[.contentType] == "application/jwk-set+json")
                let keys = try await JWTKeyCollection().add(jwksJSON: jwks.body)
                let claims = try await keys.verify(idToken, as: IDTokenClaims.self)
                #expect(claims.iss == op.settings.issuer)
                #expect(claims.aud == client.clientID)
                #expect(claims.sub == user.subject)
                #expect(claims.nonce == "n-0S6_WzA2Mj")
                #expect(claims.exp - claims.iat == 300)
                #expect(abs(Double(claims.iat) - op.clock.now.timeIntervalSince1970) < 2)
                #expect(claims.auth_time != nil)
                #expect(claims.at_hash == IDTokenClaims.accessTokenHash(accessToken))

                let header = try #require(Base64URL.decode(String(idToken.split(separator: ".")[0])))
                let json = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
                #expect(json["alg"] as? String == "RS256")
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(jwks.body.utf8)) as? [String: [[String: Any]]])
                let signingKey = try #require(doc["keys"]?.first { $0["kid"] as? String == json["kid"] as? String })
                #expect(signingKey["alg"] as? String == "RS256")
                #expect(doc["keys"]?.allSatisfy { $0["d"] == nil } == true)  // never a private member
            }
        }
    }

    @Test("sub is stable for a user across sign-ins and clients")
    func stableSubject() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (a, aSecret) = try await op.createClient { $0.requireConsent = false }
            let (b, bSecret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                var subjects: Set<String> = []
                for (client, secret) in [(a, aSecret), (b, bSecret), (a, aSecret)] {
                    let browser = Browser(http)
                    let tokens = try await op.exchange(browser, code: try await op.obtainCode(browser, client), client: client, secret: secret)
                    let claims = try await JWTKeyCollection().add(jwksJSON: op.deps.signer.jwksJSON)
                        .verify(tokens.json["id_token"] as! String, as: IDTokenClaims.self)
                    subjects.insert(claims.sub)
                }
                #expect(subjects.count == 1)
            }
        }
    }

    @Test("the signing key is created once, stored sealed, and reused by the next start")
    func signingKeyPersistence() async throws {
        try await TestProvider.with { op in
            let sealed = try await op.pool.withConnection { conn in
                try conn.query("""
                    SELECT count(*), bool_and(position('PRIVATE KEY'::bytea in private_key) = 0),
                           string_agg(algorithm || ':' || state, ',' ORDER BY algorithm)
                    FROM signing_keys
                    """).first!
            }
            #expect(try sealed.decode(Int.self, at: 0) == 3)
            #expect(try sealed.decode(String.self, at: 2) == "ES256:active,EdDSA:active,RS256:active")
            #expect(try sealed.decode(Bool.self, at: 1) == true)
            let again = try await ServerDependencies.live(settings: op.settings, pool: op.pool, clock: op.clock)
            #expect(again.signer.jwksJSON == op.deps.signer.jwksJSON)
        }
    }
}

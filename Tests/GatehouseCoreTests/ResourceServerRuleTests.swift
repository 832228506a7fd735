import Foundation
import GatehouseCore
import Testing

/// Introspection and revocation decisions, custom claims and scopes, without a database.
@Suite("Resource-server rules: introspection, revocation, custom claims and scopes")
struct ResourceServerRuleTests {
    typealias F = GrantFixtures
    static let now = F.now

    static func token(_ kind: TokenKind = .accessToken, client: Int64 = 7, expiresIn: TimeInterval = 60,
                      revoked: Bool = false, rotated: Bool = false, subject: String? = "sub-1", active: Bool = true) -> StoredToken {
        StoredToken(kind: kind, grantID: 42, clientRowID: client, clientID: "client-\(client)", scopes: Scopes(["openid", "email"]),
                    issuedAt: now.addingTimeInterval(-10), expiresAt: now.addingTimeInterval(expiresIn), grantRevoked: revoked,
                    rotated: rotated, subject: subject, username: subject.map { _ in "alice" }, userIsActive: active)
    }

    static func inactive(_ answer: [String: ClaimValue]) -> Bool { answer == ["active": .bool(false)] }

    @Test("RFC 7662 §2.2: a live token of the caller's answers every member; client_credentials has no sub or username")
    func activeAnswer() {
        let answer = TokenIntrospection.answer(Self.token(), caller: F.client(), issuer: "https://op", now: Self.now)
        #expect(answer["active"] == .bool(true))
        #expect(answer["token_type"] == .string("Bearer"))
        #expect(answer["sub"] == .string("sub-1") && answer["username"] == .string("alice"))
        #expect(answer["exp"] == .number(Int(Self.now.timeIntervalSince1970) + 60))
        #expect(answer["aud"] == .string("client-7") && answer["iss"] == .string("https://op"))
        let machine = TokenIntrospection.answer(Self.token(subject: nil), caller: F.client(), issuer: "i", now: Self.now)
        #expect(machine["sub"] == nil && machine["username"] == nil && machine["active"] == .bool(true))
        #expect(TokenIntrospection.answer(Self.token(.refreshToken), caller: F.client(), issuer: "i", now: Self.now)["token_type"]
                == .string("refresh_token"))
    }

    @Test("RFC 7662 §2.2: expired, revoked, rotated, a disabled user's, unknown and other clients' tokens are {active: false}")
    func inactiveAnswers() {
        let caller = F.client()
        for token in [Self.token(expiresIn: 0), Self.token(revoked: true), Self.token(.refreshToken, rotated: true),
                      Self.token(active: false), Self.token(client: 8)] {
            #expect(Self.inactive(TokenIntrospection.answer(token, caller: caller, issuer: "i", now: Self.now)))
        }
        #expect(Self.inactive(TokenIntrospection.answer(nil, caller: caller, issuer: "i", now: Self.now)))
        var resourceServer = F.client(id: 9)
        resourceServer.isResourceServer = true
        #expect(TokenIntrospection.answer(Self.token(client: 8), caller: resourceServer, issuer: "i", now: Self.now)["active"] == .bool(true))
    }

    @Test("RFC 7009 §2.1, §2.2: a refresh token revokes its grant, an access token itself; unknown or dead is nothing; another client's is refused")
    func revocationDecisions() {
        let caller = F.client()
        #expect(TokenRevocation.decide(Self.token(.refreshToken), caller: caller, now: Self.now) == .revokeGrant(42))
        #expect(TokenRevocation.decide(Self.token(.refreshToken, rotated: true), caller: caller, now: Self.now) == .revokeGrant(42))
        #expect(TokenRevocation.decide(Self.token(), caller: caller, now: Self.now) == .revokeAccessToken)
        #expect(TokenRevocation.decide(nil, caller: caller, now: Self.now) == .nothing)
        #expect(TokenRevocation.decide(Self.token(expiresIn: -1), caller: caller, now: Self.now) == .nothing)
        #expect(TokenRevocation.decide(Self.token(.refreshToken, revoked: true), caller: caller, now: Self.now) == .nothing)
        guard case .refuse(let error) = TokenRevocation.decide(Self.token(client: 8), caller: caller, now: Self.now) else {
            Issue.record("another client's token must be refused")
            return
        }
        #expect(error.code == "unauthorized_client")
    }

    @Test("custom claims: JSON values parse as JSON, anything else is text; names are checked and standard ones reserved")
    func customClaims() throws {
        #expect(try CustomClaims.value(parsing: #"["a","b"]"#) == .json(#"["a","b"]"#))
        #expect(try CustomClaims.value(parsing: "42") == .json("42"))
        #expect(try CustomClaims.value(parsing: "true") == .json("true"))
        #expect(try CustomClaims.value(parsing: #"{"b":1,"a":"x"}"#) == .json(#"{"a":"x","b":1}"#))
        #expect(try CustomClaims.value(parsing: "E-1234") == .string("E-1234"))
        #expect(try CustomClaims.value(parsing: "null") == .string("null"))
        let (name, value) = try CustomClaims.assignment("team=a=b")
        #expect(name == "team" && value == .string("a=b"))
        for bad in ["sub", "email", "iss", "", "has space", String(repeating: "x", count: 65), "é"] {
            #expect(throws: CustomClaims.Invalid.self, "\(bad)") { try CustomClaims.checkName(bad) }
        }
        #expect(throws: CustomClaims.Invalid.self) { try CustomClaims.assignment("noequals") }
        // Stored and read back, every value keeps its JSON.
        let stored = CustomClaims.encode(["groups": .json(#"["a"]"#), "n": .string("x\"y")])
        #expect(try CustomClaims.decode(objectText: stored) == ["groups": .json(#"["a"]"#), "n": .json(#""x\"y""#)])
    }

    @Test("scopes: standard ones cannot be redefined, a scope needs a description and claims; the catalog releases only granted scopes' claims")
    func scopes() throws {
        #expect(throws: ScopeDefinition.Invalid.self) { try ScopeDefinition(name: "email", description: "d", claims: ["x"]).validated() }
        #expect(throws: ScopeDefinition.Invalid.self) { try ScopeDefinition(name: "groups", description: " ", claims: ["groups"]).validated() }
        #expect(throws: ScopeDefinition.Invalid.self) { try ScopeDefinition(name: "groups", description: "d", claims: []).validated() }
        #expect(throws: ScopeDefinition.Invalid.self) { try ScopeDefinition(name: "groups", description: "d", claims: ["sub"]).validated() }
        #expect(throws: ScopeDefinition.Invalid.self) { try ScopeDefinition(name: "bad scope", description: "d", claims: ["x"]).validated() }
        let catalog = ScopeCatalog(custom: [try ScopeDefinition(name: "groups", description: "See your groups", claims: ["groups"]).validated()])
        #expect(catalog.supportedScopes.last == "groups")
        #expect(catalog.supportedClaims.last == "groups")
        #expect(catalog.descriptions(for: Scopes(["openid", "groups", "other"])).dropFirst() == ["See your groups", "Use “other”"])
        var user = User(id: 1, subject: UUID().uuidString.lowercased(), username: "alice", profile: UserProfile(), isActive: true,
                        createdAt: F.now, updatedAt: F.now, lastLoginAt: nil)
        user.claims = ["groups": .json(#"["a"]"#), "secret": .string("s")]
        #expect(UserClaims.claims(for: user, scopes: Scopes(["openid", "groups"]), catalog: catalog)["groups"] == .json(#"["a"]"#))
        #expect(UserClaims.claims(for: user, scopes: Scopes(["openid"]), catalog: catalog)["groups"] == nil)
        #expect(UserClaims.claims(for: user, scopes: Scopes(["openid", "groups"]), catalog: catalog)["secret"] == nil)
    }

    @Test("RFC 9068 §2.2: a JWT access token's claims; for client_credentials the subject is the client")
    func jwtClaims() {
        let request = AccessTokenRequest(client: F.client(), subject: nil, scopes: Scopes(["api"]), issuedAt: Self.now,
                                         expiresAt: Self.now.addingTimeInterval(60))
        let claims = request.jwtClaims(issuer: "https://op", jti: "j")
        #expect(claims["sub"] == .string("client-7") && claims["client_id"] == .string("client-7"))
        #expect(claims["scope"] == .string("api") && claims["jti"] == .string("j"))
        #expect(Set(claims.keys) == ["iss", "exp", "iat", "aud", "sub", "client_id", "scope", "jti"])
    }
}

import Foundation
import GatehouseCore
import Testing

@Suite("What a django-oidc-provider import carries over, and what it reports instead")
struct DjangoImportRuleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let options = DjangoImport.Options(now: now, refreshTokenLifetime: .days(30))
    /// `pbkdf2_sha256$1000$salt$…` of "secret" (Django's format, a low count for speed).
    static let pbkdf2 = "pbkdf2_sha256$1000$salt$" + Data(hex: "7fcc1fb9a5a0d9f1bd8fe1d0f7c70d38cb1d6a81d8dab29cfc3c2f1f2b8d4f9e").base64EncodedString()

    static func user(_ id: Int64, _ username: String, hash: String = "pbkdf2_sha1$1000$s$" + Data(count: 20).base64EncodedString(),
                     email: String = "") -> DjangoSource.User {
        DjangoSource.User(id: id, subject: String(id), username: username, passwordHash: hash, email: email,
                          firstName: "Ada", lastName: "Lovelace", dateJoined: now.addingTimeInterval(-86_400))
    }

    static func client(_ id: Int64, _ clientID: String, type: String = "confidential", secret: String = "s3cret",
                       redirect: [String] = ["https://rp.example/cb"], responseTypes: [String] = ["code"],
                       alg: String = "RS256", scope: [String] = []) -> DjangoSource.Client {
        DjangoSource.Client(id: id, clientID: clientID, secret: secret, name: "RP \(id)", clientType: type,
                            redirectURIs: redirect, responseTypes: responseTypes, jwtAlgorithm: alg, scopes: scope,
                            websiteURL: "https://rp.example", termsURL: "not a url", logo: "logos/rp.png")
    }

    @Test("Django PBKDF2 hashes come over as they are; argon2, bcrypt and unusable ones come over as must reset, each reported")
    func passwords() {
        #expect(DjangoImport.password(Self.pbkdf2) == .verifiable(Self.pbkdf2))
        guard case .mustReset(let argon) = DjangoImport.password("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA") else {
            Issue.record("argon2 must be must-reset"); return
        }
        #expect(argon.contains("'argon2'"))
        guard case .mustReset(let unusable) = DjangoImport.password("!" + String(repeating: "x", count: 40)) else {
            Issue.record("an unusable password must be must-reset"); return
        }
        #expect(unusable.contains("unusable"))

        let source = DjangoSource(users: [Self.user(1, "ada", hash: Self.pbkdf2),
                                          Self.user(2, "bob", hash: "bcrypt_sha256$$2b$12$abc"),
                                          Self.user(3, "cy", hash: "!unusable")])
        let plan = DjangoImport.plan(source, options: Self.options)
        #expect(plan.users.map(\.passwordResetRequired) == [false, true, true])
        #expect(plan.users[1].passwordHash == "!")  // nothing verifies against it
        #expect(Set(plan.notCarriedOver.map(\.item)) == ["bob", "cy"])
        #expect(plan.notCarriedOver.allSatisfy { $0.reason.contains("must reset") && !$0.reason.contains("$2b$") })
    }

    @Test("sub is str(id); names, email and dates come over; a username differing only in case is reported, not merged")
    func users() {
        let source = DjangoSource(users: [Self.user(7, "Ada", email: "ada@example.org"), Self.user(9, "ada"),
                                          Self.user(11, "eve", email: "not-an-address")])
        let plan = DjangoImport.plan(source, options: Self.options)
        #expect(plan.users.map(\.subject) == ["7", "11"])
        #expect(plan.users[0].name == "Ada Lovelace" && plan.users[0].givenName == "Ada" && plan.users[0].email == "ada@example.org")
        #expect(plan.users[1].email == nil)
        #expect(plan.notCarriedOver.contains { $0.item == "ada" && $0.reason.contains("case") })
        #expect(plan.notCarriedOver.contains { $0.item == "eve" && $0.reason.contains("not an address") })
    }

    @Test("a second import keeps a password set or re-hashed here and the later sign-in time")
    func merge() throws {
        let plan = DjangoImport.plan(DjangoSource(users: [Self.user(1, "ada", hash: Self.pbkdf2)]), options: Self.options)
        let incoming = try #require(plan.users.first)
        var existing = incoming
        existing.passwordHash = try PasswordHasher(parameters: .init(logN: 4, r: 8, p: 1)).hash("new password")
        existing.lastLoginAt = Self.now
        let merged = DjangoImport.merge(existing: existing, incoming: incoming)
        #expect(merged.passwordHash == existing.passwordHash)
        #expect(merged.lastLoginAt == Self.now)
        #expect(merged == existing)  // nothing to update
        // A Django hash still stored here follows Django's.
        var stale = incoming
        stale.passwordHash = "pbkdf2_sha256$1000$old$" + Data(count: 32).base64EncodedString()
        #expect(DjangoImport.merge(existing: stale, incoming: incoming).passwordHash == incoming.passwordHash)
    }

    @Test("clients: grant types as django-oidc-provider allows them, its scopes for client_credentials, links, and refusals with reasons")
    func clients() throws {
        let source = DjangoSource(clients: [
            Self.client(1, "012345", responseTypes: ["code", "id_token token"], scope: ["api"]),
            Self.client(2, "222222", alg: "HS256"),
            Self.client(3, "333333", type: "public", secret: ""),
            Self.client(4, "444444", secret: ""),
            Self.client(5, "555555", redirect: ["http://rp.example/cb"]),
            Self.client(6, "666666", type: "public", secret: "", alg: "HS256"),
        ])
        let plan = DjangoImport.plan(source, options: Self.options)
        #expect(plan.clients.map(\.clientID) == ["012345", "222222", "333333"])
        let first = plan.clients[0].registration
        #expect(first.grantTypes == ["authorization_code", "refresh_token", "client_credentials"])
        #expect(first.responseTypes == ["code", "id_token token"])
        #expect(first.scopes.contains("openid") && first.scopes.contains("api"))
        #expect(plan.clients[0].links.clientURI == "https://rp.example" && plan.clients[0].links.tosURI == nil)
        #expect(plan.clients[0].secret == "s3cret")
        #expect(plan.clients[1].registration.signingAlgorithm == .hs256)
        #expect(plan.clients[2].secret == nil && plan.clients[2].registration.grantTypes == ["authorization_code", "refresh_token"])
        let reasons = Dictionary(plan.notCarriedOver.filter { $0.kind == .clients && $0.reason.contains("logo") == false }
            .map { ($0.item, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["444444"]?.contains("without a secret") == true)
        #expect(reasons["555555"]?.contains("--allow-insecure-redirect") == true)
        #expect(reasons["666666"]?.contains("HS256") == true)
        // The logo is a media path: reported unless --media-url is given.
        #expect(plan.notCarriedOver.contains { $0.item == "012345" && $0.reason.contains("--media-url") })
        var withMedia = Self.options
        withMedia.mediaURL = "https://cdn.example/media/"
        #expect(DjangoImport.plan(source, options: withMedia).clients[0].links.logoURI == "https://cdn.example/media/logos/rp.png")
    }

    @Test("a client_id equal to a user's sub is imported and named in the report (RFC 9700 §4.15.1)")
    func clientIDEqualsSubject() {
        let plan = DjangoImport.plan(DjangoSource(users: [Self.user(123_456, "ada")], clients: [Self.client(1, "123456")]),
                                     options: Self.options)
        #expect(plan.clients.count == 1)
        #expect(plan.notCarriedOver.contains { $0.item == "123456" && $0.reason.contains("sub") })
    }

    @Test("keys keep django-oidc-provider's kid, the MD5 of the PEM text; its first key is the one that signs")
    func keys() {
        let plan = DjangoImport.plan(DjangoSource(keys: [.init(id: 5, pem: "B"), .init(id: 2, pem: "A\n")]), options: Self.options)
        // md5("A\n") and md5("B"), as Python's hashlib.md5(pem.encode()).hexdigest() gives them.
        #expect(plan.keys.map(\.kid) == ["bf072e9119077b4e76437a93986787ef", "9d5ed678fe57bcca610140957afab571"])
        #expect(plan.keys.map(\.signs) == [true, false])
    }

    @Test("tokens: live access tokens and every user's refresh token (expiring from the import), codes only counted")
    func tokens() {
        let source = DjangoSource(
            users: [Self.user(1, "ada")], clients: [Self.client(1, "012345", scope: ["api"])],
            tokens: [
                .init(id: 1, userID: 1, clientID: 1, accessToken: "a1", refreshToken: "r1", scopes: ["openid"], expiresAt: Self.now.addingTimeInterval(600)),
                .init(id: 2, userID: 1, clientID: 1, accessToken: "a2", refreshToken: "r2", scopes: ["openid"], expiresAt: Self.now.addingTimeInterval(-600)),
                .init(id: 3, userID: nil, clientID: 1, accessToken: "a3", refreshToken: "r3", scopes: ["api"], expiresAt: Self.now.addingTimeInterval(600)),
                .init(id: 4, userID: nil, clientID: 1, accessToken: "a4", refreshToken: "r4", scopes: ["api"], expiresAt: Self.now.addingTimeInterval(-1)),
                .init(id: 5, userID: 99, clientID: 1, accessToken: "a5", refreshToken: "r5", scopes: [], expiresAt: Self.now.addingTimeInterval(600)),
            ],
            codeCount: 3)
        let plan = DjangoImport.plan(source, options: Self.options)
        #expect(plan.tokens.map(\.accessToken) == ["a1", nil, "a3"])
        #expect(plan.tokens.map(\.refreshToken) == ["r1", "r2", nil])  // client_credentials rows never hand theirs out
        #expect(plan.tokens[1].refreshExpiresAt == Self.now.addingTimeInterval(30 * 86_400))
        #expect(plan.tokens[2].subject == nil)
        #expect(plan.tokens.allSatisfy { !$0.sourceKey.contains("a1") && !$0.sourceKey.contains("r1") })
        let items = plan.notCarriedOver.map(\.item)
        #expect(items.contains("1 tokens") && items.contains("3 codes"))
        #expect(plan.notCarriedOver.contains { $0.kind == .authorizationCodes })
    }

    @Test("--sub-map: django_user_id,sub lines; comments and blank lines skipped; bad or repeated lines refused")
    func subjectMap() throws {
        #expect(try DjangoImport.subjectMap(csv: "# id,sub\n1,abc\n\n2, user-2 \n") == [1: "abc", 2: "user-2"])
        #expect(throws: DjangoImport.BadSubjectMap.self) { try DjangoImport.subjectMap(csv: "1,a\n1,b") }
        #expect(throws: DjangoImport.BadSubjectMap.self) { try DjangoImport.subjectMap(csv: "x,a") }
        #expect(throws: DjangoImport.BadSubjectMap.self) { try DjangoImport.subjectMap(csv: "1,\u{7}") }
    }

    @Test("the report: counts per kind, reasons, and JSON with the documented keys; no secret anywhere")
    func report() throws {
        var report = ImportReport(dryRun: true)
        report.count(.users, .created)
        report.count(.users, .unchanged)
        report.notCarriedOver = [.init(kind: .users, item: "bob", reason: "must reset")]
        #expect(report.text.contains("dry run"))
        #expect(report.text.contains("users           created 1  updated 0  unchanged 1"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(json["dry_run"] as? Bool == true)
        let counts = try #require(json["counts"] as? [String: [String: Int]])
        #expect(Set(counts.keys) == ["users", "clients", "signing_keys", "consents", "access_tokens", "refresh_tokens"])
        #expect(counts["users"] == ["created": 1, "updated": 0, "unchanged": 1])
        #expect((json["not_carried_over"] as? [[String: String]])?.first?["kind"] == "users")
    }
}

private extension Data {
    init(hex: String) {
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        self.init(bytes)
    }
}

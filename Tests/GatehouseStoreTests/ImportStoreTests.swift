import Foundation
import GatehouseCore
import GatehouseStore
import PGClient
import TestSupport
import Testing

@Suite("An import writes all or nothing, and a second one changes nothing")
struct ImportStoreTests {
    static let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded())

    static var source: DjangoSource {
        DjangoSource(
            users: [DjangoSource.User(id: 42, subject: "42", username: "ada",
                                      passwordHash: "pbkdf2_sha256$1000$salt$" + Data(count: 32).base64EncodedString(),
                                      email: "ada@example.org", firstName: "Ada", dateJoined: now.addingTimeInterval(-86_400)),
                    DjangoSource.User(id: 43, subject: "43", username: "bea", passwordHash: "argon2$argon2id$x",
                                      dateJoined: now.addingTimeInterval(-86_400))],
            clients: [DjangoSource.Client(id: 1, clientID: "012345", secret: "old-django-secret", name: "RP",
                                          clientType: "confidential", redirectURIs: ["https://rp.example/cb"],
                                          responseTypes: ["code"], jwtAlgorithm: "HS256", websiteURL: "https://rp.example")],
            consents: [DjangoSource.Consent(userID: 42, clientID: 1, scopes: ["openid", "email"],
                                            dateGiven: now.addingTimeInterval(-60), expiresAt: now.addingTimeInterval(86_400))],
            tokens: [DjangoSource.Token(id: 9, userID: 42, clientID: 1, accessToken: "plain-access", refreshToken: "plain-refresh",
                                        scopes: ["openid", "email"], expiresAt: now.addingTimeInterval(3600))],
            codeCount: 1)
    }

    static func snapshot(_ conn: PGConnection) throws -> [String] {
        try ["users", "clients", "consents", "grants", "access_tokens", "refresh_tokens", "signing_keys"].flatMap { table in
            try conn.query("SELECT t::text FROM \(table) t ORDER BY 1").rows.map { "\(table): " + (try $0.decode(String.self, at: 0)) }
        }
    }

    @Test("dry run writes nothing; the import writes digests only; a re-import after a sign-in and a revocation changes nothing")
    func importTwice() async throws {
        let db = try await TestDatabase.create()
        let pool = db.makePool(size: 2)
        let box = try SecretBox(secret: SecretToken.generate() + SecretToken.generate())
        let store = PGImportStore(pool: pool, box: box)
        let plan = DjangoImport.plan(Self.source, options: .init(now: Self.now, refreshTokenLifetime: .days(30)))
        let conn = try db.connect()
        defer { conn.close() }

        let empty = try Self.snapshot(conn)
        let dry = try await store.write(plan, dryRun: true, now: Self.now)
        #expect(dry.dryRun && dry.counts[.users]?.created == 2 && dry.counts[.accessTokens]?.created == 1)
        #expect(try Self.snapshot(conn) == empty)

        let first = try await store.write(plan, dryRun: false, now: Self.now)
        #expect(first.counts[.users] == .init(created: 2))
        #expect(first.counts[.clients] == .init(created: 1))
        #expect(first.counts[.consents] == .init(created: 1))
        #expect(first.counts[.refreshTokens] == .init(created: 1))
        #expect(first.notCarriedOver.contains { $0.item == "bea" && $0.reason.contains("must reset") })
        let stored = try Self.snapshot(conn).joined(separator: "\n")
        for secret in ["plain-access", "plain-refresh", "old-django-secret"] { #expect(!stored.contains(secret)) }
        let digest = SecretToken.digest(of: "plain-access")
        #expect(try conn.query("SELECT count(*) FROM access_tokens WHERE token_digest = $1", digest).first!.decode(Int.self, at: 0) == 1)
        #expect(try conn.query("SELECT subject, password_reset_required FROM users ORDER BY subject").rows.map {
            "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Bool.self, at: 1))" } == ["42 false", "43 true"])

        // Life goes on here: Ada signs in (scrypt now), her grant is revoked.
        let users = PGUserStore(pool: pool, hasher: PasswordHasher(parameters: .fastForTests))
        #expect(try await users.setPassword(username: "ada", to: "a new password"))
        try conn.query("DELETE FROM grants")
        let before = try Self.snapshot(conn)
        let second = try await store.write(plan, dryRun: false, now: Self.now.addingTimeInterval(60))
        for kind in ImportReport.Kind.written {
            #expect((second.counts[kind]?.created ?? 0) == 0 && (second.counts[kind]?.updated ?? 0) == 0, "\(kind)")
        }
        #expect(try Self.snapshot(conn) == before)  // the token stays gone, the password stays scrypt
        await pool.shutdown()
    }
}

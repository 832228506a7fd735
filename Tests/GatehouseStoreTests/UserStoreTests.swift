import Foundation
import GatehouseCore
import GatehouseStore
import PGClient
import TestSupport
import Testing

@Suite("Users are stored with scrypt hashes and authenticate")
struct UserStoreTests {
    let db: TestDatabase
    let pool: WorkerPool
    let users: PGUserStore

    init() async throws {
        db = try await TestDatabase.create()
        pool = db.makePool(size: 2)
        users = PGUserStore(pool: pool, hasher: PasswordHasher(parameters: .fastForTests))
    }

    @Test("a created user authenticates with its password and not with another")
    func createAndVerify() async throws {
        let created = try await users.create(NewUser(
            username: "alice", password: "wonder land", profile: UserProfile(givenName: "Alice", email: "alice@example.com")
        ))
        #expect(created.username == "alice")
        #expect(created.profile.email == "alice@example.com")
        #expect(created.lastLoginAt == nil)
        let signedIn = try await users.authenticate(username: "alice", password: "wonder land")
        #expect(signedIn?.id == created.id)
        #expect(signedIn?.lastLoginAt != nil)
        let checked7 = try await users.authenticate(username: "alice", password: "wrong")
        #expect(checked7 == nil)
        let checked8 = try await users.authenticate(username: "nobody", password: "wonder land")
        #expect(checked8 == nil)
        // Stored last_login_at, not only returned.
        let checked9 = try await users.find(username: "alice")?.lastLoginAt
        #expect(checked9 != nil)
        await pool.shutdown()
    }

    @Test("the password is stored only as a scrypt PHC hash")
    func passwordNotStored() async throws {
        _ = try await users.create(NewUser(username: "bob", password: "plaintext-marker"))
        let stored = try await pool.withConnection { conn in
            try conn.query("SELECT password_hash, row_to_json(users)::text FROM users WHERE username = 'bob'").first!
        }
        #expect(try stored.decode(String.self, at: 0).hasPrefix("$scrypt$"))
        #expect(try !stored.decode(String.self, at: 1).contains("plaintext-marker"))
        await pool.shutdown()
    }

    @Test("usernames are unique regardless of case")
    func duplicateUsername() async throws {
        _ = try await users.create(NewUser(username: "Carol", password: "pw"))
        await #expect(throws: StoreError.duplicate("user 'carol'")) {
            _ = try await users.create(NewUser(username: "carol", password: "pw"))
        }
        let checked10 = try await users.find(username: "CAROL")?.username
        #expect(checked10 == "Carol")
        await pool.shutdown()
    }

    @Test("a login with a hash of older parameters stores a new hash with the current ones")
    func rehashOnLogin() async throws {
        let old = PGUserStore(pool: pool, hasher: PasswordHasher(parameters: .init(logN: 5, r: 1, p: 1)))
        _ = try await old.create(NewUser(username: "dave", password: "pw"))
        let before = try await hash(of: "dave")
        #expect(before.hasPrefix("$scrypt$ln=5,r=1,p=1$"))
        let checked11 = try await users.authenticate(username: "dave", password: "pw")
        #expect(checked11 != nil)
        let after = try await hash(of: "dave")
        #expect(after.hasPrefix("$scrypt$ln=4,r=1,p=1$"))
        let checked12 = try await users.authenticate(username: "dave", password: "pw")
        #expect(checked12 != nil)
        await pool.shutdown()
    }

    @Test("set-password replaces the password; delete removes the user")
    func setPasswordAndDelete() async throws {
        _ = try await users.create(NewUser(username: "erin", password: "first"))
        #expect(try await users.setPassword(username: "erin", to: "second"))
        let checked13 = try await users.authenticate(username: "erin", password: "first")
        #expect(checked13 == nil)
        let checked14 = try await users.authenticate(username: "erin", password: "second")
        #expect(checked14 != nil)
        let checked15 = try await users.setPassword(username: "ghost", to: "x")
        #expect(checked15 == false)
        #expect(try await users.delete(username: "erin"))
        let checked16 = try await users.delete(username: "erin")
        #expect(checked16 == false)
        let checked17 = try await users.find(username: "erin")
        #expect(checked17 == nil)
        await pool.shutdown()
    }

    @Test("an inactive user cannot authenticate")
    func inactive() async throws {
        _ = try await users.create(NewUser(username: "frank", password: "pw"))
        try await pool.withConnection { try $0.query("UPDATE users SET is_active = false WHERE username = 'frank'") }
        let checked18 = try await users.authenticate(username: "frank", password: "pw")
        #expect(checked18 == nil)
        await pool.shutdown()
    }

    @Test("invalid usernames and emails are refused before anything is stored")
    func invalidInput() async throws {
        await #expect(throws: NewUser.Invalid.self) { _ = try await users.create(NewUser(username: " padded", password: "pw")) }
        await #expect(throws: NewUser.Invalid.self) {
            _ = try await users.create(NewUser(username: "x", password: "pw", profile: UserProfile(email: "not-an-email")))
        }
        #expect(try await users.list().isEmpty)
        await pool.shutdown()
    }

    private func hash(of username: String) async throws -> String {
        try await pool.withConnection { conn in
            try conn.query("SELECT password_hash FROM users WHERE username = $1", username).first!.decode(String.self, at: 0)
        }
    }
}

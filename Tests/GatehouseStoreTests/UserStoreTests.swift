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
        let wrongPassword = try await users.authenticate(username: "alice", password: "wrong")
        #expect(wrongPassword == nil)
        let unknownUser = try await users.authenticate(username: "nobody", password: "wonder land")
        #expect(unknownUser == nil)
        // Stored last_login_at, not only returned.
        let storedLastLogin = try await users.find(username: "alice")?.lastLoginAt
        #expect(storedLastLogin != nil)
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
        let foundByOtherCase = try await users.find(username: "CAROL")?.username
        #expect(foundByOtherCase == "Carol")
        await pool.shutdown()
    }

    @Test("a login with a hash of older parameters stores a new hash with the current ones")
    func rehashOnLogin() async throws {
        let old = PGUserStore(pool: pool, hasher: PasswordHasher(parameters: .init(logN: 5, r: 1, p: 1)))
        _ = try await old.create(NewUser(username: "dave", password: "pw"))
        let before = try await hash(of: "dave")
        #expect(before.hasPrefix("$scrypt$ln=5,r=1,p=1$"))
        let firstSignIn = try await users.authenticate(username: "dave", password: "pw")
        #expect(firstSignIn != nil)
        let after = try await hash(of: "dave")
        #expect(after.hasPrefix("$scrypt$ln=4,r=1,p=1$"))
        let secondSignIn = try await users.authenticate(username: "dave", password: "pw")
        #expect(secondSignIn != nil)
        await pool.shutdown()
    }

    @Test("set-password replaces the password; delete removes the user")
    func setPasswordAndDelete() async throws {
        _ = try await users.create(NewUser(username: "erin", password: "first"))
        #expect(try await users.setPassword(username: "erin", to: "second"))
        let oldPassword = try await users.authenticate(username: "erin", password: "first")
        #expect(oldPassword == nil)
        let newPassword = try await users.authenticate(username: "erin", password: "second")
        #expect(newPassword != nil)
        let missingUserSetPassword = try await users.setPassword(username: "ghost", to: "x")
        #expect(missingUserSetPassword == false)
        #expect(try await users.delete(username: "erin"))
        let deletedAgain = try await users.delete(username: "erin")
        #expect(deletedAgain == false)
        let foundAfterDelete = try await users.find(username: "erin")
        #expect(foundAfterDelete == nil)
        await pool.shutdown()
    }

    @Test("an inactive user cannot authenticate")
    func inactive() async throws {
        _ = try await users.create(NewUser(username: "frank", password: "pw"))
        try await pool.withConnection { try $0.query("UPDATE users SET is_active = false WHERE username = 'frank'") }
        let inactiveSignIn = try await users.authenticate(username: "frank", password: "pw")
        #expect(inactiveSignIn == nil)
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

import Foundation
import GatehouseCore
import PGClient

/// Users in Postgres.
public struct PGUserStore: UserStore {
    let pool: WorkerPool
    let hasher: PasswordHasher
    let clock: any WallClock

    public init(pool: WorkerPool, hasher: PasswordHasher = PasswordHasher(), clock: any WallClock = SystemClock()) {
        self.pool = pool
        self.hasher = hasher
        self.clock = clock
    }

    static let columnNames = [
        "id", "subject", "username", "name", "given_name", "family_name", "preferred_username", "email",
        "email_verified", "phone_number", "phone_number_verified", "address", "picture", "locale", "zoneinfo",
        "is_active", "created_at", "updated_at", "last_login_at", "claims", "is_admin",
    ]
    static let columns = columnNames.joined(separator: ", ")
    /// The same columns qualified with the alias `u`, for joins.
    static let prefixedColumns = columnNames.map { "u.\($0)" }.joined(separator: ", ")

    public func create(_ requested: NewUser) async throws -> User {
        var normalized = requested
        normalized.username = Username.normalized(requested.username)
        let newUser = normalized
        try newUser.validate()
        let hasher = self.hasher
        let passwordHash = try await OffThreadWork.run { try hasher.hash(newUser.password) }
        let p = newUser.profile
        do {
            return try await pool.storeConnection { conn in
                let row = try conn.query("""
                    INSERT INTO users (username, password_hash, name, given_name, family_name, preferred_username,
                                       email, email_verified, phone_number, picture, locale, zoneinfo, claims)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                    RETURNING \(Self.columns)
                    """,
                    [newUser.username, passwordHash, p.name, p.givenName, p.familyName, p.preferredUsername,
                     p.email, p.emailVerified, p.phoneNumber, p.picture, p.locale, p.zoneinfo,
                     PGJSON(text: CustomClaims.encode(newUser.claims))]
                ).rows[0]
                return try Self.user(from: row)
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw StoreError.duplicate("user '\(newUser.username)'")
        }
    }

    public func find(username: String) async throws -> User? {
        let username = Username.normalized(username)
        return try await pool.storeConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM users WHERE lower(username) = lower($1)", username)
                .first.map(Self.user(from:))
        }
    }

    public func find(subject: String) async throws -> User? {
        try await pool.storeConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM users WHERE subject = $1", subject).first.map(Self.user(from:))
        }
    }

    public func list() async throws -> [User] {
        try await pool.storeConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM users ORDER BY lower(username)").rows.map(Self.user(from:))
        }
    }

    public func delete(username: String) async throws -> Bool {
        let username = Username.normalized(username)
        return try await pool.storeConnection { conn in
            try conn.query("DELETE FROM users WHERE lower(username) = lower($1)", username).affectedRows > 0
        }
    }

    public func setPassword(username: String, to password: String) async throws -> Bool {
        let username = Username.normalized(username)
        let hasher = self.hasher
        let passwordHash = try await OffThreadWork.run { try hasher.hash(password) }
        let now = clock.now
        return try await pool.storeTransaction { conn in
            guard let id = try conn.query(
                "UPDATE users SET password_hash = $2, password_reset_required = false, updated_at = $3 WHERE lower(username) = lower($1) RETURNING id",
                username, passwordHash, now
            ).first?.decode(Int64.self, at: 0) else { return false }
            try Self.endSessionsAndRevokeGrants(userID: id, now: now, conn: conn)
            return true
        }
    }

    public func updateProfile(username: String, to p: UserProfile) async throws -> Bool {
        let username = Username.normalized(username)
        let now = clock.now
        return try await pool.storeConnection { conn in
            try conn.query("""
                UPDATE users SET name = $2, given_name = $3, family_name = $4, email = $5, email_verified = $6,
                    phone_number = $7, updated_at = $8
                WHERE lower(username) = lower($1)
                """, [username, p.name, p.givenName, p.familyName, p.email, p.emailVerified, p.phoneNumber, now]).affectedRows > 0
        }
    }

    /// Grants or removes entry to the admin console; false when there is no such user.
    public func setAdmin(username: String, admin: Bool) async throws -> Bool {
        let username = Username.normalized(username)
        let now = clock.now
        return try await pool.storeConnection { conn in
            try conn.query("UPDATE users SET is_admin = $2, updated_at = $3 WHERE lower(username) = lower($1)",
                           username, admin, now).affectedRows > 0
        }
    }

    public func setActive(username: String, active: Bool) async throws -> Bool {
        let username = Username.normalized(username)
        let now = clock.now
        return try await pool.storeTransaction { conn in
            guard let id = try conn.query(
                "UPDATE users SET is_active = $2, updated_at = $3 WHERE lower(username) = lower($1) RETURNING id",
                username, active, now
            ).first?.decode(Int64.self, at: 0) else { return false }
            if !active { try Self.endSessionsAndRevokeGrants(userID: id, now: now, conn: conn) }
            return true
        }
    }

    /// A new password or a disabled account must not leave a thief signed in:
    /// every browser session of the user ends, and every grant (so every
    /// access and refresh token issued from it) is revoked.
    static func endSessionsAndRevokeGrants(userID: Int64, now: Date, conn: PGConnection) throws {
        try conn.query("DELETE FROM sessions WHERE user_id = $1", userID)
        try conn.query("UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", userID, now)
    }

    public func authenticate(username: String, password: String) async throws -> User? {
        let username = Username.normalized(username)
        let found: (User, String)? = try await pool.storeConnection { conn in
            guard let row = try conn.query(
                "SELECT \(Self.columns), password_hash FROM users WHERE lower(username) = lower($1)", username
            ).first else { return nil }
            return (try Self.user(from: row), try row.decode(String.self, column: "password_hash"))
        }
        let hasher = self.hasher
        guard let (user, storedHash) = found, user.isActive else {
            // Same work as a real check, so timing does not reveal which usernames exist.
            try await OffThreadWork.run { hasher.burnVerificationTime(password) }
            return nil
        }
        let verification = try await OffThreadWork.run { hasher.verify(password, against: storedHash) }
        guard verification.matches else { return nil }

        let rehashed: String? = verification.needsRehash
            ? try await OffThreadWork.run { try hasher.hash(password) }
            : nil
        let now = clock.now
        try await pool.storeConnection { conn in
            if let rehashed {
                // Only replace the hash we verified, in case the password changed meanwhile.
                try conn.query(
                    "UPDATE users SET password_hash = $2, last_login_at = $3 WHERE id = $1 AND password_hash = $4",
                    user.id, rehashed, now, storedHash
                )
            } else {
                try conn.query("UPDATE users SET last_login_at = $2 WHERE id = $1", user.id, now)
            }
        }
        var signedIn = user
        signedIn.lastLoginAt = now
        return signedIn
    }

    public func setClaim(username: String, name: String, value: ClaimValue?) async throws -> Bool {
        let username = Username.normalized(username)
        return try await pool.storeConnection { conn in
            if let value {
                return try conn.query("""
                    UPDATE users SET claims = claims || jsonb_build_object($2::text, $3::jsonb), updated_at = now()
                    WHERE lower(username) = lower($1)
                    """, [username, name, PGJSON(text: JSONText.value(value))]).affectedRows > 0
            }
            return try conn.query("""
                UPDATE users SET claims = claims - $2::text, updated_at = now() WHERE lower(username) = lower($1)
                """, username, name).affectedRows > 0
        }
    }

    static func user(from row: PGRow) throws -> User {
        User(
            id: try row.decode(column: "id"),
            subject: try row.decode(column: "subject"),
            username: try row.decode(column: "username"),
            profile: UserProfile(
                name: try row.decode(column: "name"),
                givenName: try row.decode(column: "given_name"),
                familyName: try row.decode(column: "family_name"),
                preferredUsername: try row.decode(column: "preferred_username"),
                email: try row.decode(column: "email"),
                emailVerified: try row.decode(column: "email_verified"),
                phoneNumber: try row.decode(column: "phone_number"),
                phoneNumberVerified: try row.decode(column: "phone_number_verified"),
                address: try row.decode(PGJSON?.self, column: "address").map { try $0.decode([String: String].self) },
                picture: try row.decode(column: "picture"),
                locale: try row.decode(column: "locale"),
                zoneinfo: try row.decode(column: "zoneinfo")
            ),
            isActive: try row.decode(column: "is_active"),
            createdAt: try row.decode(column: "created_at"),
            updatedAt: try row.decode(column: "updated_at"),
            lastLoginAt: try row.decode(column: "last_login_at"),
            claims: try CustomClaims.decode(objectText: try row.decode(PGJSON.self, column: "claims").text),
            isAdmin: try row.decode(column: "is_admin")
        )
    }
}

import Foundation
import GatehouseCore
import PGClient

/// Browser sessions. The cookie carries a random id; the table its digest.
public struct PGSessionStore: SessionStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func create(userID: Int64?, authTime: Date?, now: Date, lifetime: Duration) async throws -> BrowserSession {
        let id = SecretToken.generate()
        let expires = now.addingTimeInterval(lifetime.timeInterval)
        try await pool.storeConnection { conn in
            try conn.query("""
                INSERT INTO sessions (id_digest, user_id, auth_time, created_at, last_seen_at, expires_at)
                VALUES ($1, $2, $3, $4, $4, $5)
                """, [SecretToken.digest(of: id), userID, authTime, now, expires])
        }
        guard userID != nil else { return BrowserSession(id: id, user: nil, authTime: nil) }
        return try await find(id: id, now: now) ?? BrowserSession(id: id, user: nil, authTime: nil)
    }

    public func find(id: String, now: Date) async throws -> BrowserSession? {
        let digest = SecretToken.digest(of: id)
        return try await pool.storeConnection { conn in
            guard let row = try conn.query("""
                SELECT s.expires_at AS session_expires_at, s.auth_time, s.user_id AS session_user_id,
                       \(PGUserStore.prefixedColumns)
                FROM sessions s LEFT JOIN users u ON u.id = s.user_id
                WHERE s.id_digest = $1
                """, digest).first
            else { return nil }
            guard try row.decode(Date.self, column: "session_expires_at") > now else { return nil }
            let user = try row.decode(Int64?.self, column: "session_user_id") == nil ? nil : try PGUserStore.user(from: row)
            return BrowserSession(id: id, user: user?.isActive == true ? user : nil, authTime: try row.decode(column: "auth_time"))
        }
    }

    public func delete(id: String) async throws {
        try await pool.storeConnection { conn in
            try conn.query("DELETE FROM sessions WHERE id_digest = $1", SecretToken.digest(of: id))
        }
    }
}

import Foundation
import GatehouseCore
import PGClient

/// Remembered consents, one row per user and client.
public struct PGConsentStore: ConsentStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func scopes(userID: Int64, clientID: Int64, now: Date) async throws -> Scopes? {
        try await pool.storeConnection { conn in
            try conn.query(
                "SELECT scopes FROM consents WHERE user_id = $1 AND client_id = $2 AND expires_at > $3",
                userID, clientID, now
            ).first.map { Scopes(try $0.decode(PGTextArray.self, at: 0).elements) }
        }
    }

    public func save(userID: Int64, clientID: Int64, scopes: Scopes, now: Date, lifetime: Duration) async throws {
        let expires = now.addingTimeInterval(lifetime.timeInterval)
        // An upsert: concurrent consents for the same pair leave one row.
        try await pool.storeConnection { conn in
            try conn.query("""
                INSERT INTO consents (user_id, client_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (user_id, client_id)
                DO UPDATE SET scopes = EXCLUDED.scopes, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                """, [userID, clientID, PGTextArray(scopes.values), now, expires])
        }
    }
}

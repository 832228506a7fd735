import Foundation
import GatehouseCore
import PGClient

/// Failed sign-ins counted in Postgres, so all replicas agree.
public struct PGLoginThrottle: LoginThrottle {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func retryAfter(keys: [String], now: Date) async throws -> Int? {
        let until: Date? = try await pool.withConnection { conn in
            try conn.query(
                "SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1) AND locked_until > $2",
                PGTextArray(keys), now
            ).first?.decode(Date?.self, at: 0)
        }
        return until.map { max(1, Int(($0.timeIntervalSince(now)).rounded(.up))) }
    }

    public func recordFailure(keys: [String], now: Date, maxFailures: Int, lockout: Int) async throws {
        let windowStart = now.addingTimeInterval(-TimeInterval(lockout) * 10)
        let lockedUntil = now.addingTimeInterval(TimeInterval(lockout))
        let expires = now.addingTimeInterval(TimeInterval(lockout) * 10)
        try await pool.withConnection { conn in
            for key in keys {
                // Failures older than the window are forgotten; reaching the
                // limit locks the key and starts counting again.
                try conn.query("""
                    INSERT INTO login_throttle AS t (key, failures, window_started_at, expires_at)
                    VALUES ($1, 1, $2, $4)
                    ON CONFLICT (key) DO UPDATE SET
                        failures = CASE WHEN t.window_started_at < $3 THEN 1 ELSE t.failures + 1 END,
                        window_started_at = CASE WHEN t.window_started_at < $3 THEN $2 ELSE t.window_started_at END,
                        expires_at = $4
                    """, [key, now, windowStart, expires])
                try conn.query("""
                    UPDATE login_throttle SET locked_until = $2, failures = 0, window_started_at = $3
                    WHERE key = $1 AND failures >= $4
                    """, [key, lockedUntil, now, maxFailures])
            }
        }
    }

    public func reset(key: String) async throws {
        try await pool.withConnection { conn in
            try conn.query("DELETE FROM login_throttle WHERE key = $1", key)
        }
    }
}

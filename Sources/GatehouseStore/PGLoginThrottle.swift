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
        let until: Date? = try await pool.storeConnection { conn in
            try conn.query(
                "SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1) AND locked_until > $2",
                PGTextArray(keys), now
            ).first?.decode(Date?.self, at: 0)
        }
        // Postgres keeps microseconds, Date more: half a millisecond of slack
        // keeps a 30 s wait from reading as 31.
        return until.map { max(1, Int(($0.timeIntervalSince(now) - 0.0005).rounded(.up))) }
    }

    public func recordFailure(accountKey: String, addressKey: String, now: Date, delay: LoginDelay,
                              address: AddressThrottle) async throws {
        let forgetAt = now.addingTimeInterval(TimeInterval(LoginDelay.forgetAfter))
        let windowStart = now.addingTimeInterval(-TimeInterval(address.window))
        let addressLockedUntil = now.addingTimeInterval(TimeInterval(address.lockout))
        let addressExpires = now.addingTimeInterval(TimeInterval(address.window))
        try await pool.storeTransaction { conn in
            // The account's count grows until a correct sign-in, an unlock, or
            // a day without failures (the row's expiry) clears it.
            let failures = try conn.query("""
                INSERT INTO login_throttle AS t (key, failures, window_started_at, expires_at)
                VALUES ($1, 1, $2, $3)
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN t.expires_at <= $2 THEN 1 ELSE t.failures + 1 END,
                    window_started_at = CASE WHEN t.expires_at <= $2 THEN $2 ELSE t.window_started_at END,
                    expires_at = $3
                RETURNING failures
                """, [accountKey, now, forgetAt]).first!.decode(Int.self, at: 0)
            let wait = delay.delay(afterFailures: failures)
            if wait > 0 {
                let until = now.addingTimeInterval(TimeInterval(wait))
                try conn.query("UPDATE login_throttle SET locked_until = $2, expires_at = greatest(expires_at, $2) WHERE key = $1",
                               accountKey, until)
            }
            // The address's failures count within a window; reaching the
            // limit pauses its wrong guesses and starts counting again.
            try conn.query("""
                INSERT INTO login_throttle AS t (key, failures, window_started_at, expires_at)
                VALUES ($1, 1, $2, $4)
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN t.window_started_at < $3 THEN 1 ELSE t.failures + 1 END,
                    window_started_at = CASE WHEN t.window_started_at < $3 THEN $2 ELSE t.window_started_at END,
                    expires_at = greatest(t.expires_at, $4)
                """, [addressKey, now, windowStart, addressExpires])
            try conn.query("""
                UPDATE login_throttle SET locked_until = $2, failures = 0, window_started_at = $3
                WHERE key = $1 AND failures >= $4
                """, [addressKey, addressLockedUntil, now, address.maxFailures])
        }
    }

    public func reset(key: String) async throws {
        try await pool.storeConnection { conn in
            try conn.query("DELETE FROM login_throttle WHERE key = $1", key)
        }
    }
}

import Foundation
import GatehouseCore
import PGClient

/// Deletes what has expired, in small batches, so tables stay small and live
/// traffic does not notice.
///
/// One pass runs on its own single-connection pool: it holds a session-level
/// advisory lock for the whole pass (`pg_try_advisory_lock`, so a replica that
/// finds it taken skips the pass instead of waiting), and it never takes a
/// worker away from requests. Each batch is one DELETE, its own short
/// transaction, locking at most `batchSize` rows. After each batch the pass
/// rests `pauseRatio` times as long as the batch took, so on a busy machine it
/// slows down with everything else instead of taking a whole core from it.
public struct ExpirySweeper: Sendable {
    /// What a pass deletes, in this order: grants last, so its "no live token
    /// left" test sees the tokens already gone.
    public static let tables: [(name: String, condition: String)] = [
        ("authorization_codes", "expires_at < $1"),
        ("access_tokens", "expires_at < $1"),
        ("refresh_tokens", "expires_at < $1"),
        ("consents", "expires_at < $1"),
        ("sessions", "expires_at < $1"),
        ("login_throttle", "expires_at < $1"),
        // Kept OIDC_AUDIT_RETENTION_DAYS (as set when each was written).
        ("audit_events", "expires_at < $1"),
        // A grant lives while any of its codes or tokens does: its expires_at
        // is the latest of theirs. A revoked grant is dead at once; deleting it
        // cascades to whatever it still holds.
        ("grants", "(revoked_at IS NOT NULL OR expires_at < $1)"),
    ]

    public struct Report: Sendable, Equatable {
        /// Rows deleted (or, in a dry run, that would be) per table.
        public var rows: [String: Int] = [:]
        public var seconds: Double = 0
        /// Another replica held the lock, so this pass did nothing.
        public var skipped = false
        /// Shutdown stopped the pass between batches.
        public var interrupted = false

        public var total: Int { rows.values.reduce(0, +) }
    }

    static let lockKey: Int64 = 0x6761_7465_7377_6565

    let pool: WorkerPool
    let clock: any WallClock
    public let batchSize: Int
    public let pauseRatio: Double

    /// - Parameter pool: a pool of size 1, used only by the sweeper.
    public init(pool: WorkerPool, clock: any WallClock = SystemClock(), batchSize: Int = 1000,
                pauseRatio: Double = 1) {
        self.pool = pool
        self.clock = clock
        self.batchSize = max(1, batchSize)
        self.pauseRatio = max(0, pauseRatio)
    }

    /// Runs one pass. `shouldStop` is asked between batches.
    public func sweep(dryRun: Bool = false, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> Report {
        let started = ContinuousClock.now
        let now = clock.now
        var report = Report()
        // What a pass deletes has expired: if a crash loses its last batches,
        // the next pass deletes them again. So its commits need not wait for
        // the WAL flush (a pass then takes less of the machine from requests:
        // see docs/BENCHMARKS.md); the session's own value comes back after.
        let (locked, previousCommitSetting) = try await pool.withConnection { conn -> (Bool, String) in
            let locked = try conn.query("SELECT pg_try_advisory_lock($1)", Self.lockKey).first!.decode(Bool.self, at: 0)
            guard locked else { return (false, "") }
            let previous = try conn.query("SELECT current_setting('synchronous_commit'), set_config('synchronous_commit', 'off', false)")
                .first!.decode(String.self, at: 0)
            return (true, previous)
        }
        guard locked else {
            report.skipped = true
            return report
        }
        do {
            for table in Self.tables {
                report.rows[table.name] = 0
                if dryRun {
                    report.rows[table.name] = try await pool.withConnection { conn in
                        try conn.query("SELECT count(*) FROM \(table.name) WHERE \(table.condition)", now).first!.decode(Int.self, at: 0)
                    }
                    continue
                }
                while true {
                    if shouldStop() {
                        report.interrupted = true
                        break
                    }
                    // ctid lookups make each batch an index range scan plus a
                    // delete of exactly those rows.
                    let batchStarted = ContinuousClock.now
                    let deleted = try await pool.withConnection { [batchSize] conn in
                        try conn.query("""
                            DELETE FROM \(table.name) WHERE ctid = ANY(ARRAY(
                                SELECT ctid FROM \(table.name) WHERE \(table.condition) LIMIT $2))
                            """, now, batchSize).affectedRows
                    }
                    report.rows[table.name, default: 0] += deleted
                    if deleted < batchSize { break }
                    if pauseRatio > 0 {
                        try? await Task.sleep(for: (ContinuousClock.now - batchStarted) * pauseRatio)
                    }
                }
                if report.interrupted { break }
            }
        } catch {
            try? await unlock(restoring: previousCommitSetting)
            throw error
        }
        try await unlock(restoring: previousCommitSetting)
        report.seconds = (ContinuousClock.now - started).seconds
        return report
    }

    private func unlock(restoring commitSetting: String) async throws {
        try await pool.withConnection { conn in
            try conn.query("SELECT pg_advisory_unlock($1), set_config('synchronous_commit', $2, false)", Self.lockKey, commitSetting)
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

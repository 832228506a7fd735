import GatehouseCore
import PGClient

/// `/readyz` over Postgres: the database answers and every migration this
/// build knows is applied.
public struct PGReadinessProbe: ReadinessProbe {
    let pool: WorkerPool
    /// The migrations this build expects; nil when the sql directory is not shipped beside it.
    let migrator: Migrator?

    public init(pool: WorkerPool, migrator: Migrator?) {
        self.pool = pool
        self.migrator = migrator
    }

    public func check() async -> Readiness {
        let migrator = self.migrator
        do {
            let upToDate = try await pool.withConnection { conn in
                _ = try conn.query("SELECT 1")
                return try migrator?.isUpToDate(conn) ?? true
            }
            return upToDate ? .ready : .migrationsPending
        } catch {
            return .databaseUnavailable
        }
    }
}

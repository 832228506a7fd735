import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import PGClient

/// What every database command needs: settings and a small worker pool.
struct CommandContext {
    let settings: Settings
    let pool: WorkerPool

    /// Loads settings and connects; closes the pool after `body`, even when it throws.
    static func with<T>(poolSize: Int = 1, _ body: (CommandContext) async throws -> T) async throws -> T {
        let settings = try Settings.load()
        var logger = Logger(label: "gatehouse")
        logger.logLevel = .critical  // the CLI reports failures itself, in one line
        let pool = WorkerPool(
            configuration: .init(conninfo: settings.databaseURL, size: poolSize,
                                 acquireTimeout: settings.poolTimeout),
            logger: logger
        )
        do {
            try await pool.connectAll()
            let result = try await body(CommandContext(settings: settings, pool: pool))
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    var users: PGUserStore { PGUserStore(pool: pool) }

    /// Records a change made from the command line in the audit log.
    func audit(_ action: AuditEvent.Action, target: String?, details: [String: String] = [:]) async throws {
        try await PGAuditLog(pool: pool, retention: settings.auditRetention)
            .record(AuditEvent(at: Date(), actor: .cli, action: action, target: target, details: details))
    }

    /// `body`'s change, recorded as `action` when it found its target (returned true).
    func audited(_ action: AuditEvent.Action, target: String, details: [String: String] = [:],
                 _ body: () async throws -> Bool) async throws -> Bool {
        let found = try await body()
        if found { try await audit(action, target: target, details: details) }
        return found
    }
    /// Seals HS256 clients' secrets when GATEHOUSE_SECRET_KEY is set (only those clients need it).
    var clients: PGRelyingPartyStore {
        PGRelyingPartyStore(pool: pool, box: settings.secretKey.flatMap { try? SecretBox(secret: $0) })
    }
}

/// Writes a line to stderr (warnings that must not mix with parseable stdout).
func printWarning(_ text: String) {
    FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
}

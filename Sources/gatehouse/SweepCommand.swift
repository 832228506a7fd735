import ArgumentParser
import Foundation
import GatehouseStore

struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Delete expired codes, tokens, consents, sessions and dead grants once (for cron)."
    )

    @Flag(name: .customLong("dry-run"), help: "Count what would be deleted; delete nothing.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: "Rows per DELETE statement (default: $OIDC_SWEEP_BATCH_SIZE or 1000).")
    var batchSize: Int?

    func run() async throws {
        let report = try await CommandContext.with { context in
            try await ExpirySweeper(pool: context.pool, batchSize: batchSize ?? context.settings.sweepBatchSize)
                .sweep(dryRun: dryRun)
        }
        if report.skipped {
            print("skipped: another process is sweeping")
            return
        }
        let verb = dryRun ? "would delete" : "deleted"
        for table in ExpirySweeper.tables.map(\.name) {
            print("\(table)\t\(verb) \(report.rows[table] ?? 0)")
        }
        print(String(format: "total\t%@ %d rows in %.3f s", verb, report.total, report.seconds))
    }
}

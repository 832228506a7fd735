import ArgumentParser
import Foundation
import GatehouseCore
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

    @Option(name: .customLong("pause-ratio"),
            help: "Rest this many times as long as each batch took (default: $OIDC_SWEEP_PAUSE_RATIO or 1; 0: no rest).")
    var pauseRatio: Double?

    func validate() throws {
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        let range = Settings.sweepPauseRatioRange
        if let pauseRatio, !range.contains(pauseRatio) {
            throw ValidationError("--pause-ratio must be between \(range.lowerBound.formatted()) and \(range.upperBound.formatted())")
        }
    }

    func run() async throws {
        let report = try await CommandContext.with { context in
            try await ExpirySweeper(pool: context.pool, batchSize: batchSize ?? context.settings.sweepBatchSize,
                                    pauseRatio: pauseRatio ?? context.settings.sweepPauseRatio)
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

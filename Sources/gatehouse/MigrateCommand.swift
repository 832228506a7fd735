import ArgumentParser
import GatehouseStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the numbered SQL migrations that have not been applied yet."
    )

    @Option(name: .customLong("sql-dir"), help: "Directory of NNNN_name.sql files (default: $GATEHOUSE_SQL_DIR or ./sql).")
    var sqlDirectory: String?

    func run() async throws {
        try await CommandContext.with { context in
            let migrator = try Migrator(directory: sqlDirectory ?? context.settings.sqlDirectory)
            let report = try await context.pool.withConnection { try migrator.migrate($0) }
            for version in report.unknownVersions {
                printWarning("the database has migration \(version), which this build does not know")
            }
            if report.applied.isEmpty {
                print("nothing to apply: all \(report.alreadyApplied) migrations are applied")
            } else {
                for name in report.applied { print("applied \(name)") }
                print("applied \(report.applied.count) migration(s); \(report.alreadyApplied) were already applied")
            }
        }
    }
}

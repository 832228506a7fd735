import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PGClient
import TestSupport
import Testing

@Suite("/readyz follows the database")
struct ReadinessTests {
    /// Runs scripts/pg-cluster.sh; returns its standard output.
    ///
    /// Output goes through a file, not a pipe: the Postgres server the script
    /// starts inherits the child's descriptors and would hold a pipe open forever.
    @discardableResult
    static func cluster(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gh-cluster-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Paths.root.appendingPathComponent("scripts/pg-cluster.sh").path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ClusterFailure(arguments: arguments) }
        return try String(contentsOf: output, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("ready is 503 while its own Postgres is stopped and 200 again once it is back, without a restart")
    func followsPostgres() async throws {
        // A private cluster: stopping the shared one would fail every other test.
        let dir = URL(fileURLWithPath: "/tmp/ghrz-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        chmod(dir.path, 0o755)
        let data = dir.appendingPathComponent("data").path
        defer {
            _ = try? Self.cluster(["stop", data])
            try? FileManager.default.removeItem(at: dir)
        }
        let url = try await Task.detached { try Self.cluster(["start", data, dir.path, "5432"]) }.value
        let migrator = try Migrator(directory: Paths.sqlDirectory)
        _ = try migrator.migrate(try PGConnection(conninfo: url))
        let pool = WorkerPool(configuration: .init(conninfo: url, size: 1, acquireTimeout: .seconds(2),
                                                   reconnectBackoff: (.milliseconds(50), .milliseconds(200))))
        try await Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: pool, migrator: migrator))).test(.router) { http in
            let browser = Browser(http)
            let readyStatus = try await browser.get("/readyz").status
            #expect(readyStatus == .ok)
            _ = try await Task.detached { try Self.cluster(["stop", data]) }.value
            let pendingStatus = try await browser.get("/readyz").status
            #expect(pendingStatus == .serviceUnavailable)
            let healthStatus = try await browser.get("/healthz").status
            #expect(healthStatus == .ok)
            try await Task.detached { _ = try Self.cluster(["start", data, dir.path, "5432"]) }.value
            var recovered = false
            for _ in 0..<100 where !recovered {
                recovered = try await browser.get("/readyz").status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(recovered)
        }
        await pool.shutdown()
    }

    @Test("ready is 503 while a migration this build knows is not applied")
    func pendingMigration() async throws {
        let db = try await TestDatabase.create()
        let pool = db.makePool(size: 1)
        let files = try MigrationFile.load(from: Paths.sqlDirectory) + [MigrationFile(version: 9999, name: "future", sql: "SELECT 1")]
        try await Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: pool, migrator: Migrator(files: files)))).test(.router) { http in
            let futureMigrationStatus = try await Browser(http).get("/readyz").status
            #expect(futureMigrationStatus == .serviceUnavailable)
        }
        try await Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: pool, migrator: try Migrator(directory: Paths.sqlDirectory)))).test(.router) { http in
            let shippedStatus = try await Browser(http).get("/readyz").status
            #expect(shippedStatus == .ok)
        }
        await pool.shutdown()
    }
}

struct ClusterFailure: Error, CustomStringConvertible {
    let arguments: [String]
    var description: String { "scripts/pg-cluster.sh \(arguments.joined(separator: " ")) failed" }
}

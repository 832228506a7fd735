import Foundation
import TestSupport
import Testing

@Suite("gatehouse serve")
struct ServeCommandTests {
    @Test("SIGTERM with sign-ins in flight lets them complete and exits 0")
    func gracefulShutdown() async throws {
        let db = try await TestDatabase.create()
        let binary = try CLIRunner.binary()
        let outcome = try await Task.detached {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Paths.root.appendingPathComponent("scripts/check_graceful_shutdown.py").path, binary.path]
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = db.conninfo
            env["GATEHOUSE_SQL_DIR"] = Paths.sqlDirectory
            process.environment = env
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }.value
        #expect(outcome.0 == 0, "\(outcome.1)\(outcome.2)")
        #expect(outcome.1.contains("24 of 24 in-flight sign-ins answered; server exit status 0"))
    }

    @Test("serve refuses to start without GATEHOUSE_SECRET_KEY, in one line")
    func needsSecretKey() async throws {
        var cli = CLIRunner(database: try await TestDatabase.create())
        cli.environment["GATEHOUSE_SECRET_KEY"] = ""
        let outcome = try await cli.run(["serve"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("GATEHOUSE_SECRET_KEY"))
        #expect(outcome.stderr.split(separator: "\n").count == 1)
    }
}

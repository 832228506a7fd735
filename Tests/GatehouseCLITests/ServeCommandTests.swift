import Foundation
import TestSupport
import Testing

@Suite("gatehouse serve")
struct ServeCommandTests {
    @Test("SIGTERM with sign-ins in flight lets them complete and exits 0")
    func gracefulShutdown() async throws {
        let outcome = try await PythonCheck.run("check_graceful_shutdown.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("24 of 24 in-flight sign-ins answered; server exit status 0"))
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

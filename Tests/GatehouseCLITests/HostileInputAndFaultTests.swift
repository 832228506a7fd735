import Foundation
import TestSupport
import Testing

/// The server as a whole under hostile input, a database outage and SIGTERM
/// under load; each drives a real `gatehouse serve` from a script in `Tests/System/`.
@Suite("hostile input and faults")
struct HostileInputAndFaultTests {
    @Test("fuzzing every endpoint gives no 5xx, no crash, and errors in each endpoint's format")
    func fuzzEveryEndpoint() async throws {
        let outcome = try await PythonCheck.run("fuzz_endpoints.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.contains("5xx: 0, crashes: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }

    @Test("with Postgres stopped for 10 s requests get a quick 503, /readyz is 503, and service and tokens come back")
    func databaseOutage() async throws {
        let outcome = try await PythonCheck.run("check_db_outage.py", database: nil)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        print(outcome.summary)
    }

    @Test("SIGTERM under load answers every accepted request and exits 0")
    func shutdownUnderLoad() async throws {
        let outcome = try await PythonCheck.run("check_shutdown_under_load.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        print(outcome.summary)
    }
}

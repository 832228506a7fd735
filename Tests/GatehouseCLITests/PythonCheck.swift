import Foundation
import TestSupport

/// Runs one of the checker scripts in `Tests/System/` against the built binary.
/// They start `gatehouse serve` themselves and exit 0 only when every
/// expectation held; their last line is a summary with the counts.
enum PythonCheck {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        var summary: String { stdout.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// - Parameter database: the database the script may use (nil for scripts that start their own cluster).
    static func run(_ script: String, database: TestDatabase?) async throws -> Outcome {
        let binary = try CLIRunner.binary()
        // On a Dispatch thread: the wait must not hold a cooperative thread.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["python3", Paths.root.appendingPathComponent("Tests/System/\(script)").path, binary.path]
                    var env = ProcessInfo.processInfo.environment
                    if let database { env["DATABASE_URL"] = database.conninfo }
                    env["GATEHOUSE_SQL_DIR"] = Paths.sqlDirectory
                    process.environment = env
                    let out = Pipe(), err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    // Read stderr on another thread so neither pipe can fill up and stall the script.
                    let stderrData = Collected()
                    let group = DispatchGroup()
                    group.enter()
                    DispatchQueue.global().async {
                        stderrData.data = err.fileHandleForReading.readDataToEndOfFile()
                        group.leave()
                    }
                    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    group.wait()
                    process.waitUntilExit()
                    return Outcome(status: process.terminationStatus, stdout: stdout,
                                   stderr: String(decoding: stderrData.data, as: UTF8.self))
                })
            }
        }
    }
}

/// Written by one thread before `DispatchGroup.leave`, read after `wait`.
private final class Collected: @unchecked Sendable {
    var data = Data()
}

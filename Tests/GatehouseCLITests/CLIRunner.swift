import Foundation
import TestSupport

/// Runs the built `gatehouse` binary as a child process.
struct CLIRunner {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        let description: String
    }

    let database: TestDatabase?
    var environment: [String: String] = [:]

    /// `$GATEHOUSE_BIN`, or `gatehouse` beside the test bundle (both are in the build's bin directory).
    static func binary() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["GATEHOUSE_BIN"], FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("gatehouse")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw BinaryMissing(description: "gatehouse binary not found: run `swift build` first or set GATEHOUSE_BIN")
    }

    /// Runs the binary on a Dispatch thread, so waiting for it does not hold
    /// one of the cooperative threads every other test needs.
    func run(_ arguments: [String], stdin: String? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(arguments, stdin: stdin) })
            }
        }
    }

    private func runBlocking(_ arguments: [String], stdin: String?) throws -> Outcome {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = database?.conninfo ?? env["DATABASE_URL"]
        env["GATEHOUSE_SQL_DIR"] = Paths.sqlDirectory
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read before waiting so a full pipe cannot block the child.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }
}

import Foundation
import PGClient

/// Applies numbered SQL files in order, each in its own transaction, once.
///
/// Replicas that start together all run `gatehouse migrate`; a session-level
/// advisory lock makes the second wait for the first and then find nothing to do.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [String] = []
        public var alreadyApplied = 0
        /// Versions recorded in the database with no file here (a newer build ran).
        public var unknownVersions: [Int] = []
    }

    /// Arbitrary but fixed: "gatehouse" hashed to a bigint, shared by every replica.
    static let lockKey: Int64 = 0x6761_7465_686F_7573

    public let files: [MigrationFile]

    public init(files: [MigrationFile]) {
        self.files = files
    }

    public init(directory: String) throws {
        self.files = try MigrationFile.load(from: directory)
    }

    /// Runs on a connection the caller owns (on a worker thread).
    public func migrate(_ connection: PGConnection) throws -> Report {
        try connection.query("SELECT pg_advisory_lock($1)", Self.lockKey)
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", Self.lockKey) }

        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var recorded: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations").rows {
            recorded[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }

        var report = Report()
        let known = Set(files.map(\.version))
        report.unknownVersions = recorded.keys.filter { !known.contains($0) }.sorted()
        // Refuse before applying anything if history was rewritten.
        for file in files {
            if let checksum = recorded[file.version], checksum != file.checksum {
                throw MigrationError.changedAfterApply(version: file.version, name: file.name)
            }
        }
        for file in files {
            if recorded[file.version] != nil {
                report.alreadyApplied += 1
                continue
            }
            try connection.transaction { conn in
                try conn.executeScript(file.sql)
                try conn.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    file.version, file.name, file.checksum
                )
            }
            report.applied.append(file.fileName)
        }
        return report
    }

    /// Whether every known file is applied (for readiness checks).
    public func isUpToDate(_ connection: PGConnection) throws -> Bool {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
            .first?.decode(Bool.self, at: 0) ?? false
        guard exists else { return files.isEmpty }
        let applied = Set(try connection.query("SELECT version FROM schema_migrations").rows.map { try $0.decode(Int.self, at: 0) })
        return files.allSatisfy { applied.contains($0.version) }
    }
}

import Foundation
import GatehouseStore
import PGClient

/// A fresh, migrated database of its own for one test suite.
///
/// `make test` starts a throwaway cluster and sets `DATABASE_URL`. Without
/// it, tests that need Postgres fail with a message saying so: a database
/// test that silently skips proves nothing.
public struct TestDatabase: Sendable {
    public let name: String
    public let adminURL: String

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates `gh_test_<random>` and, unless told otherwise, applies `sql/`.
    ///
    /// The blocking libpq work runs on a Dispatch thread: suites are set up
    /// in parallel, and blocking the two cooperative threads would stall
    /// every other test.
    public static func create(migrated: Bool = true) async throws -> TestDatabase {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try createBlocking(migrated: migrated) })
            }
        }
    }

    private static func createBlocking(migrated: Bool) throws -> TestDatabase {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw Unavailable(description: "DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
        }
        let name = "gh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try PGConnection(conninfo: url)
        // The name is generated here, never user input, so it can be spliced.
        try admin.executeScript("CREATE DATABASE \(name)")
        admin.close()
        let database = TestDatabase(name: name, adminURL: url)
        if migrated {
            let connection = try database.connect()
            _ = try Migrator(directory: Paths.sqlDirectory).migrate(connection)
            connection.close()
        }
        return database
    }

    /// A direct connection to this database (on the calling thread).
    public func connect() throws -> PGConnection {
        try PGConnection(conninfo: adminURL, database: name)
    }

    /// A worker pool on this database.
    public func makePool(size: Int = 4, acquireTimeout: Duration = .seconds(5)) -> WorkerPool {
        WorkerPool(configuration: .init(conninfo: adminURL, database: name, size: size, acquireTimeout: acquireTimeout))
    }

    /// A connection string for this database, for child processes.
    public var conninfo: String {
        if adminURL.contains("://") {
            // A dbname in a URI's query overrides the one in its path.
            return adminURL + (adminURL.contains("?") ? "&" : "?") + "dbname=" + name
        }
        return adminURL + " dbname=" + name
    }
}

public enum Paths {
    /// The checkout's root, found from this file's path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var sqlDirectory: String { root.appendingPathComponent("sql").path }
}

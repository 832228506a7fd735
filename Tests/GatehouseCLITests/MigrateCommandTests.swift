import Foundation
import PGClient
import TestSupport
import Testing

@Suite("gatehouse migrate")
struct MigrateCommandTests {
    @Test("applies the files, then says there is nothing to apply and exits 0")
    func twice() async throws {
        let cli = CLIRunner(database: try await TestDatabase.create(migrated: false))
        let first = try await cli.run(["migrate"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 0001_initial"))
        let second = try await cli.run(["migrate"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("nothing to apply"))
    }

    @Test("two concurrent migrate processes apply each file once")
    func concurrent() async throws {
        let db = try await TestDatabase.create(migrated: false)
        let cli = CLIRunner(database: db)
        async let a = cli.run(["migrate"])
        async let b = cli.run(["migrate"])
        let (ra, rb) = try await (a, b)
        #expect(ra.status == 0, "\(ra.stderr)")
        #expect(rb.status == 0, "\(rb.stderr)")
        // Exactly one of them applied the initial migration.
        let appliers = [ra, rb].filter { $0.stdout.contains("applied 0001_initial") }
        #expect(appliers.count == 1)
        let conn = try db.connect()
        let counts = try conn.query("SELECT version, count(*) FROM schema_migrations GROUP BY version").rows
        #expect(!counts.isEmpty)
        for row in counts { #expect(try row.decode(Int.self, at: 1) == 1) }
    }

    @Test("refuses with exit 1 and one line when an applied file changed; --sql-dir is honoured")
    func changedFile() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-sql-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("0001_first.sql")
        try "CREATE TABLE first (x int);".write(to: file, atomically: true, encoding: .utf8)
        let cli = CLIRunner(database: try await TestDatabase.create(migrated: false))
        let firstApplyStatus = try await cli.run(["migrate", "--sql-dir", dir.path]).status
        #expect(firstApplyStatus == 0)
        try "CREATE TABLE first (x bigint);".write(to: file, atomically: true, encoding: .utf8)
        let refused = try await cli.run(["migrate", "--sql-dir", dir.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("was changed after it was applied"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }

    @Test("gatehouse sweep --dry-run prints per table what it would delete, and deletes nothing")
    func sweepCommand() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        try conn.query("INSERT INTO sessions (id_digest, expires_at) SELECT sha256(convert_to('s' || i, 'UTF8')), now() - interval '1 hour' FROM generate_series(1, 7) i")
        let cli = CLIRunner(database: db)
        let dry = try await cli.run(["sweep", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("sessions\twould delete 7"))
        #expect(dry.stdout.contains("total\twould delete 7 rows in "))
        #expect(try conn.query("SELECT count(*) FROM sessions").first!.decode(Int.self, at: 0) == 7)
        let real = try await cli.run(["sweep"])
        #expect(real.stdout.contains("sessions\tdeleted 7"))
        #expect(try conn.query("SELECT count(*) FROM sessions").first!.decode(Int.self, at: 0) == 0)
    }

    @Test("gatehouse sweep refuses a batch size below 1 or a pause ratio outside 0...100, deleting nothing")
    func sweepOptionsChecked() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        try conn.query("INSERT INTO sessions (id_digest, expires_at) SELECT sha256(convert_to('s' || i, 'UTF8')), now() - interval '1 hour' FROM generate_series(1, 3) i")
        let cli = CLIRunner(database: db)
        for (args, message) in [(["--batch-size", "0"], "--batch-size must be at least 1"),
                                (["--pause-ratio=-1"], "--pause-ratio must be between 0 and 100"),
                                (["--pause-ratio", "101"], "--pause-ratio must be between 0 and 100")] {
            let result = try await cli.run(["sweep"] + args)
            #expect(result.status != 0, "\(args)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        #expect(try conn.query("SELECT count(*) FROM sessions").first!.decode(Int.self, at: 0) == 3)
        let paced = try await cli.run(["sweep", "--batch-size", "1", "--pause-ratio", "0.5"])
        #expect(paced.status == 0, "\(paced.stderr)")
        #expect(paced.stdout.contains("sessions\tdeleted 3"))
    }
}

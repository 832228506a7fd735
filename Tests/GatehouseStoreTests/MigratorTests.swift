import Foundation
import GatehouseStore
import PGClient
import TestSupport
import Testing

@Suite("Migrations apply once, in order, and refuse rewritten history")
struct MigratorTests {
    @Test("migrating twice is idempotent: the second run applies nothing")
    func idempotent() async throws {
        let db = try await TestDatabase.create(migrated: false)
        let conn = try db.connect()
        let migrator = try Migrator(directory: Paths.sqlDirectory)
        let first = try migrator.migrate(conn)
        #expect(first.applied.first == "0001_initial")
        #expect(first.alreadyApplied == 0)
        let second = try migrator.migrate(conn)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == migrator.files.count)
        let recorded = try conn.query("SELECT count(*) FROM schema_migrations").first!.decode(Int.self, at: 0)
        #expect(recorded == migrator.files.count)
        #expect(try migrator.isUpToDate(conn))
    }

    @Test("a changed applied file is refused and nothing else is applied")
    func changedFileRefused() async throws {
        let db = try await TestDatabase.create(migrated: false)
        let conn = try db.connect()
        _ = try Migrator(files: [MigrationFile(version: 1, name: "one", sql: "CREATE TABLE one (x int)")]).migrate(conn)
        let rewritten = Migrator(files: [
            MigrationFile(version: 1, name: "one", sql: "CREATE TABLE one (x bigint)"),
            MigrationFile(version: 2, name: "two", sql: "CREATE TABLE two (x int)"),
        ])
        #expect(throws: MigrationError.changedAfterApply(version: 1, name: "one")) { try rewritten.migrate(conn) }
        let two = try conn.query("SELECT to_regclass('two') IS NOT NULL").first!.decode(Bool.self, at: 0)
        #expect(two == false)
    }

    @Test("a failing migration rolls back entirely and is not recorded")
    func failingMigrationRollsBack() async throws {
        let db = try await TestDatabase.create(migrated: false)
        let conn = try db.connect()
        let migrator = Migrator(files: [
            MigrationFile(version: 1, name: "ok", sql: "CREATE TABLE ok (x int)"),
            MigrationFile(version: 2, name: "bad", sql: "CREATE TABLE half (x int); SELECT * FROM missing_table"),
        ])
        #expect(throws: PGError.self) { try migrator.migrate(conn) }
        let tables = try conn.query("SELECT to_regclass('ok') IS NOT NULL, to_regclass('half') IS NOT NULL").first!
        #expect(try tables.decode(Bool.self, at: 0) == true)
        #expect(try tables.decode(Bool.self, at: 1) == false)
        let versions = try conn.query("SELECT version FROM schema_migrations").rows.map { try $0.decode(Int.self, at: 0) }
        #expect(versions == [1])
    }

    @Test("files are read in version order and misnamed files are refused")
    func loading() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SELECT 2".write(to: dir.appendingPathComponent("0010_ten.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1".write(to: dir.appendingPathComponent("0002_two.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: dir.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        let files = try MigrationFile.load(from: dir.path)
        #expect(files.map(\.version) == [2, 10])
        #expect(files.map(\.fileName) == ["0002_two", "0010_ten"])
        try "x".write(to: dir.appendingPathComponent("oops.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.badFileName("oops.sql")) { try MigrationFile.load(from: dir.path) }
        #expect(throws: MigrationError.self) { try MigrationFile.load(from: dir.path + "/missing") }
    }

    @Test("every expires_at column and every token lookup path has an index")
    func indexes() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        let expiring = try conn.query("""
            SELECT table_name FROM information_schema.columns
            WHERE column_name = 'expires_at' AND table_schema = 'public'
            """).rows.map { try $0.decode(String.self, at: 0) }
        // Every table whose rows expire is one the sweep deletes from.
        #expect(Set(expiring) == Set(ExpirySweeper.tables.map(\.name)))
        #expect(Set(expiring).isSuperset(of: ["grants", "authorization_codes", "access_tokens", "refresh_tokens", "consents",
                                             "sessions", "login_throttle", "audit_events"]))
        for table in expiring {
            let indexed = try conn.query(
                "SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%(expires_at)%'", table
            ).first!.decode(Int.self, at: 0)
            #expect(indexed >= 1, "\(table).expires_at has no index")
        }
        for (table, column) in [("authorization_codes", "code_digest"), ("access_tokens", "token_digest"),
                                ("refresh_tokens", "token_digest"), ("sessions", "id_digest"), ("clients", "client_id")] {
            let indexed = try conn.query(
                "SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%(' || $2 || ')%'", table, column
            ).first!.decode(Int.self, at: 0)
            #expect(indexed >= 1, "\(table).\(column) has no index")
        }
    }
}

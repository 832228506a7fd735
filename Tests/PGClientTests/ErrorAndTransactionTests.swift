import Foundation
import PGClient
import TestSupport
import Testing

@Suite("Errors carry SQLSTATE without leaking values; transactions roll back")
struct ErrorAndTransactionTests {
    let db: TestDatabase

    init() async throws {
        db = try await TestDatabase.create(migrated: false)
        try db.connect().executeScript("CREATE TABLE items (name text PRIMARY KEY)")
    }

    @Test("a unique violation is recognisable and names its constraint")
    func uniqueViolation() throws {
        let conn = try db.connect()
        try conn.query("INSERT INTO items VALUES ($1)", "one")
        do {
            try conn.query("INSERT INTO items VALUES ($1)", "one")
            Issue.record("expected a unique violation")
        } catch let error as PGError {
            #expect(error.isUniqueViolation)
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.constraint == "items_pkey")
            #expect(!error.isUnavailable)
        }
    }

    @Test("an error's description never contains the bound values")
    func descriptionHidesParameters() throws {
        let conn = try db.connect()
        let secret = "tok-SUPER-SECRET-1234"
        do {
            try conn.query("SELECT $1::uuid", secret)
            Issue.record("expected invalid input syntax")
        } catch let error as PGError {
            #expect(error.sqlState?.rawValue == "22P02")
            #expect(!error.description.contains(secret))
            #expect(!"\(error)".contains(secret))
            #expect(!String(describing: error).contains(secret))
        }
    }

    @Test("a transaction whose body throws leaves nothing behind")
    func throwingTransactionRollsBack() throws {
        let conn = try db.connect()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try conn.transaction { c in
                try c.query("INSERT INTO items VALUES ($1)", "rolled-back")
                throw Boom()
            }
        }
        let count = try conn.query("SELECT count(*) FROM items WHERE name = $1", "rolled-back").first?.decode(Int.self, at: 0)
        #expect(count == 0)
        // And the connection is usable afterwards, outside any transaction.
        try conn.query("INSERT INTO items VALUES ($1)", "after")
        #expect(try conn.query("SELECT count(*) FROM items WHERE name = 'after'").first?.decode(Int.self, at: 0) == 1)
    }

    @Test("a transaction that completes commits")
    func transactionCommits() throws {
        let conn = try db.connect()
        try conn.transaction { c in _ = try c.query("INSERT INTO items VALUES ($1)", "committed") }
        let other = try db.connect()
        #expect(try other.query("SELECT count(*) FROM items WHERE name = 'committed'").first?.decode(Int.self, at: 0) == 1)
    }

    @Test("a failed statement inside a pool transaction rolls back the statements before it")
    func poolTransactionRollsBackOnServerError() async throws {
        let pool = db.makePool(size: 1)
        await #expect(throws: PGError.self) {
            try await pool.transaction { c in
                try c.query("INSERT INTO items VALUES ($1)", "pool-first")
                try c.query("INSERT INTO items VALUES ($1)", "pool-first")
            }
        }
        let count = try await pool.withConnection { c in
            try c.query("SELECT count(*) FROM items WHERE name = 'pool-first'").first!.decode(Int.self, at: 0)
        }
        #expect(count == 0)
        await pool.shutdown()
    }

    @Test("BEGIN travels with the first statement: a transaction's statements share one transaction, and a failing first one rolls back")
    func beginWithFirstStatement() throws {
        let conn = try db.connect()
        let (first, second) = try conn.transaction { c in
            (try c.query("SELECT txid_current()").first!.decode(Int64.self, at: 0),
             try c.query("SELECT txid_current()").first!.decode(Int64.self, at: 0))
        }
        #expect(first == second)
        do {
            try conn.transaction { c in
                _ = try c.query("SELECT $1::uuid", "not-a-uuid")
            }
            Issue.record("expected invalid input syntax")
        } catch let error as PGError {
            #expect(error.sqlState?.rawValue == "22P02")
        }
        // Outside any transaction again: each statement is its own.
        let a = try conn.query("SELECT txid_current()").first!.decode(Int64.self, at: 0)
        let b = try conn.query("SELECT txid_current()").first!.decode(Int64.self, at: 0)
        #expect(a != b)
    }

    @Test("queryThenCommit commits with its statement; when the statement fails nothing commits")
    func queryThenCommit() throws {
        let conn = try db.connect()
        let other = try db.connect()
        try conn.transaction { c in
            try c.query("INSERT INTO items VALUES ($1)", "qtc-1")
            try c.queryThenCommit("INSERT INTO items VALUES ($1)", "qtc-2")
        }
        #expect(try other.query("SELECT count(*) FROM items WHERE name LIKE 'qtc-%'").first!.decode(Int.self, at: 0) == 2)
        // A single-statement transaction: BEGIN, statement and COMMIT in one round trip.
        try conn.transaction { c in _ = try c.queryThenCommit("INSERT INTO items VALUES ($1)", "qtc-3") }
        #expect(try other.query("SELECT count(*) FROM items WHERE name = 'qtc-3'").first!.decode(Int.self, at: 0) == 1)
        do {
            try conn.transaction { c in
                try c.query("INSERT INTO items VALUES ($1)", "qtc-4")
                try c.queryThenCommit("INSERT INTO items VALUES ($1)", "qtc-1")
            }
            Issue.record("expected a unique violation")
        } catch let error as PGError {
            #expect(error.isUniqueViolation)
            #expect(error.constraint == "items_pkey")
        }
        #expect(try other.query("SELECT count(*) FROM items WHERE name = 'qtc-4'").first!.decode(Int.self, at: 0) == 0)
        // The connection is usable afterwards, outside any transaction.
        try conn.query("INSERT INTO items VALUES ($1)", "qtc-5")
        #expect(try other.query("SELECT count(*) FROM items WHERE name = 'qtc-5'").first!.decode(Int.self, at: 0) == 1)
    }

    @Test("a script inside a transaction is part of it, and a body that sends nothing commits nothing")
    func scriptInsideTransaction() throws {
        let conn = try db.connect()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try conn.transaction { c in
                try c.executeScript("INSERT INTO items VALUES ('script-rolled-back')")
                throw Boom()
            }
        }
        #expect(try conn.query("SELECT count(*) FROM items WHERE name = 'script-rolled-back'").first!.decode(Int.self, at: 0) == 0)
        let value = try conn.transaction { _ in 42 }
        #expect(value == 42)
        try conn.query("INSERT INTO items VALUES ($1)", "after-empty")
        #expect(try conn.query("SELECT count(*) FROM items WHERE name = 'after-empty'").first!.decode(Int.self, at: 0) == 1)
    }
}

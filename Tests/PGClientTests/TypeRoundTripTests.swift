import Foundation
import PGClient
import TestSupport
import Testing

@Suite("Typed parameters and rows round-trip through Postgres")
struct TypeRoundTripTests {
    let db: TestDatabase

    init() async throws {
        db = try await TestDatabase.create(migrated: false)
        let conn = try db.connect()
        try conn.executeScript("""
            CREATE TABLE samples (
                id serial PRIMARY KEY, t text, i integer, b bigint, f boolean, ts timestamptz,
                raw bytea, tags text[], doc jsonb, u uuid
            )
            """)
    }

    @Test("every supported type comes back as it was stored, including non-ASCII text")
    func everyType() throws {
        let conn = try db.connect()
        let when = Date(timeIntervalSince1970: 1_764_134_722.123456)
        let raw: [UInt8] = [0, 1, 2, 0x7F, 0x80, 0xFF]
        let tags = PGTextArray(["plain", "with space", "comma,inside", "quote\"d", "back\\slash", "{brace}", "NULL", "", "ünïcødé ✓"])
        let doc = PGJSON(text: #"{"name": "Zoë", "n": 1}"#)
        let id = UUID()
        let text = "Grüße, 世界 — 🚀"
        let inserted = try conn.query("""
            INSERT INTO samples (t, i, b, f, ts, raw, tags, doc, u) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING t, i, b, f, ts, raw, tags, doc, u
            """, [text, Int32(-42), Int64.max, true, when, raw, tags, doc, id])
        let row = try #require(inserted.first)
        #expect(try row.decode(String.self, column: "t") == text)
        #expect(try row.decode(Int32.self, column: "i") == -42)
        #expect(try row.decode(Int.self, column: "i") == -42)
        #expect(try row.decode(Int64.self, column: "b") == Int64.max)
        #expect(try row.decode(Bool.self, column: "f") == true)
        let back = try row.decode(Date.self, column: "ts")
        #expect(abs(back.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_001)
        #expect(try row.decode([UInt8].self, column: "raw") == raw)
        #expect(try row.decode(Data.self, column: "raw") == Data(raw))
        #expect(try row.decode(PGTextArray.self, column: "tags").elements == tags.elements)
        struct Doc: Decodable, Equatable { let name: String; let n: Int }
        #expect(try row.decode(PGJSON.self, column: "doc").decode(Doc.self) == Doc(name: "Zoë", n: 1))
        #expect(try row.decode(UUID.self, column: "u") == id)
    }

    @Test("NULL binds from nil and decodes to nil; a non-optional decode of NULL throws")
    func nulls() throws {
        let conn = try db.connect()
        let none: String? = nil
        let inserted = try conn.query(
            "INSERT INTO samples (t, i, raw, ts, u) VALUES ($1, $2, $3, $4, $5) RETURNING t, i, raw, ts, u, tags",
            [none, Int?.none, [UInt8]?.none, Date?.none, UUID?.none]
        )
        let row = try #require(inserted.first)
        #expect(try row.decode(String?.self, column: "t") == nil)
        #expect(try row.decode(Int?.self, column: "i") == nil)
        #expect(try row.decode([UInt8]?.self, column: "raw") == nil)
        #expect(try row.decode(Date?.self, column: "ts") == nil)
        #expect(try row.decode(UUID?.self, column: "u") == nil)
        #expect(throws: PGError.self) { try row.decode(String.self, column: "t") }
    }

    @Test("an empty array and an empty bytea round-trip")
    func empties() throws {
        let conn = try db.connect()
        let inserted = try conn.query(
            "INSERT INTO samples (tags, raw) VALUES ($1, $2) RETURNING tags, raw", [PGTextArray([]), [UInt8]()]
        )
        let row = try #require(inserted.first)
        #expect(try row.decode(PGTextArray.self, column: "tags").elements == [])
        #expect(try row.decode([UInt8].self, column: "raw") == [])
    }

    @Test("a parameter holding SQL is stored verbatim and never executed")
    func sqlInParameterIsData() throws {
        let conn = try db.connect()
        let hostile = "x'); DROP TABLE samples; --"
        let stored = try conn.query("INSERT INTO samples (t) VALUES ($1) RETURNING t", hostile)
        #expect(try stored.first?.decode(String.self, at: 0) == hostile)
        let count = try conn.query("SELECT count(*) FROM samples WHERE t = $1", hostile).first?.decode(Int.self, at: 0)
        #expect(count == 1)
    }

    @Test("a text parameter with a NUL byte is refused, not truncated")
    func nulByteRefused() throws {
        let conn = try db.connect()
        #expect { try conn.query("INSERT INTO samples (t) VALUES ($1)", "abc\u{0}def") } throws: { error in
            (error as? PGError)?.kind == .invalidParameter
        }
    }

    @Test("affected row counts are reported")
    func affectedRows() throws {
        let conn = try db.connect()
        try conn.query("INSERT INTO samples (t) VALUES ('a'), ('a'), ('b')")
        #expect(try conn.query("UPDATE samples SET i = 1 WHERE t = $1", "a").affectedRows == 2)
    }
}

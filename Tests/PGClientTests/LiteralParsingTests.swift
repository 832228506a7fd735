import Foundation
@testable import PGClient
import Testing

@Suite("Text formats are parsed exactly")
struct LiteralParsingTests {
    @Test("timestamps parse with and without fractions and offsets")
    func timestamps() throws {
        let base = try #require(PGTimestamp.parse("2026-11-26 05:25:22+00"))
        #expect(base.timeIntervalSince1970 == 1_795_670_722)
        #expect(PGTimestamp.parse("2026-11-26 05:25:22.5+00")?.timeIntervalSince1970 == 1_795_670_722.5)
        #expect(PGTimestamp.parse("2026-11-26 07:25:22+02")?.timeIntervalSince1970 == 1_795_670_722)
        #expect(PGTimestamp.parse("2026-11-26 05:55:22+00:30")?.timeIntervalSince1970 == 1_795_670_722)
        #expect(PGTimestamp.parse("1969-12-31 23:59:59+00")?.timeIntervalSince1970 == -1)
        #expect(PGTimestamp.parse("garbage") == nil)
        #expect(PGTimestamp.parse("infinity") == .distantFuture)
    }

    @Test("formatting then parsing a date is the identity to the microsecond")
    func timestampRoundTrip() throws {
        for seconds in [0.0, 1.5, -86_400.25, 1_795_670_722.123456, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: seconds)
            let back = try #require(PGTimestamp.parse(PGTimestamp.format(date)))
            #expect(abs(back.timeIntervalSince1970 - seconds) < 0.000_001)
        }
    }

    @Test("array literals unquote and unescape their elements")
    func arrays() {
        #expect(PGArrayLiteral.parse("{}") == [])
        #expect(PGArrayLiteral.parse("{a,b}") == ["a", "b"])
        #expect(PGArrayLiteral.parse(#"{"a,b","c\"d","e\\f",""}"#) == ["a,b", "c\"d", "e\\f", ""])
        #expect(PGArrayLiteral.parse(#"{"NULL"}"#) == ["NULL"])
        #expect(PGArrayLiteral.parse("{NULL}") == nil)
        #expect(PGArrayLiteral.parse("not an array") == nil)
        // Parsed as UTF-8 bytes: multi-byte characters, escaped or not, come through whole.
        #expect(PGArrayLiteral.parse(#"{ünï,"c\ø d"}"#) == ["ünï", "cø d"])
        #expect(PGArrayLiteral.parse(#"{"open}"#) == nil)
        #expect(PGArrayLiteral.parse(#"{"a\}"#) == nil)
        #expect(PGArrayLiteral.parse("{") == nil)
    }
}

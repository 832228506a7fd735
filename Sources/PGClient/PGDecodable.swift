import Foundation

/// A Swift value that can be read from a column in Postgres' text format.
public protocol PGDecodable: Sendable {
    /// - Parameters:
    ///   - text: the column's text, or nil for SQL NULL.
    ///   - column: the column's name, for error messages.
    static func decode(pgText text: String?, column: String) throws -> Self
}

extension PGDecodable {
    static func nonNull(_ text: String?, _ column: String) throws -> String {
        guard let text else { throw PGError(.decoding, detail: "column \(column) is NULL") }
        return text
    }

    static func mismatch(_ column: String) -> PGError {
        PGError(.decoding, detail: "column \(column) is not a \(Self.self)")
    }
}

extension Optional: PGDecodable where Wrapped: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Self {
        guard let text else { return nil }
        return try Wrapped.decode(pgText: text, column: column)
    }
}

extension String: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> String {
        try nonNull(text, column)
    }
}

extension Int: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Int {
        guard let value = Int(try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Int32: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Int32 {
        guard let value = Int32(try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Int64: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Int64 {
        guard let value = Int64(try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Double: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Double {
        guard let value = Double(try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Bool: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Bool {
        switch try nonNull(text, column) {
        case "t": return true
        case "f": return false
        default: throw mismatch(column)
        }
    }
}

extension UUID: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> UUID {
        guard let value = UUID(uuidString: try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Date: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Date {
        guard let value = PGTimestamp.parse(try nonNull(text, column)) else { throw mismatch(column) }
        return value
    }
}

extension Array: PGDecodable where Element == UInt8 {
    /// `bytea` in the `hex` output format (`\x0a1b…`), the default since Postgres 9.0.
    public static func decode(pgText text: String?, column: String) throws -> [UInt8] {
        let utf8 = Array(try nonNull(text, column).utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0
        else { throw mismatch(column) }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let hi = hexValue(utf8[i]), let lo = hexValue(utf8[i + 1]) else { throw mismatch(column) }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return bytes
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension Data: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> Data {
        Data(try [UInt8].decode(pgText: text, column: column))
    }
}

extension PGTextArray: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> PGTextArray {
        guard let elements = PGArrayLiteral.parse(try nonNull(text, column)) else { throw mismatch(column) }
        return PGTextArray(elements)
    }
}

extension PGJSON: PGDecodable {
    public static func decode(pgText text: String?, column: String) throws -> PGJSON {
        PGJSON(text: try nonNull(text, column))
    }
}

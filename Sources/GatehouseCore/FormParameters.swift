/// Parameters of a query string or an `application/x-www-form-urlencoded` body.
///
/// RFC 6749 §3.1: "Request and response parameters MUST NOT be included more
/// than once", so a repeated name is remembered and reported, not merged.
/// Malformed percent-encoding and invalid UTF-8 make the whole input invalid.
public struct FormParameters: Sendable, Equatable {
    public private(set) var values: [String: String] = [:]
    public private(set) var repeated: Set<String> = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    /// Parses `a=1&b=two+words`. Returns nil when the encoding is malformed.
    public init?(encoded text: Substring) {
        guard !text.isEmpty else { return }
        // Split on Unicode scalars, not Characters: a raw `&` or `=` followed
        // by a combining mark is one Character, and would not separate.
        for pair in text.unicodeScalars.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(Substring.init)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                return nil
            }
            add(name, value)
        }
    }

    public init?(encoded text: String) {
        self.init(encoded: Substring(text))
    }

    public subscript(_ name: String) -> String? { values[name] }

    /// The value, with empty treated as absent (RFC 6749 §3.1: "Parameters
    /// sent without a value MUST be treated as if they were omitted").
    public func value(_ name: String) -> String? {
        guard let v = values[name], !v.isEmpty else { return nil }
        return v
    }

    /// Throws invalid_request naming the first parameter that appears twice.
    public func rejectRepeats() throws {
        if let name = repeated.sorted().first {
            throw OAuthError.invalidRequest("parameter '\(name)' is repeated")
        }
    }

    public mutating func add(_ name: String, _ value: String) {
        if values[name] != nil { repeated.insert(name) } else { values[name] = value }
    }

    /// Encodes pairs as a query string, in the order given.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    public var encoded: String {
        Self.encode(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    public static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }

    /// `+` is a space; `%XX` a byte; the bytes must be UTF-8.
    public static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let hi = iterator.next().flatMap(hexValue), let lo = iterator.next().flatMap(hexValue) else { return nil }
                // A NUL is no part of any OAuth parameter, and Postgres cannot store one.
                guard hi | lo != 0 else { return nil }
                bytes.append(hi << 4 | lo)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

import Foundation

/// One bound parameter as libpq takes it: bytes (or NULL) and their format.
public struct PGParam: Sendable {
    public enum Format: Int32, Sendable { case text = 0, binary = 1 }
    let bytes: [UInt8]?
    let format: Format

    public static let null = PGParam(bytes: nil, format: .text)
    public static func text(_ s: String) -> PGParam { PGParam(bytes: Array(s.utf8), format: .text) }
}

/// A Swift value that can be bound as a statement parameter.
///
/// Statements are prepared with inferred parameter types, so each value is sent
/// in the text format Postgres parses for its column, except `bytea`, which is
/// sent as raw binary so digests need no escaping.
public protocol PGEncodable: Sendable {
    var pgParam: PGParam { get }
}

extension PGParam: PGEncodable {
    public var pgParam: PGParam { self }
}

extension Optional: PGEncodable where Wrapped: PGEncodable {
    public var pgParam: PGParam { self?.pgParam ?? .null }
}

extension String: PGEncodable {
    public var pgParam: PGParam { .text(self) }
}

extension Substring: PGEncodable {
    public var pgParam: PGParam { .text(String(self)) }
}

extension Int: PGEncodable {
    public var pgParam: PGParam { .text(String(self)) }
}

extension Int32: PGEncodable {
    public var pgParam: PGParam { .text(String(self)) }
}

extension Int64: PGEncodable {
    public var pgParam: PGParam { .text(String(self)) }
}

extension Bool: PGEncodable {
    public var pgParam: PGParam { .text(self ? "t" : "f") }
}

extension Double: PGEncodable {
    public var pgParam: PGParam { .text(String(self)) }
}

extension Array: PGEncodable where Element == UInt8 {
    public var pgParam: PGParam { PGParam(bytes: self, format: .binary) }
}

extension Data: PGEncodable {
    public var pgParam: PGParam { PGParam(bytes: Array(self), format: .binary) }
}

extension UUID: PGEncodable {
    public var pgParam: PGParam { .text(uuidString.lowercased()) }
}

extension Date: PGEncodable {
    public var pgParam: PGParam { .text(PGTimestamp.format(self)) }
}

/// A `text[]` parameter, written as a Postgres array literal.
public struct PGTextArray: PGEncodable, Sendable {
    public let elements: [String]
    public init(_ elements: [String]) { self.elements = elements }

    public var pgParam: PGParam {
        // Every element is quoted, so commas, braces and the word NULL stay data.
        let quoted = elements.map { element -> String in
            var out = "\""
            for ch in element.unicodeScalars {
                if ch == "\"" || ch == "\\" { out.append("\\") }
                out.unicodeScalars.append(ch)
            }
            out.append("\"")
            return out
        }
        return .text("{" + quoted.joined(separator: ",") + "}")
    }
}

/// A `json`/`jsonb` parameter or column: the JSON text itself.
public struct PGJSON: PGEncodable, Sendable, Equatable {
    public let text: String
    public init(text: String) { self.text = text }

    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self.text = String(decoding: data, as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public var pgParam: PGParam { .text(text) }
}

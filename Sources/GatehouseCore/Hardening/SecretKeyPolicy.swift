import Foundation

/// What `GATEHOUSE_SECRET_KEY` must be: random bytes, written as base64,
/// base64url or hex, at least 32 of them, and not an obvious pattern.
///
/// The key seals the signing keys at rest and keys the CSRF and sign-in
/// cookies; a guessable one gives all of that away.
public enum SecretKeyPolicy {
    public static let minimumBytes = 32
    public static let howToMakeOne = "make one with `openssl rand -base64 48`"

    public struct Refused: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// The key's bytes; throws `Refused` with a message that says how to make a good one.
    @discardableResult
    public static func check(_ text: String) throws(Refused) -> [UInt8] {
        guard let bytes = decode(text) else {
            throw Refused(reason: "must be base64, base64url or hex; \(howToMakeOne)")
        }
        guard bytes.count >= minimumBytes else {
            throw Refused(reason: "must decode to at least \(minimumBytes) bytes, got \(bytes.count); \(howToMakeOne)")
        }
        if isLowEntropy(text) || isLowEntropy(bytes) {
            throw Refused(reason: "is a repeated pattern, not random data; \(howToMakeOne)")
        }
        return bytes
    }

    /// Hex when every character is a hex digit (even length), otherwise base64
    /// or base64url with optional padding; nil when it is neither.
    static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        if !utf8.isEmpty, utf8.count % 2 == 0, utf8.allSatisfy(isHexDigit) {
            return stride(from: 0, to: utf8.count, by: 2).map { UInt8(hexValue(utf8[$0]) << 4 | hexValue(utf8[$0 + 1])) }
        }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.hasSuffix("=") { b64.removeLast() }
        guard !b64.isEmpty, b64.utf8.count % 4 != 1 else { return nil }
        b64 += String(repeating: "=", count: (4 - b64.utf8.count % 4) % 4)
        return Data(base64Encoded: b64).map(Array.init)
    }

    /// A sequence that is one short unit (up to 8 elements) over and over,
    /// or that uses at most 4 distinct values.
    static func isLowEntropy<T: Equatable & Hashable>(_ elements: [T]) -> Bool {
        guard !elements.isEmpty else { return true }
        if Set(elements).count <= 4 { return true }
        for period in 1...min(8, elements.count / 2) {
            if elements.indices.allSatisfy({ elements[$0] == elements[$0 % period] }) { return true }
        }
        return false
    }

    static func isLowEntropy(_ text: String) -> Bool { isLowEntropy(Array(text.utf8)) }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
    }

    private static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case 0x30...0x39: Int(c - 0x30)
        case 0x41...0x46: Int(c - 0x41 + 10)
        default: Int(c - 0x61 + 10)
        }
    }
}

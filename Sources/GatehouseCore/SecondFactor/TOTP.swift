import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): six
/// digits, a 30-second step, HMAC-SHA-1, as every authenticator app reads
/// them from an `otpauth://` URI.
public struct TOTP: Sendable, Equatable {
    /// The shared secret: 20 random bytes (RFC 4226 §4 recommends 160 bits).
    public let secret: [UInt8]
    public static let digits = 6
    public static let step: TimeInterval = 30

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A new secret from the system CSPRNG.
    public static func generate() -> TOTP {
        TOTP(secret: SymmetricKey(size: SymmetricKeySize(bitCount: 160)).withUnsafeBytes { Array($0) })
    }

    /// The time step `at` falls in (RFC 6238 §4.2, T0 = 0).
    public static func counter(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / step).rounded(.down))
    }

    /// The code of one time step: RFC 4226 §5.3 dynamic truncation, then the
    /// last `digits` decimal digits.
    public func code(counter: Int64, digits: Int = TOTP.digits) -> String {
        var big = UInt64(bitPattern: counter).bigEndian
        let message = withUnsafeBytes(of: &big) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    public func code(at date: Date) -> String {
        code(counter: Self.counter(at: date))
    }

    /// The step whose code `entered` is, within one step either side of
    /// `now` (RFC 6238 §5.2 allows for clock drift), and only a step after
    /// `lastUsed`, so a code works once (§5.2: "MUST NOT accept the second
    /// attempt"). Nil when it matches none. Compared in constant time.
    public func matchingStep(_ entered: String, now: Date, lastUsed: Int64?) -> Int64? {
        let digits = entered.filter { !$0.isWhitespace }
        guard digits.count == Self.digits, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let current = Self.counter(at: now)
        var found: Int64?
        for candidate in (current - 1)...(current + 1) {
            let matches = SecretToken.constantTimeEquals(Array(code(counter: candidate).utf8), Array(digits.utf8))
            if matches, candidate > (lastUsed ?? Int64.min), found == nil { found = candidate }
        }
        return found
    }

    /// The secret as authenticator apps take it: RFC 4648 base32, no padding.
    public var base32Secret: String { Base32.encode(secret) }

    /// Key URI Format: `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    public func provisioningURI(account: String, issuer: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s }
        return "otpauth://totp/\(escape(issuer)):\(escape(account))?secret=\(base32Secret)&issuer=\(escape(issuer))"
            + "&algorithm=SHA1&digits=\(Self.digits)&period=\(Int(Self.step))"
    }
}

/// RFC 4648 §6 base32, upper case, without padding.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// One-time recovery codes for a user who lost their authenticator: ten
/// codes of 10 base32 characters (50 bits each), shown once, stored as
/// SHA-256 digests, each usable once.
public enum RecoveryCodes {
    public static let count = 10

    public static func generate() -> [String] {
        (0..<count).map { _ in
            let text = Base32.encode(SymmetricKey(size: SymmetricKeySize(bitCount: 64)).withUnsafeBytes { Array($0) })
            let code = String(text.prefix(10)).lowercased()
            return code.prefix(5) + "-" + code.suffix(5)
        }
    }

    /// What a user typed, as it was stored: lower case, without spaces or dashes.
    public static func normalized(_ entered: String) -> String {
        entered.lowercased().filter { $0.isLetter || $0.isNumber }
    }

    public static func digest(_ entered: String) -> [UInt8] {
        SecretToken.digest(of: normalized(entered))
    }
}

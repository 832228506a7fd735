import Crypto
import Foundation

/// Random secrets (tokens, codes, client secrets, session ids) and their digests.
///
/// A secret is 32 bytes from the system CSPRNG, written as unpadded base64url
/// (43 characters). Only `digest(of:)` is ever stored: a leaked table gives an
/// attacker nothing to present, and because the secret has 256 bits of entropy
/// a fast hash is enough (no KDF needed, unlike passwords).
public enum SecretToken {
    public static let byteCount = 32

    /// A fresh random secret.
    public static func generate(byteCount: Int = byteCount) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    /// The SHA-256 digest under which a secret is stored and looked up.
    public static func digest(of secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

/// Unpadded base64url (RFC 4648 §5), as JOSE and OAuth use it.
public enum Base64URL {
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

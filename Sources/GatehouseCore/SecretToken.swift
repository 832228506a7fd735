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

    /// A fresh random secret. BoringSSL's CSPRNG (behind `SymmetricKey`) fills
    /// the bytes in user space; drawing them one `UInt8.random` at a time cost
    /// a getrandom system call per byte.
    public static func generate(byteCount: Int = byteCount) -> String {
        SymmetricKey(size: SymmetricKeySize(bitCount: byteCount * 8)).withUnsafeBytes { Base64URL.encode($0) }
    }

    /// A new public `client_id`: 144 random bits in base64url, never starting
    /// with `-`, which a command line (`gatehouse client show ID`) would read
    /// as an option. One draw in 64 starts so and is drawn again.
    public static func generateClientID() -> String {
        while true {
            let id = generate(byteCount: 18)
            if !id.hasPrefix("-") { return id }
        }
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
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        return String(unsafeUninitializedCapacity: (input.count * 4 + 2) / 3) { out in
            var o = 0
            var i = 0
            while i + 2 < input.count {
                let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                out[o] = alphabet[Int(n >> 18 & 63)]
                out[o + 1] = alphabet[Int(n >> 12 & 63)]
                out[o + 2] = alphabet[Int(n >> 6 & 63)]
                out[o + 3] = alphabet[Int(n & 63)]
                i += 3
                o += 4
            }
            let rest = input.count - i
            if rest > 0 {
                let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                out[o] = alphabet[Int(n >> 18 & 63)]
                out[o + 1] = alphabet[Int(n >> 12 & 63)]
                o += 2
                if rest == 2 {
                    out[o] = alphabet[Int(n >> 6 & 63)]
                    o += 1
                }
            }
            return o
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map(Array.init)
    }
}

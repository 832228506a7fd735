import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636).
public enum PKCE {
    public enum Method: String, Sendable {
        case s256 = "S256"
        case plain
    }

    /// RFC 7636 §4.1: code_verifier = 43*128unreserved
    public static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy(isUnreserved)
    }

    /// A challenge has the same alphabet and length as a verifier
    /// (an S256 challenge is 43 base64url characters).
    public static func isValidChallenge(_ challenge: String) -> Bool {
        isValidVerifier(challenge)
    }

    /// RFC 7636 §4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge,
    /// compared in constant time.
    public static func verify(verifier: String, challenge: String, method: Method) -> Bool {
        guard isValidVerifier(verifier) else { return false }
        let derived: String
        switch method {
        case .s256: derived = s256Challenge(for: verifier)
        case .plain: derived = verifier
        }
        return SecretToken.constantTimeEquals(Array(derived.utf8), Array(challenge.utf8))
    }

    public static func s256Challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Data(verifier.utf8)))
    }

    private static func isUnreserved(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

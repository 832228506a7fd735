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

    /// RFC 7636 §4.6 at the token endpoint: a code issued with a challenge
    /// needs the matching verifier; one issued without takes none.
    public static func checkRedemption(challenge: String?, method: Method?, verifier: String?) throws(OAuthError) {
        switch (challenge, verifier) {
        case (nil, nil):
            return
        case (nil, .some):
            throw .invalidGrant("code_verifier was sent, but the authorization request had no code_challenge")
        case (.some, nil):
            throw .invalidGrant("code_verifier is required")
        case let (.some(challenge), .some(verifier)):
            guard verify(verifier: verifier, challenge: challenge, method: method ?? .plain) else {
                throw .invalidGrant("code_verifier does not match the code_challenge")
            }
        }
    }

    /// RFC 9700 §2.1.1: public clients MUST use PKCE. One rule for both
    /// endpoints; each names its own error code (`invalid_request` at
    /// `/authorize`, `invalid_grant` at `/token`).
    public static func requireForPublicClient(_ client: Client, hasChallenge: Bool,
                                              error: (String) -> OAuthError) throws(OAuthError) {
        if client.kind == .public && !hasChallenge {
            throw error("public clients must use PKCE (code_challenge with S256)")
        }
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

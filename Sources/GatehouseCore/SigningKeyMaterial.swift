import Crypto
import _CryptoExtras
import Foundation

/// An ID-token signing key: its private half sealed for storage, its public
/// half as a JWK, and its `kid`, the RFC 7638 thumbprint of that JWK.
public struct SigningKeyMaterial: Sendable {
    public let kid: String
    public let algorithm: String
    /// The PKCS#1 PEM private key ("BEGIN RSA PRIVATE KEY"), sealed with the server's secret key.
    public let sealedPrivateKey: [UInt8]
    /// `{"kty":"RSA","kid":…,"use":"sig","alg":"RS256","n":…,"e":…}`
    public let publicJWK: [String: String]

    /// A new RSA-2048 key for RS256 (OIDC Core §15.1 requires RS256 support).
    public static func generateRS256(sealingWith box: SecretBox) throws -> SigningKeyMaterial {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return try SigningKeyMaterial(rsa: key, sealingWith: box)
    }

    public init(rsa key: _RSA.Signing.PrivateKey, sealingWith box: SecretBox) throws {
        let primitives = try key.publicKey.getKeyPrimitives()
        let n = Base64URL.encode(primitives.modulus)
        let e = Base64URL.encode(primitives.publicExponent)
        // RFC 7638 §3.2: the required members, lexicographic order, no white space.
        let canonical = #"{"e":"\#(e)","kty":"RSA","n":"\#(n)"}"#
        let kid = Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
        self.kid = kid
        self.algorithm = "RS256"
        self.sealedPrivateKey = try box.seal(Array(key.pemRepresentation.utf8))
        self.publicJWK = ["kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": n, "e": e]
    }

    /// The PEM of a sealed private key.
    public static func unsealPEM(_ sealed: [UInt8], with box: SecretBox) throws -> String {
        String(decoding: try box.open(sealed), as: UTF8.self)
    }
}

/// Authenticated encryption (AES-256-GCM) under a key derived from the
/// server's secret (`GATEHOUSE_SECRET_KEY`), for what must be stored but must
/// not be readable from a database dump: signing keys.
public struct SecretBox: Sendable {
    private let key: SymmetricKey
    /// Keys derived for other purposes (CSRF tokens) from the same secret.
    private let secret: SymmetricKey

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(secret: String) throws {
        guard secret.utf8.count >= 32 else {
            throw Failure(description: "GATEHOUSE_SECRET_KEY must be at least 32 characters of random data")
        }
        self.secret = SymmetricKey(data: Data(secret.utf8))
        self.key = HKDF<SHA256>.deriveKey(inputKeyMaterial: self.secret, info: Data("gatehouse sealed keys v1".utf8), outputByteCount: 32)
    }

    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw Failure(description: "sealing failed")
        }
        return Array(combined)
    }

    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
        } catch {
            throw Failure(description: "a stored signing key cannot be opened: GATEHOUSE_SECRET_KEY differs from the one it was sealed with")
        }
    }

    /// A MAC key for `purpose`, derived from the same secret.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, info: Data("gatehouse \(purpose) v1".utf8), outputByteCount: 32)
    }
}

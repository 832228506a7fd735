import Crypto
import _CryptoExtras
import Foundation

/// An ID-token signing key: its private half sealed for storage, its public
/// half as a JWK, and its `kid`, the RFC 7638 thumbprint of that JWK.
public struct SigningKeyMaterial: Sendable {
    public let kid: String
    public let algorithm: String
    /// The private key, sealed with the server's secret key: for RS256 the
    /// PKCS#1 PEM text, for ES256 and EdDSA the raw 32-byte scalar or seed.
    public let sealedPrivateKey: [UInt8]
    /// `{"kty":…,"kid":…,"use":"sig","alg":…, …the public members}`
    public let publicJWK: [String: String]

    public struct Unsupported: Error, CustomStringConvertible {
        public let algorithm: SigningAlgorithm
        public var description: String { "\(algorithm.rawValue) uses the client's secret: it has no stored key" }
    }

    /// A new key for `algorithm`: RSA-2048, P-256 or Ed25519.
    public static func generate(_ algorithm: SigningAlgorithm, sealingWith box: SecretBox) throws -> SigningKeyMaterial {
        switch algorithm {
        case .rs256: return try SigningKeyMaterial(rsa: try _RSA.Signing.PrivateKey(keySize: .bits2048), sealingWith: box)
        case .es256: return try SigningKeyMaterial(p256: P256.Signing.PrivateKey(), sealingWith: box)
        case .edDSA: return try SigningKeyMaterial(ed25519: Curve25519.Signing.PrivateKey(), sealingWith: box)
        case .hs256: throw Unsupported(algorithm: algorithm)
        }
    }

    /// A new RSA-2048 key for RS256 (OIDC Core §15.1 requires RS256 support).
    public static func generateRS256(sealingWith box: SecretBox) throws -> SigningKeyMaterial {
        try generate(.rs256, sealingWith: box)
    }

    public init(rsa key: _RSA.Signing.PrivateKey, sealingWith box: SecretBox) throws {
        let primitives = try key.publicKey.getKeyPrimitives()
        try self.init(algorithm: .rs256, kty: "RSA",
                      members: ["n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent)],
                      privateKey: Array(key.pemRepresentation.utf8), box: box)
    }

    /// A django-oidc-provider key (`oidc_provider_rsakey.key`, PKCS#1 or
    /// PKCS#8 PEM), kept under the `kid` that deployment published (the MD5
    /// of the PEM text), so relying parties' cached JWKS and the ID tokens it
    /// signed keep verifying.
    public init(importedRSAPEM pem: String, kid: String, sealingWith box: SecretBox) throws {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        let primitives = try key.publicKey.getKeyPrimitives()
        try self.init(algorithm: .rs256, kty: "RSA",
                      members: ["n": Base64URL.encode(primitives.modulus), "e": Base64URL.encode(primitives.publicExponent)],
                      privateKey: Array(key.pemRepresentation.utf8), box: box, kid: kid)
    }

    public init(p256 key: P256.Signing.PrivateKey, sealingWith box: SecretBox) throws {
        // x963: 0x04 || X || Y, 32 bytes each (RFC 7518 §6.2.1).
        let point = Array(key.publicKey.x963Representation)
        try self.init(algorithm: .es256, kty: "EC",
                      members: ["crv": "P-256", "x": Base64URL.encode(point[1...32]), "y": Base64URL.encode(point[33...64])],
                      privateKey: Array(key.rawRepresentation), box: box)
    }

    public init(ed25519 key: Curve25519.Signing.PrivateKey, sealingWith box: SecretBox) throws {
        try self.init(algorithm: .edDSA, kty: "OKP",
                      members: ["crv": "Ed25519", "x": Base64URL.encode(key.publicKey.rawRepresentation)],
                      privateKey: Array(key.rawRepresentation), box: box)
    }

    private init(algorithm: SigningAlgorithm, kty: String, members: [String: String], privateKey: [UInt8], box: SecretBox,
                 kid: String? = nil) throws {
        let kid = kid ?? Self.thumbprint(kty: kty, members: members)
        self.kid = kid
        self.algorithm = algorithm.rawValue
        self.sealedPrivateKey = try box.seal(privateKey)
        self.publicJWK = members.merging(["kty": kty, "kid": kid, "use": "sig", "alg": algorithm.rawValue]) { a, _ in a }
    }

    /// RFC 7638 §3.2: the required members (RFC 7638 §3.2 for RSA and EC,
    /// RFC 8037 §2 for OKP) in lexicographic order, no white space, hashed
    /// with SHA-256. Every member value here is base64url or a curve name,
    /// so none needs JSON escaping.
    public static func thumbprint(kty: String, members: [String: String]) -> String {
        let all = members.merging(["kty": kty]) { a, _ in a }
        let canonical = "{" + all.keys.sorted().map { #""\#($0)":"\#(all[$0]!)""# }.joined(separator: ",") + "}"
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// The private key bytes of a sealed key.
    public static func unseal(_ sealed: [UInt8], with box: SecretBox) throws -> [UInt8] {
        try box.open(sealed)
    }
}

/// Authenticated encryption (AES-256-GCM) under a key derived from the
/// server's secret (`GATEHOUSE_SECRET_KEY`), for what must be stored but must
/// not be readable from a database dump: signing keys and the secrets of
/// HS256 clients.
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
            throw Failure(description: "a stored signing key or client secret cannot be opened: GATEHOUSE_SECRET_KEY differs from the one it was sealed with")
        }
    }

    /// A MAC key for `purpose`, derived from the same secret.
    public func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, info: Data("gatehouse \(purpose) v1".utf8), outputByteCount: 32)
    }
}

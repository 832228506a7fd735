import Crypto
import Foundation

/// An ID-token signing algorithm (RFC 7518 §3, RFC 8037 §3.1), chosen per
/// client (`id_token_signed_response_alg`, OIDC Dynamic Registration §2).
public enum SigningAlgorithm: String, Sendable, CaseIterable, Codable {
    case rs256 = "RS256"
    case es256 = "ES256"
    /// Ed25519 (RFC 8037).
    case edDSA = "EdDSA"
    /// HMAC with the client's own secret (OIDC Core §10.1).
    case hs256 = "HS256"

    /// The algorithms whose keys Gatehouse makes, stores, rotates and publishes.
    public static let asymmetric: [SigningAlgorithm] = [.rs256, .es256, .edDSA]

    public var isAsymmetric: Bool { self != .hs256 }

    /// `at_hash` / `c_hash` (OIDC Core §3.1.3.6, §3.3.2.11): the base64url of
    /// the left-most half of the hash of the ASCII octets of `value`, with the
    /// hash of the algorithm: SHA-256 for the *256 ones, SHA-512 for Ed25519
    /// (the hash EdDSA uses inside, as OIDC Core's errata and other
    /// providers have it).
    public func halfHash(_ value: String) -> String {
        let data = Data(value.utf8)
        switch self {
        case .rs256, .es256, .hs256: return Base64URL.encode(Array(SHA256.hash(data: data)).prefix(16))
        case .edDSA: return Base64URL.encode(Array(SHA512.hash(data: data)).prefix(32))
        }
    }
}

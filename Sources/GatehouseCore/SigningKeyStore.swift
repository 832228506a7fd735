import Foundation

/// Where a signing key is in its life: published before use, signing, or
/// published after use so what it signed still verifies.
public enum SigningKeyState: String, Sendable, CaseIterable {
    case next, active, retired
}

/// A stored signing key as the server loads it.
public struct StoredSigningKey: Sendable {
    public let kid: String
    public let algorithm: String
    public let state: SigningKeyState
    public let sealedPrivateKey: [UInt8]
    public let publicJWK: [String: String]

    public init(kid: String, algorithm: String, state: SigningKeyState, sealedPrivateKey: [UInt8], publicJWK: [String: String]) {
        self.kid = kid
        self.algorithm = algorithm
        self.state = state
        self.sealedPrivateKey = sealedPrivateKey
        self.publicJWK = publicJWK
    }
}

public protocol SigningKeyStore: Sendable {
    /// Every key that is published: active, next and retired.
    func publishedKeys() async throws -> [StoredSigningKey]
    /// Makes `material` the active key of its algorithm; the previous one is
    /// retired. `check` sees the current active keys first; throwing changes nothing.
    func activate(_ material: SigningKeyMaterial, check: @escaping @Sendable ([StoredSigningKey]) throws -> Void) async throws
}

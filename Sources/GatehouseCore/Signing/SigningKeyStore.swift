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
    public let createdAt: Date
    public let activatedAt: Date?
    public let retiredAt: Date?
    /// For a next key: when `keys rotate` asked for it to become active
    /// (as soon as it has been published long enough).
    public let promoteAfter: Date?

    public init(kid: String, algorithm: String, state: SigningKeyState, sealedPrivateKey: [UInt8],
                publicJWK: [String: String], createdAt: Date = Date(timeIntervalSince1970: 0),
                activatedAt: Date? = nil, retiredAt: Date? = nil, promoteAfter: Date? = nil) {
        self.kid = kid
        self.algorithm = algorithm
        self.state = state
        self.sealedPrivateKey = sealedPrivateKey
        self.publicJWK = publicJWK
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.retiredAt = retiredAt
        self.promoteAfter = promoteAfter
    }

    /// The key's place in the rotation rules.
    public var lifecycle: KeyRotation.Key {
        KeyRotation.Key(kid: kid, state: state, createdAt: createdAt, activatedAt: activatedAt,
                        retiredAt: retiredAt, promoteAfter: promoteAfter)
    }
}

public protocol SigningKeyStore: Sendable {
    /// Every key that is published: active, next and retired.
    func publishedKeys() async throws -> [StoredSigningKey]
    /// `gatehouse keys rotate` (and the console's "rotate now"): the next key
    /// of `algorithm` becomes active when published long enough, or at once.
    func requestRotation(_ algorithm: SigningAlgorithm, immediately: Bool, now: Date, policy: KeyRotation.Policy,
                         check: @escaping @Sendable ([StoredSigningKey]) throws -> Void,
                         make: @escaping @Sendable (SigningAlgorithm) throws -> SigningKeyMaterial) async throws -> (kid: String, signsFrom: Date)
}

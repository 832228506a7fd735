import GatehouseCore
import Synchronization

/// The signer in use, swapped without a restart when the published keys
/// change (a rotation by any replica or by `gatehouse keys rotate`).
/// Readers take the current value under a lock held for a pointer copy.
public final class KeyRing: Sendable {
    private let state: Mutex<IDTokenSigner>
    private let box: SecretBox

    public init(_ signer: IDTokenSigner, box: SecretBox) {
        self.state = Mutex(signer)
        self.box = box
    }

    public var current: IDTokenSigner {
        state.withLock { $0 }
    }

    /// Loads `storedKeys` when they differ from what is in use.
    /// - Returns: whether the signer changed.
    @discardableResult
    public func reload(_ storedKeys: [StoredSigningKey]) async throws -> Bool {
        let fingerprint = storedKeys.map { "\($0.kid):\($0.state.rawValue)" }.sorted()
        guard fingerprint != current.fingerprint else { return false }
        let signer = try await IDTokenSigner(storedKeys: storedKeys, box: box)
        state.withLock { $0 = signer }
        return true
    }
}

import GatehouseCore
import Synchronization

/// The scope catalog in use (standard plus the operator's scopes), swapped
/// when `gatehouse scope create/delete` changed the table: the periodic
/// reload in `serve` picks it up, like the signing keys.
public final class ScopeRegistry: Sendable {
    private let state: Mutex<ScopeCatalog>

    public init(_ catalog: ScopeCatalog = ScopeCatalog()) {
        state = Mutex(catalog)
    }

    public var current: ScopeCatalog { state.withLock { $0 } }

    /// Replaces the catalog; returns whether it changed.
    @discardableResult
    public func reload(_ definitions: [ScopeDefinition]) -> Bool {
        let catalog = ScopeCatalog(custom: definitions)
        return state.withLock { current in
            guard current != catalog else { return false }
            current = catalog
            return true
        }
    }
}

import GatehouseCore
import PGClient

extension WorkerPool {
    /// `withConnection`, with the driver's "unavailable" and "cannot store this"
    /// failures turned into Core's `StoreFailure`; any other error (a unique
    /// violation a store handles, an `OAuthError` from a decision) passes as is.
    @discardableResult
    func storeConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        do {
            return try await withConnection(body)
        } catch let error as PGError {
            throw error.storeFailure ?? error
        }
    }

    /// `transaction`, with failures mapped as in `storeConnection`.
    @discardableResult
    func storeTransaction<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        do {
            return try await transaction(body)
        } catch let error as PGError {
            throw error.storeFailure ?? error
        }
    }
}

extension PGError {
    /// The failure in Core's terms, or nil for one a store handles itself.
    var storeFailure: StoreFailure? {
        if isUnavailable { return .unavailable(description) }
        if kind == .invalidParameter { return .rejectedInput }
        return nil
    }
}

import Dispatch

/// Runs CPU-heavy synchronous work (scrypt) on a Dispatch queue, not on the
/// Swift concurrency pool, whose two threads on a 2-core machine must stay
/// free to serve requests.
enum OffThreadWork {
    private static let queue = DispatchQueue(label: "gatehouse.cpu", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

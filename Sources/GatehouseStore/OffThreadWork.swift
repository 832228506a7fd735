import Dispatch
import Foundation
import Synchronization

/// Runs CPU-heavy synchronous work (scrypt) on Dispatch queues, not on the
/// threads that serve requests.
///
/// At most half the cores hash at once (at least one): each scrypt holds
/// 32 MiB, so the bound caps memory under a burst of sign-ins, and it leaves
/// the other cores to the token and userinfo traffic. Excess hashes wait in line.
enum OffThreadWork {
    private static let lanes: [DispatchQueue] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount / 2)).map {
        DispatchQueue(label: "gatehouse.cpu.\($0)", qos: .userInitiated)
    }
    private static let next = Atomic<Int>(0)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let lane = lanes[next.wrappingAdd(1, ordering: .relaxed).oldValue % lanes.count]
        return try await withCheckedThrowingContinuation { continuation in
            lane.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

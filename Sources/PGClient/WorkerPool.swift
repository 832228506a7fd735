import Dispatch
import Foundation
import Logging
import Synchronization

/// A fixed set of database workers, each a serial Dispatch queue that owns one
/// libpq connection.
///
/// libpq blocks the calling thread, so no libpq call may run on a Swift
/// concurrency or NIO event-loop thread: on a 2-core machine one blocked
/// cooperative thread halves the server. Callers `await` the pool; the work
/// runs on a worker's queue and the result comes back through a continuation.
///
/// ```swift
/// let name = try await pool.withConnection { conn in
///     try conn.query("SELECT name FROM users WHERE id = $1", id).first?.decode(String.self, at: 0)
/// }
/// ```
public final class WorkerPool: Sendable {
    public struct Configuration: Sendable {
        /// libpq URI or keyword string; nil uses the `PG*` environment variables.
        public var conninfo: String?
        /// A database name that overrides the one in `conninfo`.
        public var database: String?
        /// Number of workers, hence of connections. Twice the cores is best
        /// for one round trip per request.
        public var size: Int
        /// How long a request may wait for a worker before failing with `.poolTimeout`.
        public var acquireTimeout: Duration
        /// First and longest pause between reconnect attempts of a worker.
        public var reconnectBackoff: (initial: Duration, maximum: Duration)
        /// Postgres cancels a statement that runs longer (`statement_timeout`);
        /// nil keeps the server's setting.
        public var statementTimeout: Duration?

        public init(
            conninfo: String?,
            database: String? = nil,
            size: Int = Configuration.defaultSize,
            acquireTimeout: Duration = .seconds(5),
            // At most 2 s between attempts: a failed connect to a down database is
            // cheap, and service must come back within seconds of the database.
            reconnectBackoff: (initial: Duration, maximum: Duration) = (.milliseconds(100), .seconds(2)),
            statementTimeout: Duration? = nil
        ) {
            self.conninfo = conninfo
            self.database = database
            self.size = max(1, size)
            self.acquireTimeout = acquireTimeout
            self.reconnectBackoff = reconnectBackoff
            self.statementTimeout = statementTimeout
        }

        public static var defaultSize: Int { max(2, 2 * ProcessInfo.processInfo.activeProcessorCount) }
    }

    public let configuration: Configuration
    private let workers: [PGWorker]
    private let watchdog: Watchdog
    private let closed = Atomic<Bool>(false)
    private let nextWorker = Atomic<Int>(0)

    public init(configuration: Configuration, logger: Logger = Logger(label: "gatehouse.pg")) {
        self.configuration = configuration
        let lastConnected = LastConnected()
        self.workers = (0..<configuration.size).map {
            PGWorker(index: $0, configuration: configuration, lastConnected: lastConnected, logger: logger)
        }
        // One watchdog for the whole pool fails requests that waited too long,
        // instead of a timer per request.
        let workers = self.workers
        self.watchdog = Watchdog(tick: min(configuration.acquireTimeout / 10, .milliseconds(100))) {
            workers.forEach { $0.expireOverdueJobs() }
        }
    }

    deinit { watchdog.stop() }

    /// Runs `body` with a connection on a worker thread.
    ///
    /// Throws `PGError` with `isUnavailable` when no worker took the request in
    /// time, the connection is down, or the pool is closed.
    @discardableResult
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        guard !closed.load(ordering: .acquiring) else { throw PGError(.poolClosed) }
        let enqueued = DispatchTime.now()
        let deadline = enqueued + configuration.acquireTimeout.dispatchInterval
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let job = PGWorker.Job(
                enqueued: enqueued,
                deadline: deadline,
                run: { connection in
                    let result = Result { try body(connection) }
                    return { continuation.resume(with: result) }
                },
                fail: { error in continuation.resume(throwing: error) }
            )
            leastBusyWorker().enqueue(job)
        }
    }

    /// Runs `body` in a transaction on one connection; rolls back when it throws.
    @discardableResult
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try connection.transaction(body)
        }
    }

    /// Opens every worker's connection now, so the first requests do not pay
    /// for it and a bad `DATABASE_URL` is reported at start. Throws the first failure.
    public func connectAll() async throws {
        for worker in workers {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                worker.enqueue(PGWorker.Job(
                    enqueued: .now(),
                    deadline: .distantFuture,
                    run: { _ in { continuation.resume() } },
                    fail: { continuation.resume(throwing: $0) }
                ))
            }
        }
    }

    /// Refuses new work, lets queued work finish, then closes every connection.
    public func shutdown() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for worker in workers {
            await worker.close()
        }
        watchdog.stop()
    }

    /// The index of the worker whose queue runs the calling code, or nil
    /// when called from anywhere else (tests assert libpq stays on workers).
    public static var currentWorkerIndex: Int? { DispatchQueue.getSpecific(key: PGWorker.queueKey) }

    /// Requests queued or running, per worker (for metrics and tests).
    public var load: [Int] { workers.map(\.load) }

    private func leastBusyWorker() -> PGWorker {
        // Start the scan at a rotating index so ties spread over the workers.
        let start = nextWorker.wrappingAdd(1, ordering: .relaxed).oldValue
        var best = workers[start % workers.count]
        var bestLoad = best.load
        for offset in 1..<workers.count where bestLoad > 0 {
            let candidate = workers[(start + offset) % workers.count]
            let candidateLoad = candidate.load
            if candidateLoad < bestLoad {
                best = candidate
                bestLoad = candidateLoad
            }
        }
        return best
    }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval { .nanoseconds(Int(nanoseconds)) }
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

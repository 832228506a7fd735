import CoreMetrics
import Dispatch
import Logging
import Synchronization

/// One database worker: a serial queue, the connection only it touches, and
/// the jobs waiting for it.
///
/// `@unchecked Sendable` because `connection`, `retryAt` and `backoff` are
/// touched only on `queue` (one job at a time), and everything shared with
/// other threads sits behind `state`'s mutex.
final class PGWorker: @unchecked Sendable {
    struct Job: Sendable {
        let enqueued: DispatchTime
        let deadline: DispatchTime
        /// Runs the caller's work and returns how to hand its result back;
        /// the worker updates its load before handing back, so a caller that
        /// immediately sends more work sees this worker as free.
        let run: @Sendable (PGConnection) -> @Sendable () -> Void
        let fail: @Sendable (PGError) -> Void
    }

    private struct State {
        var jobs: [Job] = []
        var head = 0
        var draining = false
        var running = 0
        var closed = false

        var waiting: Int { jobs.count - head }

        mutating func popFirst() -> Job? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head > 64, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    static let queueKey = DispatchSpecificKey<Int>()

    let index: Int
    private let configuration: WorkerPool.Configuration
    private let logger: Logger
    private let queue: DispatchQueue
    private let state = Mutex(State())

    private let inUse: Gauge
    private let waitTimer: CoreMetrics.Timer

    /// When any worker of the pool last opened a connection (uptime
    /// nanoseconds): once the database is back, siblings stop backing off.
    private let lastConnected: LastConnected

    // Queue-confined.
    private var connection: PGConnection?
    private var retryAt: DispatchTime = .now()
    private var failedAt: UInt64 = 0
    private var backoff: Duration

    init(index: Int, configuration: WorkerPool.Configuration, lastConnected: LastConnected, logger: Logger) {
        self.index = index
        self.lastConnected = lastConnected
        self.configuration = configuration
        self.logger = logger
        self.queue = DispatchQueue(label: "gatehouse.pg.worker.\(index)")
        queue.setSpecific(key: Self.queueKey, value: index)
        self.backoff = configuration.reconnectBackoff.initial
        self.inUse = Gauge(label: "gatehouse_db_connections_in_use", dimensions: [("worker", "\(index)")])
        self.waitTimer = CoreMetrics.Timer(label: "gatehouse_db_pool_wait_seconds")
    }

    var load: Int { state.withLock { $0.waiting + $0.running } }

    func enqueue(_ job: Job) {
        let accepted: Bool
        let startDrain: Bool
        (accepted, startDrain) = state.withLock { state in
            guard !state.closed else { return (false, false) }
            state.jobs.append(job)
            let start = !state.draining
            state.draining = true
            return (true, start)
        }
        guard accepted else { return job.fail(PGError(.poolClosed)) }
        if startDrain { queue.async { self.drain() } }
    }

    /// Fails the jobs whose deadline passed while they waited. Runs on the watchdog.
    func expireOverdueJobs() {
        let now = DispatchTime.now()
        let expired: [Job] = state.withLock { state in
            guard state.waiting > 0, state.jobs[state.head].deadline < now else { return [] }
            let pending = state.jobs[state.head...]
            let overdue = pending.filter { $0.deadline < now }
            state.jobs = pending.filter { $0.deadline >= now }
            state.head = 0
            return overdue
        }
        // Resume outside the lock: a continuation may run code that enqueues again.
        for job in expired { job.fail(PGError(.poolTimeout)) }
    }

    /// Waits for queued work to finish and closes the connection.
    func close() async {
        // Jobs already queued still run: they were accepted before the close.
        state.withLock { $0.closed = true }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection?.close()
                self.connection = nil
                done.resume()
            }
        }
    }

    // MARK: - On the worker's queue

    private func drain() {
        while let job = next() {
            var complete: @Sendable () -> Void
            let started = DispatchTime.now()
            waitTimer.recordNanoseconds(Int64(started.uptimeNanoseconds &- job.enqueued.uptimeNanoseconds))
            inUse.record(1)
            defer { inUse.record(0) }
            if job.deadline < started {
                complete = { job.fail(PGError(.poolTimeout)) }
            } else {
                do {
                    let connection = try liveConnection()
                    complete = job.run(connection)
                    afterJob(connection)
                } catch let error as PGError {
                    complete = { job.fail(error) }
                } catch {
                    complete = { job.fail(PGError(.connectionFailed)) }
                }
            }
            state.withLock { $0.running -= 1 }
            complete()
        }
    }

    private func next() -> Job? {
        state.withLock { state in
            guard let job = state.popFirst() else {
                state.draining = false
                return nil
            }
            state.running += 1
            return job
        }
    }

    /// The open connection, reopened when it broke; fails fast while backing off.
    private func liveConnection() throws -> PGConnection {
        if let connection, connection.isHealthy { return connection }
        if connection != nil {
            logger.warning("database connection lost; reconnecting", metadata: ["worker": "\(index)"])
            connection?.close()
            connection = nil
        }
        // Back off while the database is down, but not once a sibling has
        // reconnected after this worker's failure: it is up again.
        guard DispatchTime.now() >= retryAt || lastConnected.value.load(ordering: .relaxed) > failedAt else {
            throw PGError(.backingOff)
        }
        do {
            let fresh = try PGConnection(conninfo: configuration.conninfo, database: configuration.database)
            if let timeout = configuration.statementTimeout {
                try fresh.query("SELECT set_config('statement_timeout', $1, false)", "\(max(1, timeout.nanoseconds / 1_000_000))ms")
            }
            connection = fresh
            backoff = configuration.reconnectBackoff.initial
            lastConnected.value.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
            return fresh
        } catch let error as PGError {
            failedAt = DispatchTime.now().uptimeNanoseconds
            retryAt = DispatchTime.now() + backoff.dispatchInterval
            logger.error("database connection failed", metadata: [
                "worker": "\(index)", "error": "\(error)", "retry_in": "\(backoff)",
            ])
            backoff = min(backoff * 2, configuration.reconnectBackoff.maximum)
            throw error
        }
    }

    /// Leaves the connection idle and outside any transaction for the next job.
    private func afterJob(_ connection: PGConnection) {
        connection.rollbackIfNeeded()
    }
}

/// Shared by a pool's workers: when one of them last connected.
final class LastConnected: Sendable {
    let value = Atomic<UInt64>(0)
}

import Foundation
import PGClient
import Synchronization
import TestSupport
import Testing

@Suite("The worker pool runs libpq on its own threads and survives lost connections")
struct WorkerPoolTests {
    let db: TestDatabase

    init() async throws {
        db = try await TestDatabase.create(migrated: false)
    }

    @Test("100 concurrent tasks on a pool of 4 all complete, on at most 4 connections")
    func hundredTasksOnFourWorkers() async throws {
        let pool = db.makePool(size: 4)
        let pids = try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for i in 0..<100 {
                group.addTask {
                    try await pool.withConnection { conn in
                        let value = try conn.query("SELECT $1::int * 2, pg_backend_pid()", i).first!
                        return (try value.decode(Int.self, at: 0), try value.decode(Int32.self, at: 1))
                    }
                }
            }
            var results: [(Int, Int32)] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(pids.count == 100)
        #expect(Set(pids.map(\.0)) == Set((0..<100).map { $0 * 2 }))
        #expect(Set(pids.map(\.1)).count <= 4)
        await pool.shutdown()
    }

    @Test("libpq work runs on a Dispatch worker thread, not the caller's")
    func runsOffTheCallersThread() async throws {
        let pool = db.makePool(size: 1)
        #expect(WorkerPool.currentWorkerIndex == nil)
        let index = try await pool.withConnection { _ in WorkerPool.currentWorkerIndex }
        #expect(index == 0)
        await pool.shutdown()
    }

    @Test("a connection whose backend is killed is replaced and the next call succeeds")
    func killedBackendIsReplaced() async throws {
        let pool = db.makePool(size: 1)
        let firstPID = try await pool.withConnection { try $0.query("SELECT pg_backend_pid()").first!.decode(Int32.self, at: 0) }

        let killer = try db.connect()
        let killed = try killer.query("SELECT pg_terminate_backend($1)", firstPID).first?.decode(Bool.self, at: 0)
        #expect(killed == true)
        // Wait until the server has really ended that backend.
        for _ in 0..<100 {
            let alive = try killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", firstPID).first!.decode(Int.self, at: 0)
            if alive == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }

        let secondPID = try await pool.withConnection { try $0.query("SELECT pg_backend_pid()").first!.decode(Int32.self, at: 0) }
        #expect(secondPID != firstPID)
        await pool.shutdown()
    }

    @Test("a request that waits longer than the timeout fails as unavailable instead of hanging")
    func boundedWait() async throws {
        let pool = db.makePool(size: 1, acquireTimeout: .milliseconds(300))
        let slow = Task { try await pool.withConnection { try $0.query("SELECT pg_sleep(3)") } }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { try $0.query("SELECT 1") }
        } throws: { error in
            guard let error = error as? PGError else { return false }
            return error.kind == .poolTimeout && error.isUnavailable
        }
        // It gave up well before the worker became free.
        #expect(ContinuousClock.now - started < .milliseconds(2500))
        _ = try await slow.value
        await pool.shutdown()
    }

    @Test("an unreachable database gives an unavailable error quickly")
    func unreachableDatabase() async throws {
        let pool = WorkerPool(configuration: .init(
            conninfo: "host=/tmp/gatehouse-nonexistent-socket-dir port=1 connect_timeout=2", size: 2
        ))
        let started = ContinuousClock.now
        for _ in 0..<3 {
            await #expect {
                try await pool.withConnection { try $0.query("SELECT 1") }
            } throws: { error in
                (error as? PGError)?.isUnavailable == true
            }
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        await pool.shutdown()
    }

    @Test("after shutdown the pool refuses work with an unavailable error")
    func shutdownRefusesWork() async throws {
        let pool = db.makePool(size: 2)
        try await pool.withConnection { try $0.query("SELECT 1") }
        await pool.shutdown()
        await #expect {
            try await pool.withConnection { try $0.query("SELECT 1") }
        } throws: { error in
            (error as? PGError)?.kind == .poolClosed
        }
    }

    @Test("a body that leaves a transaction open does not leak it into the next job")
    func openTransactionIsRolledBack() async throws {
        let pool = db.makePool(size: 1)
        try await pool.withConnection { conn in
            try conn.executeScript("CREATE TABLE leak (v int)")
            try conn.executeScript("BEGIN")
            try conn.query("INSERT INTO leak VALUES (1)")
        }
        let count = try await pool.withConnection { conn in
            try conn.query("SELECT count(*) FROM leak").first!.decode(Int.self, at: 0)
        }
        #expect(count == 0)
        // A row written by the next job is visible elsewhere: it was not inside the old transaction.
        try await pool.withConnection { try $0.query("INSERT INTO leak VALUES (2)") }
        let seen = try db.connect().query("SELECT count(*) FROM leak").first!.decode(Int.self, at: 0)
        #expect(seen == 1)
        await pool.shutdown()
    }

    @Test("requests go to an idle worker instead of queueing behind a busy one")
    func leastBusyWorker() async throws {
        let pool = db.makePool(size: 2)
        let slow = Task {
            try await pool.withConnection { conn in
                _ = try conn.query("SELECT pg_sleep(1.5)")
                return WorkerPool.currentWorkerIndex
            }
        }
        // Wait until the slow job occupies a worker.
        while pool.load.reduce(0, +) == 0 { try await Task.sleep(for: .milliseconds(5)) }
        var quick: [Int?] = []
        for _ in 0..<5 {
            quick.append(try await pool.withConnection { _ in WorkerPool.currentWorkerIndex })
        }
        let busy = try await slow.value
        #expect(busy != nil)
        #expect(quick.allSatisfy { $0 != nil && $0 != busy })
        await pool.shutdown()
    }
}

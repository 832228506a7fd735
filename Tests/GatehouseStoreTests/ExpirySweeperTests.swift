import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import PGClient
import TestSupport
import Synchronization
import Testing

@Suite("The expiry sweep deletes what has expired and nothing else")
struct ExpirySweeperTests {
    /// Seeds `expired` dead and `live` living rows of every kind; returns the clock's now.
    static func seed(_ db: TestDatabase, expired: Int, live: Int) throws -> Date {
        let conn = try db.connect()
        let now = Date()
        try conn.query("INSERT INTO users (username, password_hash) VALUES ('u', 'x')")
        try conn.query("""
            INSERT INTO clients (client_id, secret_digest, name, client_type, redirect_uris, response_types, grant_types, scopes,
                                 token_endpoint_auth_method)
            VALUES ('c', decode(repeat('ab', 32), 'hex'), 'C', 'confidential', '{https://rp/cb}', '{code}', '{authorization_code}', '{openid}',
                    'client_secret_basic')
            """)
        // One grant per row pair: dead grants expired an hour ago, live ones expire in an hour.
        for (count, offset, tag) in [(expired, -3600.0, "dead"), (live, 3600.0, "live")] where count > 0 {
            let when = now.addingTimeInterval(offset)
            try conn.query("""
                INSERT INTO grants (client_id, user_id, scopes, expires_at)
                SELECT c.id, u.id, '{openid}', $1 FROM clients c, users u, generate_series(1, $2)
                """, when, count)
            for table in ["access_tokens", "refresh_tokens"] {
                try conn.query("""
                    INSERT INTO \(table) (token_digest, grant_id, scopes, expires_at)
                    SELECT sha256(convert_to($3 || '\(table)' || g.id, 'UTF8')), g.id, '{openid}', g.expires_at
                    FROM grants g WHERE g.expires_at = $1 LIMIT $2
                    """, when, count, tag)
            }
            try conn.query("""
                INSERT INTO authorization_codes (code_digest, grant_id, redirect_uri, scopes, expires_at)
                SELECT sha256(convert_to($3 || 'code' || g.id, 'UTF8')), g.id, 'https://rp/cb', '{openid}', g.expires_at
                FROM grants g WHERE g.expires_at = $1 LIMIT $2
                """, when, count, tag)
            try conn.query("""
                INSERT INTO sessions (id_digest, expires_at)
                SELECT sha256(convert_to($3 || 'session' || i, 'UTF8')), $1 FROM generate_series(1, $2) i
                """, when, count, tag)
            try conn.query("""
                INSERT INTO login_throttle (key, window_started_at, expires_at)
                SELECT $3 || i, $1, $1 FROM generate_series(1, $2) i
                """, when, count, tag)
        }
        // Consents are one per user and client: one dead (user u) and, with live rows, one live.
        try conn.query("INSERT INTO consents (user_id, client_id, scopes, expires_at) SELECT u.id, c.id, '{openid}', $1 FROM users u, clients c",
                       now.addingTimeInterval(expired > 0 ? -60 : 3600))
        return now
    }

    static func counts(_ db: TestDatabase) throws -> [String: Int] {
        let conn = try db.connect()
        var result: [String: Int] = [:]
        for table in ExpirySweeper.tables.map(\.name) {
            result[table] = try conn.query("SELECT count(*) FROM \(table)").first!.decode(Int.self, at: 0)
        }
        return result
    }

    @Test("expired rows of every kind are deleted in batches and live ones kept")
    func deletesExpiredOnly() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 250, live: 40)
        let pool = db.makePool(size: 1)
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now), batchSize: 100).sweep()
        #expect(!report.skipped)
        for table in ["access_tokens", "refresh_tokens", "authorization_codes", "sessions", "login_throttle", "grants"] {
            #expect(report.rows[table] == 250, "\(table)")
        }
        #expect(report.rows["consents"] == 1)
        let left = try Self.counts(db)
        for table in ["access_tokens", "refresh_tokens", "authorization_codes", "sessions", "login_throttle", "grants"] {
            #expect(left[table] == 40, "\(table)")
        }
        #expect(left["consents"] == 0)
        await pool.shutdown()
    }

    @Test("a refresh token outlives its access token, and its grant lives while it does; revoked grants go")
    func lifetimes() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 0, live: 2)
        let conn = try db.connect()
        // Grant 1: access token expired, refresh token alive for a day. Grant 2: revoked.
        let ids = try conn.query("SELECT id FROM grants ORDER BY id").rows.map { try $0.decode(Int64.self, at: 0) }
        try conn.query("UPDATE access_tokens SET expires_at = $2 WHERE grant_id = $1", ids[0], now.addingTimeInterval(-10))
        try conn.query("UPDATE refresh_tokens SET expires_at = $2 WHERE grant_id = $1", ids[0], now.addingTimeInterval(86_400))
        try conn.query("UPDATE grants SET expires_at = $2 WHERE id = $1", ids[0], now.addingTimeInterval(86_400))
        try conn.query("UPDATE grants SET revoked_at = $2 WHERE id = $1", ids[1], now)
        let pool = db.makePool(size: 1)
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now)).sweep()
        #expect(report.rows["access_tokens"] == 1)
        #expect(report.rows["grants"] == 1)
        let grants = try conn.query("SELECT id FROM grants").rows.map { try $0.decode(Int64.self, at: 0) }
        #expect(grants == [ids[0]])
        #expect(try conn.query("SELECT count(*) FROM refresh_tokens").first!.decode(Int.self, at: 0) == 1)
        await pool.shutdown()
    }

    @Test("a pass (which commits without waiting for the WAL flush) leaves its connection's settings as it found them")
    func restoresSessionSettings() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 5, live: 1)
        let pool = db.makePool(size: 1)
        // The test cluster's default may be off already; make the session's own value "local".
        let before = try await pool.withConnection { conn in
            try conn.executeScript("SET synchronous_commit TO local")
            return try conn.query("SHOW synchronous_commit").first!.decode(String.self, at: 0)
        }
        #expect(before == "local")
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now), batchSize: 2).sweep()
        #expect(report.rows["grants"] == 5)
        let after = try await pool.withConnection { conn in
            try conn.query("SHOW synchronous_commit").first!.decode(String.self, at: 0)
        }
        #expect(after == before)
        await pool.shutdown()
    }

    @Test("--dry-run counts what would go and deletes nothing")
    func dryRun() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 30, live: 5)
        let before = try Self.counts(db)
        let pool = db.makePool(size: 1)
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now)).sweep(dryRun: true)
        #expect(report.rows["access_tokens"] == 30)
        #expect(report.rows["grants"] == 30)
        #expect(try Self.counts(db) == before)
        await pool.shutdown()
    }

    @Test("a pass with nothing to do deletes nothing and leaves every live row")
    func nothingToDo() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 0, live: 10)
        let before = try Self.counts(db)
        let pool = db.makePool(size: 1)
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now)).sweep()
        #expect(report.total == 0)
        #expect(try Self.counts(db) == before)
        await pool.shutdown()
    }

    @Test("two sweepers started together delete each row once and never wait for each other")
    func twoSweepers() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 3000, live: 10)
        let a = db.makePool(size: 1), b = db.makePool(size: 1)
        let clock = FixedClock(now)
        async let ra = ExpirySweeper(pool: a, clock: clock, batchSize: 200).sweep()
        async let rb = ExpirySweeper(pool: b, clock: clock, batchSize: 200).sweep()
        let (first, second) = try await (ra, rb)
        #expect(first.rows["access_tokens", default: 0] + second.rows["access_tokens", default: 0] == 3000)
        #expect(first.rows["grants", default: 0] + second.rows["grants", default: 0] == 3000)
        // Either one skipped at once, or they ran one after the other and the second found nothing.
        #expect(first.skipped || second.skipped || first.total == 0 || second.total == 0)
        #expect(try Self.counts(db)["access_tokens"] == 10)
        await a.shutdown()
        await b.shutdown()
    }

    @Test("a stop request ends the pass between batches")
    func stopsBetweenBatches() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 500, live: 0)
        let pool = db.makePool(size: 1)
        let asked = Counter()
        let report = try await ExpirySweeper(pool: pool, clock: FixedClock(now), batchSize: 100)
            .sweep(shouldStop: { asked.increment() > 2 })
        #expect(report.interrupted)
        #expect(report.rows["authorization_codes"] == 200)
        #expect(try Self.counts(db)["authorization_codes"] == 300)
        await pool.shutdown()
    }

    @Test("a failed pass is logged and reported, never thrown, so the server keeps running")
    func failedPassIsLogged() async throws {
        let pool = WorkerPool(configuration: .init(conninfo: "host=/tmp/gatehouse-no-such-dir port=1", size: 1))
        let service = ExpirySweepService(sweeper: ExpirySweeper(pool: pool), interval: .seconds(1), logger: Logger(label: "test"))
        let report = await service.tick()
        #expect(report == nil)
        await pool.shutdown()
    }

    @Test("requests keep being served while a pass runs")
    func servesDuringPass() async throws {
        let db = try await TestDatabase.create()
        let now = try Self.seed(db, expired: 20_000, live: 50)
        let sweepPool = db.makePool(size: 1)
        let requestPool = db.makePool(size: 2)
        let grants = PGGrantStore(pool: requestPool)
        let sweep = Task { try await ExpirySweeper(pool: sweepPool, clock: FixedClock(now), batchSize: 500).sweep() }
        // The seed's raw tokens are "live" + table + grant id; their digests are stored.
        let liveGrant = try db.connect().query("SELECT min(id) FROM grants WHERE expires_at > $1", now).first!.decode(Int64.self, at: 0)
        var served = 0
        while served < 200 {
            // A live token's owner is found while the sweeper deletes around it.
            let found = try await grants.owner(ofAccessToken: "liveaccess_tokens\(liveGrant)", now: now)
            #expect(found?.user.username == "u")
            served += 1
        }
        let report = try await sweep.value
        #expect(served == 200)
        #expect(report.rows["access_tokens"] == 20_000)
        #expect(try Self.counts(db)["access_tokens"] == 50)
        await sweepPool.shutdown()
        await requestPool.shutdown()
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

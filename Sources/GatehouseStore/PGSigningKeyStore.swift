import Foundation
import GatehouseCore
import PGClient

/// Signing keys; private halves are stored sealed.
public struct PGSigningKeyStore: SigningKeyStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    static let columns = """
        kid, algorithm, state, private_key, public_jwk, created_at, activated_at, retired_at, promote_after
        """

    public func publishedKeys() async throws -> [StoredSigningKey] {
        try await pool.storeConnection { conn in
            try conn.query("""
                SELECT \(Self.columns) FROM signing_keys
                ORDER BY (state = 'active') DESC, (state = 'next') DESC, created_at DESC, kid
                """).rows.map(Self.key(from:))
        }
    }

    static func key(from row: PGRow) throws -> StoredSigningKey {
        StoredSigningKey(
            kid: try row.decode(column: "kid"),
            algorithm: try row.decode(column: "algorithm"),
            // The table's CHECK allows only the three states.
            state: SigningKeyState(rawValue: try row.decode(column: "state")) ?? .retired,
            sealedPrivateKey: try row.decode(column: "private_key"),
            publicJWK: try row.decode(PGJSON.self, column: "public_jwk").decode([String: String].self),
            createdAt: try row.decode(column: "created_at"),
            activatedAt: try row.decode(column: "activated_at"),
            retiredAt: try row.decode(column: "retired_at"),
            promoteAfter: try row.decode(column: "promote_after")
        )
    }

    /// Replaces every sealed private key, and every sealed client secret,
    /// with `transform(sealed)`, in one transaction: if `transform` throws
    /// for any of them, none changes. Returns how many keys and secrets were re-sealed.
    public func reseal(_ transform: @escaping @Sendable ([UInt8]) throws -> [UInt8]) async throws -> (keys: Int, secrets: Int) {
        try await pool.storeTransaction { conn in
            let rows = try conn.query("SELECT kid, private_key FROM signing_keys ORDER BY kid FOR UPDATE").rows
            for row in rows {
                let resealed = try transform(try row.decode([UInt8].self, column: "private_key"))
                try conn.query("UPDATE signing_keys SET private_key = $2 WHERE kid = $1",
                               try row.decode(String.self, column: "kid"), resealed)
            }
            return (rows.count, try PGRelyingPartyStore.resealSecrets(conn: conn, transform))
        }
    }

    /// Makes sure an active key of each of `algorithms` exists, creating it
    /// with `make` when none does. Replicas starting together serialise on an
    /// advisory lock, so exactly one key per algorithm is created.
    public func ensureActiveKeys(_ algorithms: [SigningAlgorithm], now: Date,
                                 make: @escaping @Sendable (SigningAlgorithm) throws -> SigningKeyMaterial) async throws {
        try await pool.storeTransaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock($1)", Self.keysLock)
            for algorithm in algorithms {
                let active = try conn.query(
                    "SELECT count(*) FROM signing_keys WHERE algorithm = $1 AND state = 'active'", algorithm.rawValue
                ).first!.decode(Int.self, at: 0)
                guard active == 0 else { continue }
                try Self.insert(try make(algorithm), state: .active, now: now, conn: conn)
            }
        }
    }

    /// Serialises key changes between replicas and the CLI.
    static let keysLock: Int64 = 0x6761_7465_6B65_7973

    static func insert(_ material: SigningKeyMaterial, state: SigningKeyState, now: Date, promoteAfter: Date? = nil,
                       conn: PGConnection) throws {
        try conn.query("""
            INSERT INTO signing_keys (kid, algorithm, state, private_key, public_jwk, created_at, activated_at, promote_after)
            VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'active' THEN $6::timestamptz END, $7)
            """, [material.kid, material.algorithm, state.rawValue, material.sealedPrivateKey,
                  try PGJSON(encoding: material.publicJWK), now, promoteAfter])
    }

    /// Makes `kid` (a next key) the active key of its algorithm; the active one retires.
    static func promote(_ kid: String, algorithm: String, now: Date, conn: PGConnection) throws {
        try conn.query("""
            UPDATE signing_keys SET state = 'retired', retired_at = $2
            WHERE algorithm = $1 AND state = 'active'
            """, algorithm, now)
        try conn.query("""
            UPDATE signing_keys SET state = 'active', activated_at = $2, promote_after = NULL
            WHERE kid = $1 AND state = 'next'
            """, kid, now)
    }

    /// What one rotation pass did, per algorithm.
    public struct RotationReport: Sendable, Equatable {
        /// Another replica held the lock; nothing was done.
        public var skipped = false
        public var created: [String] = []
        public var promoted: [String] = []
        public var removed: [String] = []
        public var changed: Bool { !(created.isEmpty && promoted.isEmpty && removed.isEmpty) }
    }

    /// One pass of the rotation rules (`KeyRotation.plan`) for every
    /// algorithm, in one transaction, by one replica at a time.
    public func rotate(_ algorithms: [SigningAlgorithm], now: Date, policy: KeyRotation.Policy,
                       make: @escaping @Sendable (SigningAlgorithm) throws -> SigningKeyMaterial) async throws -> RotationReport {
        try await pool.storeTransaction { conn in
            var report = RotationReport()
            guard try conn.query("SELECT pg_try_advisory_xact_lock($1)", Self.keysLock).first!.decode(Bool.self, at: 0) else {
                report.skipped = true
                return report
            }
            let stored = try conn.query("SELECT \(Self.columns) FROM signing_keys FOR UPDATE").rows.map(Self.key(from:))
            for algorithm in algorithms {
                let keys = stored.filter { $0.algorithm == algorithm.rawValue }
                for step in KeyRotation.plan(keys.map(\.lifecycle), now: now, policy: policy) {
                    switch step {
                    case .createNext:
                        let material = try make(algorithm)
                        try Self.insert(material, state: .next, now: now, conn: conn)
                        report.created.append(material.kid)
                    case .promote(let kid):
                        try Self.promote(kid, algorithm: algorithm.rawValue, now: now, conn: conn)
                        report.promoted.append(kid)
                    case .remove(let kid):
                        try conn.query("DELETE FROM signing_keys WHERE kid = $1 AND state = 'retired'", kid)
                        report.removed.append(kid)
                    }
                }
            }
            return report
        }
    }

    /// `gatehouse keys rotate`: asks that the next key of `algorithm` become
    /// active as soon as it has been published long enough (creating one if
    /// there is none), or with `immediately` makes it active now.
    /// - Parameter check: sees the algorithm's keys (under lock) first; throwing changes nothing.
    /// - Returns: the key that is or will be active, and when it signs.
    public func requestRotation(_ algorithm: SigningAlgorithm, immediately: Bool, now: Date, policy: KeyRotation.Policy,
                                check: @escaping @Sendable ([StoredSigningKey]) throws -> Void,
                                make: @escaping @Sendable (SigningAlgorithm) throws -> SigningKeyMaterial) async throws -> (kid: String, signsFrom: Date) {
        try await pool.storeTransaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock($1)", Self.keysLock)
            let keys = try conn.query("SELECT \(Self.columns) FROM signing_keys WHERE algorithm = $1 FOR UPDATE",
                                      algorithm.rawValue).rows.map(Self.key(from:))
            try check(keys)
            var next = keys.filter { $0.state == .next }.max { $0.createdAt < $1.createdAt }?.lifecycle
            if next == nil {
                let material = try make(algorithm)
                try Self.insert(material, state: .next, now: now, conn: conn)
                next = KeyRotation.Key(kid: material.kid, state: .next, createdAt: now)
            }
            let kid = next!.kid
            if immediately {
                try Self.promote(kid, algorithm: algorithm.rawValue, now: now, conn: conn)
                try Self.insert(try make(algorithm), state: .next, now: now, conn: conn)
                return (kid, now)
            }
            try conn.query("UPDATE signing_keys SET promote_after = $2 WHERE kid = $1", kid, now)
            return (kid, max(now, KeyRotation.earliestPromotion(of: next!, policy: policy)))
        }
    }
}

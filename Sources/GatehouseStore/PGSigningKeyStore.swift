import Foundation
import GatehouseCore
import PGClient

/// Signing keys; private halves are stored sealed.
public struct PGSigningKeyStore: SigningKeyStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func publishedKeys() async throws -> [StoredSigningKey] {
        try await pool.storeConnection { conn in
            try conn.query("""
                SELECT kid, algorithm, state, private_key, public_jwk FROM signing_keys
                ORDER BY (state = 'active') DESC, created_at DESC
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
            publicJWK: try row.decode(PGJSON.self, column: "public_jwk").decode([String: String].self)
        )
    }

    /// Replaces every sealed private key with `transform(sealed)`, in one
    /// transaction: if `transform` throws for any key, none changes.
    /// Returns how many keys were re-sealed.
    public func reseal(_ transform: @escaping @Sendable ([UInt8]) throws -> [UInt8]) async throws -> Int {
        try await pool.storeTransaction { conn in
            let rows = try conn.query("SELECT kid, private_key FROM signing_keys ORDER BY kid FOR UPDATE").rows
            for row in rows {
                let resealed = try transform(try row.decode([UInt8].self, column: "private_key"))
                try conn.query("UPDATE signing_keys SET private_key = $2 WHERE kid = $1",
                               try row.decode(String.self, column: "kid"), resealed)
            }
            return rows.count
        }
    }

    /// Makes sure an active key of `algorithm` exists, creating it with
    /// `make` when none does. Replicas starting together serialise on an
    /// advisory lock, so exactly one key is created.
    public func ensureActiveKey(algorithm: String, make: @escaping @Sendable () throws -> SigningKeyMaterial) async throws {
        try await pool.storeTransaction { conn in
            try conn.query("SELECT pg_advisory_xact_lock($1)", Self.bootstrapLock)
            let active = try conn.query(
                "SELECT count(*) FROM signing_keys WHERE algorithm = $1 AND state = 'active'", algorithm
            ).first!.decode(Int.self, at: 0)
            guard active == 0 else { return }
            let material = try make()
            try conn.query("""
                INSERT INTO signing_keys (kid, algorithm, state, private_key, public_jwk, activated_at)
                VALUES ($1, $2, 'active', $3, $4, now())
                """, [material.kid, material.algorithm, material.sealedPrivateKey, try PGJSON(encoding: material.publicJWK)])
        }
    }

    static let bootstrapLock: Int64 = 0x6761_7465_6B65_7973

    /// Makes `material` the active key of its algorithm, retiring the old one.
    /// - Parameter check: sees the active keys (under lock) first; throwing
    ///   changes nothing.
    public func activate(_ material: SigningKeyMaterial,
                         check: @escaping @Sendable ([StoredSigningKey]) throws -> Void) async throws {
        let jwk = try PGJSON(encoding: material.publicJWK)
        try await pool.storeTransaction { conn in
            let active = try conn.query("""
                SELECT kid, algorithm, state, private_key, public_jwk FROM signing_keys
                WHERE algorithm = $1 AND state = 'active' FOR UPDATE
                """, material.algorithm).rows.map(Self.key(from:))
            try check(active)
            try conn.query("""
                UPDATE signing_keys SET state = 'retired', retired_at = now()
                WHERE algorithm = $1 AND state = 'active'
                """, material.algorithm)
            try conn.query("""
                INSERT INTO signing_keys (kid, algorithm, state, private_key, public_jwk, activated_at)
                VALUES ($1, $2, 'active', $3, $4, now())
                """, [material.kid, material.algorithm, material.sealedPrivateKey, jwk])
        }
    }
}

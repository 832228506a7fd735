import Foundation
import GatehouseCore
import PGClient

/// The operator's scopes in Postgres.
public struct PGScopeStore: ScopeStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func list() async throws -> [ScopeDefinition] {
        try await pool.storeConnection { conn in
            try conn.query("SELECT name, description, claims FROM scopes ORDER BY name").rows.map { row in
                ScopeDefinition(name: try row.decode(column: "name"), description: try row.decode(column: "description"),
                                claims: try row.decode(PGTextArray.self, column: "claims").elements)
            }
        }
    }

    public func create(_ scope: ScopeDefinition) async throws {
        do {
            try await pool.storeConnection { conn in
                try conn.query("INSERT INTO scopes (name, description, claims) VALUES ($1, $2, $3)",
                               [scope.name, scope.description, PGTextArray(scope.claims)])
            }
        } catch let error as PGError where error.isUniqueViolation {
            throw StoreError.duplicate("scope '\(scope.name)'")
        }
    }

    public func delete(name: String) async throws -> Bool {
        try await pool.storeConnection { conn in
            try conn.query("DELETE FROM scopes WHERE name = $1", name).affectedRows > 0
        }
    }
}

import Foundation
import GatehouseCore
import PGClient

/// Relying parties (OAuth clients) in Postgres. Secrets are stored only as
/// SHA-256 digests. (Not "PGClientStore": that read as a store of the Postgres client.)
public struct PGRelyingPartyStore: ClientStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    static let columns = """
        id, client_id, name, client_type, redirect_uris, post_logout_redirect_uris, response_types,
        grant_types, scopes, require_consent, reuse_consent, token_endpoint_auth_method, created_at
        """

    public func create(_ registration: ClientRegistration) async throws -> (client: Client, secret: String?) {
        let r = registration
        // client_id is public, so 144 bits are plenty; the secret gets 256.
        let clientID = SecretToken.generate(byteCount: 18)
        let secret = r.kind == .confidential ? SecretToken.generate() : nil
        let digest = secret.map(SecretToken.digest(of:))
        let client = try await pool.storeConnection { conn in
            try Self.client(from: conn.query("""
                INSERT INTO clients (client_id, secret_digest, name, client_type, redirect_uris,
                    post_logout_redirect_uris, response_types, grant_types, scopes, require_consent,
                    reuse_consent, token_endpoint_auth_method)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                RETURNING \(Self.columns)
                """,
                [clientID, digest, r.name, r.kind.rawValue, PGTextArray(r.redirectURIs),
                 PGTextArray(r.postLogoutRedirectURIs), PGTextArray(r.responseTypes), PGTextArray(r.grantTypes),
                 PGTextArray(r.scopes), r.requireConsent, r.reuseConsent, r.tokenEndpointAuthMethod]
            ).rows[0])
        }
        return (client, secret)
    }

    public func find(clientID: String) async throws -> Client? {
        try await pool.storeConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM clients WHERE client_id = $1", clientID)
                .first.map(Self.client(from:))
        }
    }

    public func list() async throws -> [Client] {
        try await pool.storeConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM clients ORDER BY created_at, id").rows.map(Self.client(from:))
        }
    }

    public func delete(clientID: String) async throws -> Bool {
        try await pool.storeConnection { conn in
            try conn.query("DELETE FROM clients WHERE client_id = $1", clientID).affectedRows > 0
        }
    }

    public func rotateSecret(clientID: String) async throws -> String {
        let secret = SecretToken.generate()
        let digest = SecretToken.digest(of: secret)
        let kind: String? = try await pool.storeConnection { conn in
            // One statement: concurrent rotations each replace the digest
            // atomically, and the last one to commit is the secret that works.
            let updated = try conn.query("""
                UPDATE clients SET secret_digest = $2, secret_rotated_at = now()
                WHERE client_id = $1 AND client_type = 'confidential'
                RETURNING client_type
                """, clientID, digest)
            if let row = updated.first { return try row.decode(String.self, at: 0) }
            return try conn.query("SELECT client_type FROM clients WHERE client_id = $1", clientID)
                .first?.decode(String.self, at: 0)
        }
        switch kind {
        case "confidential": return secret
        case nil: throw StoreError.notFound("client '\(clientID)'")
        default: throw StoreError.invalid("client '\(clientID)' is public and has no secret")
        }
    }

    static func client(from row: PGRow) throws -> Client {
        Client(
            id: try row.decode(column: "id"),
            clientID: try row.decode(column: "client_id"),
            name: try row.decode(column: "name"),
            kind: Client.Kind(rawValue: try row.decode(column: "client_type")) ?? .confidential,
            redirectURIs: try row.decode(PGTextArray.self, column: "redirect_uris").elements,
            postLogoutRedirectURIs: try row.decode(PGTextArray.self, column: "post_logout_redirect_uris").elements,
            responseTypes: try row.decode(PGTextArray.self, column: "response_types").elements.compactMap(ResponseType.init(parameter:)),
            grantTypes: try row.decode(PGTextArray.self, column: "grant_types").elements.compactMap(GrantType.init(rawValue:)),
            scopes: try row.decode(PGTextArray.self, column: "scopes").elements,
            requireConsent: try row.decode(column: "require_consent"),
            reuseConsent: try row.decode(column: "reuse_consent"),
            tokenEndpointAuthMethod: try row.decode(column: "token_endpoint_auth_method"),
            createdAt: try row.decode(column: "created_at")
        )
    }
}

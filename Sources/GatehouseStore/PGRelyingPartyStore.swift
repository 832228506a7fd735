import Foundation
import GatehouseCore
import PGClient

/// Relying parties (OAuth clients) in Postgres. Secrets are stored as
/// SHA-256 digests; an HS256 client's secret is also kept sealed, since its
/// ID tokens are signed with it. (Not "PGClientStore": that read as a store
/// of the Postgres client.)
public struct PGRelyingPartyStore: ClientStore {
    let pool: WorkerPool
    /// Seals HS256 clients' secrets; without it such clients cannot be created.
    let box: SecretBox?

    public init(pool: WorkerPool, box: SecretBox? = nil) {
        self.pool = pool
        self.box = box
    }

    static let columns = """
        id, client_id, name, client_type, redirect_uris, post_logout_redirect_uris, response_types,
        grant_types, scopes, require_consent, reuse_consent, token_endpoint_auth_method, created_at,
        id_token_signed_response_alg, secret_sealed, is_resource_server, access_token_format,
        client_uri, tos_uri, logo_uri, contact_email
        """

    /// The secret sealed for storage when `algorithm` signs with it, else nil.
    func sealed(_ secret: String?, for algorithm: SigningAlgorithm) throws -> [UInt8]? {
        guard algorithm == .hs256, let secret else { return nil }
        guard let box else { throw StoreError.invalid("an HS256 client's secret must be sealed: GATEHOUSE_SECRET_KEY is required") }
        return try box.seal(Array(secret.utf8))
    }

    public func create(_ registration: ClientRegistration) async throws -> (client: Client, secret: String?) {
        let r = registration
        // client_id is public, so 144 bits are plenty; the secret gets 256.
        let clientID = SecretToken.generateClientID()
        let secret = r.kind == .confidential ? SecretToken.generate() : nil
        let digest = secret.map(SecretToken.digest(of:))
        let sealedSecret = try sealed(secret, for: r.signingAlgorithm)
        let client = try await pool.storeConnection { conn in
            try Self.client(from: conn.query("""
                INSERT INTO clients (client_id, secret_digest, name, client_type, redirect_uris,
                    post_logout_redirect_uris, response_types, grant_types, scopes, require_consent,
                    reuse_consent, token_endpoint_auth_method, id_token_signed_response_alg, secret_sealed,
                    is_resource_server, access_token_format)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                RETURNING \(Self.columns)
                """,
                [clientID, digest, r.name, r.kind.rawValue, PGTextArray(r.redirectURIs),
                 PGTextArray(r.postLogoutRedirectURIs), PGTextArray(r.responseTypes), PGTextArray(r.grantTypes),
                 PGTextArray(r.scopes), r.requireConsent, r.reuseConsent, r.tokenEndpointAuthMethod,
                 r.signingAlgorithm.rawValue, sealedSecret, r.resourceServer,
                 r.tokenFormat.rawValue]
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

    public func update(clientID: String, to r: ClientRegistration) async throws -> Client? {
        try await pool.storeTransaction { conn in
            guard let row = try conn.query("SELECT \(Self.columns) FROM clients WHERE client_id = $1 FOR UPDATE", clientID).first
            else { return nil }
            let current = try Self.client(from: row)
            guard current.kind == r.kind else { throw StoreError.invalid("a client's type cannot change; register a new client") }
            if r.signingAlgorithm == .hs256 && current.sealedSecret == nil {
                throw StoreError.invalid("HS256 signs with the client's secret, which is stored only as a digest: keep the algorithm, or register a new HS256 client")
            }
            return try Self.client(from: conn.query("""
                UPDATE clients SET name = $2, redirect_uris = $3, post_logout_redirect_uris = $4, response_types = $5,
                    grant_types = $6, scopes = $7, require_consent = $8, reuse_consent = $9,
                    token_endpoint_auth_method = $10, id_token_signed_response_alg = $11,
                    secret_sealed = CASE WHEN $11 = 'HS256' THEN secret_sealed END
                WHERE client_id = $1
                RETURNING \(Self.columns)
                """, [clientID, r.name, PGTextArray(r.redirectURIs), PGTextArray(r.postLogoutRedirectURIs),
                      PGTextArray(r.responseTypes), PGTextArray(r.grantTypes), PGTextArray(r.scopes), r.requireConsent,
                      r.reuseConsent, r.tokenEndpointAuthMethod, r.signingAlgorithm.rawValue]).rows[0])
        }
    }

    public func rotateSecret(clientID: String) async throws -> String {
        let secret = SecretToken.generate()
        let digest = SecretToken.digest(of: secret)
        // Sealed whether or not the client is HS256; the statement keeps it only for HS256 clients.
        let sealedSecret = try box.map { try $0.seal(Array(secret.utf8)) }
        let kind: String? = try await pool.storeConnection { conn in
            if sealedSecret == nil,
               try conn.query("SELECT 1 FROM clients WHERE client_id = $1 AND id_token_signed_response_alg = 'HS256'", clientID).first != nil {
                throw StoreError.invalid("an HS256 client's secret must be sealed: GATEHOUSE_SECRET_KEY is required")
            }
            // One statement: concurrent rotations each replace the digest
            // atomically, and the last one to commit is the secret that works.
            let updated = try conn.query("""
                UPDATE clients SET secret_digest = $2, secret_rotated_at = now(),
                    secret_sealed = CASE WHEN id_token_signed_response_alg = 'HS256' THEN $3::bytea END
                WHERE client_id = $1 AND client_type = 'confidential'
                RETURNING client_type
                """, [clientID, digest, sealedSecret])
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
            createdAt: try row.decode(column: "created_at"),
            // The table's CHECK allows only the four algorithms.
            idTokenAlgorithm: SigningAlgorithm(rawValue: try row.decode(column: "id_token_signed_response_alg")) ?? .rs256,
            sealedSecret: try row.decode(column: "secret_sealed"),
            isResourceServer: try row.decode(column: "is_resource_server"),
            accessTokenFormat: AccessTokenFormat(rawValue: try row.decode(column: "access_token_format")) ?? .opaque,
            links: ClientLinks(clientURI: try row.decode(column: "client_uri"), tosURI: try row.decode(column: "tos_uri"),
                               logoURI: try row.decode(column: "logo_uri"), contactEmail: try row.decode(column: "contact_email"))
        )
    }

    /// Replaces every sealed client secret with `transform(sealed)` on `conn`
    /// (inside the caller's transaction); returns how many changed.
    public static func resealSecrets(conn: PGConnection, _ transform: ([UInt8]) throws -> [UInt8]) throws -> Int {
        let rows = try conn.query("SELECT id, secret_sealed FROM clients WHERE secret_sealed IS NOT NULL ORDER BY id FOR UPDATE").rows
        for row in rows {
            let resealed = try transform(try row.decode([UInt8].self, column: "secret_sealed"))
            try conn.query("UPDATE clients SET secret_sealed = $2 WHERE id = $1", try row.decode(Int64.self, column: "id"), resealed)
        }
        return rows.count
    }
}

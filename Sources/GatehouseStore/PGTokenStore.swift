import Foundation
import GatehouseCore
import PGClient

/// Introspection and revocation lookups: a token by its digest, in either
/// token table, with its grant, client and user.
public struct PGTokenStore: TokenStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    /// Digests are random 256-bit values, so at most one of the two halves matches.
    static let lookup = """
        SELECT 'access_token' AS kind, t.grant_id, t.scopes, t.created_at, t.expires_at, NULL::timestamptz AS rotated_at,
               g.revoked_at, g.client_id AS client_row_id, c.client_id, u.subject, u.username, u.is_active
        FROM access_tokens t JOIN grants g ON g.id = t.grant_id JOIN clients c ON c.id = g.client_id
        LEFT JOIN users u ON u.id = g.user_id
        WHERE t.token_digest = $1
        UNION ALL
        SELECT 'refresh_token', t.grant_id, t.scopes, t.created_at, t.expires_at, t.rotated_at,
               g.revoked_at, g.client_id, c.client_id, u.subject, u.username, u.is_active
        FROM refresh_tokens t JOIN grants g ON g.id = t.grant_id JOIN clients c ON c.id = g.client_id
        LEFT JOIN users u ON u.id = g.user_id
        WHERE t.token_digest = $1
        """

    static func token(from row: PGRow) throws -> StoredToken {
        let subject: UUID? = try row.decode(column: "subject")
        return StoredToken(
            kind: TokenKind(rawValue: try row.decode(column: "kind")) ?? .accessToken,
            grantID: try row.decode(column: "grant_id"),
            clientRowID: try row.decode(column: "client_row_id"),
            clientID: try row.decode(column: "client_id"),
            scopes: Scopes(try row.decode(PGTextArray.self, column: "scopes").elements),
            issuedAt: try row.decode(column: "created_at"),
            expiresAt: try row.decode(column: "expires_at"),
            grantRevoked: row["revoked_at"] != nil,
            rotated: row["rotated_at"] != nil,
            subject: subject.map { $0.uuidString.lowercased() },
            username: try row.decode(column: "username"),
            // A client_credentials grant has no user to disable.
            userIsActive: try row.decode(Bool?.self, column: "is_active") ?? true
        )
    }

    public func find(_ token: String, client auth: ClientAuthentication) async throws -> (caller: Client, token: StoredToken?) {
        let digest = SecretToken.digest(of: token)
        return try await pool.storeConnection { conn in
            let caller = try PGGrantStore.authenticate(auth, conn: conn)
            return (caller, try conn.query(Self.lookup, digest).first.map(Self.token(from:)))
        }
    }

    public func revoke(_ token: String, client auth: ClientAuthentication, now: Date) async throws -> TokenRevocation.Decision {
        let digest = SecretToken.digest(of: token)
        return try await pool.storeTransaction { conn in
            let caller = try PGGrantStore.authenticate(auth, conn: conn)
            // No lock: revoking a grant and deleting a token are idempotent.
            let found = try conn.query(Self.lookup, digest).first.map(Self.token(from:))
            let decision = TokenRevocation.decide(found, caller: caller, now: now)
            switch decision {
            case .revokeGrant(let grantID):
                try PGGrantStore.revoke(grantID, conn: conn, now: now)
            case .revokeAccessToken:
                try conn.query("DELETE FROM access_tokens WHERE token_digest = $1", digest)
            case .nothing, .refuse:
                break
            }
            return decision
        }
    }
}

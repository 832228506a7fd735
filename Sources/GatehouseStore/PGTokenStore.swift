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

    /// Digests are random 256-bit values, so at most one of the two halves
    /// matches. Its columns are prefixed `token_`, so it can share a row with
    /// the caller's client columns (`find`).
    static let lookup = """
        SELECT 'access_token' AS token_kind, t.grant_id AS token_grant_id, t.scopes AS token_scopes,
               t.created_at AS token_created_at, t.expires_at AS token_expires_at, NULL::timestamptz AS token_rotated_at,
               g.revoked_at AS token_grant_revoked_at, g.client_id AS token_client_row_id, c.client_id AS token_client_id,
               u.subject AS token_subject, u.username AS token_username, u.is_active AS token_user_active
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

    /// The token in `row`, or nil when the lookup found none (its columns are null).
    static func token(from row: PGRow) throws -> StoredToken? {
        guard let kind: String = try row.decode(column: "token_kind") else { return nil }
        let subject: String? = try row.decode(column: "token_subject")
        return StoredToken(
            kind: TokenKind(rawValue: kind) ?? .accessToken,
            grantID: try row.decode(column: "token_grant_id"),
            clientRowID: try row.decode(column: "token_client_row_id"),
            clientID: try row.decode(column: "token_client_id"),
            scopes: Scopes(try row.decode(PGTextArray.self, column: "token_scopes").elements),
            issuedAt: try row.decode(column: "token_created_at"),
            expiresAt: try row.decode(column: "token_expires_at"),
            grantRevoked: row["token_grant_revoked_at"] != nil,
            rotated: row["token_rotated_at"] != nil,
            subject: subject,
            username: try row.decode(column: "token_username"),
            // A client_credentials grant has no user to disable.
            userIsActive: try row.decode(Bool?.self, column: "token_user_active") ?? true
        )
    }

    /// The caller's client and the token in one statement: introspection is
    /// one query per request, like /userinfo.
    public func find(_ token: String, client auth: ClientAuthentication) async throws -> (caller: Client, token: StoredToken?) {
        let digest = SecretToken.digest(of: token)
        return try await pool.storeConnection { conn in
            let row = try conn.query("""
                SELECT \(PGRelyingPartyStore.columns), secret_digest, t.*
                FROM clients LEFT JOIN LATERAL (\(Self.lookup)) t ON true
                WHERE clients.client_id = $2
                """, [digest, auth.credentials.clientID]).first
            let caller = try auth.verify(try row.map(PGRelyingPartyStore.client(from:)),
                                         storedDigest: try row?.decode([UInt8]?.self, column: "secret_digest"))
            return (caller, try row.flatMap(Self.token(from:)))
        }
    }

    public func revoke(_ token: String, client auth: ClientAuthentication, now: Date) async throws -> TokenRevocation.Decision {
        let digest = SecretToken.digest(of: token)
        return try await pool.storeTransaction { conn in
            let caller = try PGGrantStore.authenticate(auth, conn: conn)
            // No lock: revoking a grant and deleting a token are idempotent.
            let found = try conn.query(Self.lookup, digest).first.flatMap(Self.token(from:))
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

import Foundation
import GatehouseCore
import GatehouseStore
import PGClient
import TestSupport
import Testing

/// Codes and tokens belong to a grant (sql/0003): deleting grants deletes
/// them through one set-based trigger, so the sweep deletes grants cheaply,
/// and one whose grant is gone is dead.
@Suite("Codes and tokens live and die with their grant")
struct GrantDependentsTests {
    static let dependents = ["authorization_codes", "access_tokens", "refresh_tokens"]

    /// A user, a client and `count` grants, each with one code, one access
    /// token and one refresh token; returns the grant ids.
    static func seed(_ conn: PGConnection, grants count: Int) throws -> [Int64] {
        try conn.query("INSERT INTO users (username, password_hash) VALUES ('u', 'x')")
        try conn.query("""
            INSERT INTO clients (client_id, secret_digest, name, client_type, redirect_uris, response_types, grant_types, scopes,
                                 token_endpoint_auth_method)
            VALUES ('c', decode(repeat('ab', 32), 'hex'), 'C', 'confidential', '{https://rp/cb}', '{code}', '{authorization_code}',
                    '{openid}', 'client_secret_basic')
            """)
        let ids = try conn.query("""
            INSERT INTO grants (client_id, user_id, scopes, expires_at)
            SELECT c.id, u.id, '{openid}', now() + interval '1 hour' FROM clients c, users u, generate_series(1, $1)
            RETURNING id
            """, count).rows.map { try $0.decode(Int64.self, at: 0) }
        try insertDependents(conn, grantIDs: "SELECT id FROM grants")
        return ids.sorted()
    }

    static func insertDependents(_ conn: PGConnection, grantIDs: String, tag: String = "") throws {
        try conn.query("""
            INSERT INTO authorization_codes (code_digest, grant_id, redirect_uri, scopes, expires_at)
            SELECT sha256(convert_to('code\(tag)' || id, 'UTF8')), id, 'https://rp/cb', '{openid}', now() + interval '1 hour'
            FROM (\(grantIDs)) g
            """)
        for table in ["access_tokens", "refresh_tokens"] {
            try conn.query("""
                INSERT INTO \(table) (token_digest, grant_id, scopes, expires_at)
                SELECT sha256(convert_to('\(table)\(tag)' || id, 'UTF8')), id, '{openid}', now() + interval '1 hour'
                FROM (\(grantIDs)) g
                """)
        }
    }

    static func count(_ conn: PGConnection, _ table: String, grant: Int64? = nil) throws -> Int {
        let condition = grant.map { "WHERE grant_id = \($0)" } ?? ""
        return try conn.query("SELECT count(*) FROM \(table) \(condition)").first!.decode(Int.self, at: 0)
    }

    @Test("deleting many grants in one statement deletes exactly their codes and tokens")
    func deleteCascades() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        let ids = try Self.seed(conn, grants: 300)
        let gone = Array(ids.prefix(200))
        let deleted = try conn.query("DELETE FROM grants WHERE id <= $1", gone.last!).affectedRows
        #expect(deleted == 200)
        for table in Self.dependents {
            #expect(try Self.count(conn, table) == 100, "\(table)")
            #expect(try Self.count(conn, table, grant: gone[0]) == 0, "\(table)")
            #expect(try Self.count(conn, table, grant: ids[250]) == 1, "\(table)")
        }
    }

    @Test("deleting a user or a client deletes its grants' codes and tokens too")
    func ownerDeleteCascades() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        _ = try Self.seed(conn, grants: 5)
        try conn.query("DELETE FROM users")
        for table in Self.dependents + ["grants"] {
            #expect(try Self.count(conn, table) == 0, "\(table)")
        }
        try conn.query("INSERT INTO grants (client_id, scopes, expires_at) SELECT id, '{}', now() + interval '1 hour' FROM clients")
        try Self.insertDependents(conn, grantIDs: "SELECT id FROM grants", tag: "cc")
        try conn.query("DELETE FROM clients")
        for table in Self.dependents + ["grants"] {
            #expect(try Self.count(conn, table) == 0, "\(table)")
        }
    }

    @Test("TRUNCATE grants empties the code and token tables too")
    func truncateCascades() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        _ = try Self.seed(conn, grants: 3)
        try conn.query("TRUNCATE grants")
        for table in Self.dependents {
            #expect(try Self.count(conn, table) == 0, "\(table)")
        }
    }

    @Test("a code or token whose grant is gone is dead: no user for it, and no tokens from it")
    func orphansAreDead() async throws {
        let db = try await TestDatabase.create()
        let conn = try db.connect()
        _ = try Self.seed(conn, grants: 1)
        try conn.query("""
            INSERT INTO clients (client_id, name, client_type, redirect_uris, response_types, grant_types, scopes,
                                 token_endpoint_auth_method)
            VALUES ('p', 'P', 'public', '{https://rp/cb}', '{code}', '{authorization_code,refresh_token}', '{openid}', 'none')
            """)
        // Rows written by hand for a grant that does not exist: nothing stops them, nothing honours them.
        let missing: Int64 = 9_999_999
        try conn.query("INSERT INTO access_tokens (token_digest, grant_id, scopes, expires_at) VALUES ($1, $2, '{openid}', now() + interval '1 hour')",
                       SecretToken.digest(of: "orphan-access"), missing)
        try conn.query("INSERT INTO refresh_tokens (token_digest, grant_id, scopes, expires_at) VALUES ($1, $2, '{openid}', now() + interval '1 hour')",
                       SecretToken.digest(of: "orphan-refresh"), missing)
        try conn.query("""
            INSERT INTO authorization_codes (code_digest, grant_id, redirect_uri, scopes, expires_at)
            VALUES ($1, $2, 'https://rp/cb', '{openid}', now() + interval '1 hour')
            """, SecretToken.digest(of: "orphan-code"), missing)

        let pool = db.makePool(size: 1)
        let store = PGGrantStore(pool: pool)
        let policy = TokenPolicy(now: Date(), accessTokenLifetime: .seconds(60), refreshTokenLifetime: .seconds(600))
        let auth = ClientAuthentication(ClientCredentials(clientID: "p", secret: nil, method: .none))
        let owner = try await store.owner(ofAccessToken: "orphan-access", now: Date())
        #expect(owner == nil)
        await #expect(throws: OAuthError.invalidGrant("the refresh token is invalid")) {
            _ = try await store.refresh("orphan-refresh", client: auth, scopes: nil, policy: policy)
        }
        await #expect(throws: OAuthError.invalidGrant("the authorization code is invalid")) {
            _ = try await store.redeem(CodeRedemption(code: "orphan-code", redirectURI: "https://rp/cb", codeVerifier: nil),
                                       client: auth, policy: policy)
        }
        // Nothing was issued from them.
        #expect(try Self.count(conn, "access_tokens") == 2)
        #expect(try Self.count(conn, "refresh_tokens") == 2)
        await pool.shutdown()
    }
}

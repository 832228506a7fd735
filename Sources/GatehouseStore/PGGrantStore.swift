import Foundation
import GatehouseCore
import PGClient

/// Grants, authorization codes and tokens in Postgres.
public struct PGGrantStore: GrantStore {
    let pool: WorkerPool
    /// How long the audit events of revocations by replay or reuse detection are kept.
    let auditRetention: Duration

    public init(pool: WorkerPool, auditRetention: Duration = .days(365)) {
        self.pool = pool
        self.auditRetention = auditRetention
    }

    public func authorize(_ request: AuthorizationRequest, client: Client, user: User, authTime: Date,
                          codeLifetime: Duration, policy: TokenPolicy) async throws -> FrontChannelTokens {
        let now = policy.now
        let code = request.responseType.issuesCode ? SecretToken.generate() : nil
        let access = request.responseType.issuesAccessToken
            ? try policy.accessToken(for: client, subject: user.subject, scopes: request.scopes) : nil
        let codeExpires = now.addingTimeInterval(codeLifetime.timeInterval)
        let accessExpires = now.addingTimeInterval(policy.accessTokenLifetime.timeInterval)
        // The grant lives as long as the longest of what it holds.
        let grantExpires = max(code == nil ? now : codeExpires, access == nil ? now : accessExpires)
        let scopes = PGTextArray(request.scopes.values)
        // One statement, so the grant and its code and token appear together or not at all.
        try await pool.storeConnection { conn in
            try conn.query("""
                WITH g AS (
                    INSERT INTO grants (client_id, user_id, scopes, auth_time, created_at, expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                ),
                c AS (
                    INSERT INTO authorization_codes (code_digest, grant_id, redirect_uri, scopes, nonce,
                        code_challenge, code_challenge_method, created_at, expires_at)
                    SELECT $7::bytea, g.id, $8, $3, $9, $10, $11, $5, $12 FROM g WHERE $7::bytea IS NOT NULL
                )
                INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                SELECT $13::bytea, g.id, $3, $5, $14 FROM g WHERE $13::bytea IS NOT NULL
                """,
                [client.id, user.id, scopes, authTime, now, grantExpires, code.map(SecretToken.digest(of:)),
                 request.redirectURI, request.nonce, request.codeChallenge, request.codeChallengeMethod?.rawValue,
                 codeExpires, access.map(SecretToken.digest(of:)), accessExpires]
            )
        }
        return FrontChannelTokens(code: code, accessToken: access,
                                  expiresIn: access.map { _ in policy.accessTokenLifetime.wholeSeconds })
    }

    /// What a redemption transaction did. A revocation must commit, so it
    /// is returned rather than thrown, and thrown after the commit.
    private enum RedeemOutcome: Sendable {
        case issued(Client, IssuedTokens)
        case revoked(OAuthError)

        func tokens() throws -> (Client, IssuedTokens) {
            switch self {
            case .issued(let client, let tokens): return (client, tokens)
            case .revoked(let error): throw error
            }
        }
    }

    public func redeem(_ redemption: CodeRedemption, client auth: ClientAuthentication, policy: TokenPolicy) async throws -> (Client, IssuedTokens) {
        let digest = SecretToken.digest(of: redemption.code)
        let outcome: RedeemOutcome = try await pool.storeTransaction { conn in
            let client = try Self.authenticate(auth, conn: conn)
            // FOR UPDATE: of concurrent redemptions one locks the row first;
            // the others wait and then see it redeemed.
            let row = try conn.query("""
                SELECT c.grant_id, c.redirect_uri, c.scopes, c.nonce, c.code_challenge, c.code_challenge_method,
                       c.expires_at, c.redeemed_at, g.client_id, g.auth_time, g.revoked_at, u.subject, u.is_active
                FROM authorization_codes c
                JOIN grants g ON g.id = c.grant_id
                JOIN users u ON u.id = g.user_id
                WHERE c.code_digest = $1
                FOR UPDATE OF c, g
                """, digest).first
            let stored = try row.map { row in
                AuthorizationCodeGrant.StoredCode(
                    clientID: try row.decode(column: "client_id"),
                    redirectURI: try row.decode(column: "redirect_uri"),
                    scopes: Scopes(try row.decode(PGTextArray.self, column: "scopes").elements),
                    nonce: try row.decode(column: "nonce"),
                    codeChallenge: try row.decode(column: "code_challenge"),
                    codeChallengeMethod: try row.decode(String?.self, column: "code_challenge_method").flatMap(PKCE.Method.init(rawValue:)),
                    expiresAt: try row.decode(column: "expires_at"),
                    redeemed: try row.decode(Date?.self, column: "redeemed_at") != nil,
                    grantRevoked: row["revoked_at"] != nil,
                    subject: try row.decode(column: "subject"),
                    userIsActive: try row.decode(column: "is_active"),
                    authTime: try row.decode(column: "auth_time"))
            }
            let decision = AuthorizationCodeGrant.decide(stored, client: client, redemption: redemption, now: policy.now)
            return try Self.carryOut(decision, grantID: try row?.decode(Int64.self, column: "grant_id"), client: client,
                                     consuming: .code(digest), policy: policy, auditRetention: auditRetention, conn: conn)
        }
        return try outcome.tokens()
    }

    public func refresh(_ refreshToken: String, client auth: ClientAuthentication, scopes requested: Scopes?,
                        policy: TokenPolicy) async throws -> (Client, IssuedTokens) {
        let digest = SecretToken.digest(of: refreshToken)
        let outcome: RedeemOutcome = try await pool.storeTransaction { conn in
            let client = try Self.authenticate(auth, conn: conn)
            let row = try conn.query("""
                SELECT r.grant_id, r.scopes, r.expires_at, r.rotated_at, g.client_id, g.auth_time, g.revoked_at,
                       u.subject, u.is_active
                FROM refresh_tokens r
                JOIN grants g ON g.id = r.grant_id
                JOIN users u ON u.id = g.user_id
                WHERE r.token_digest = $1
                FOR UPDATE OF r, g
                """, digest).first
            let stored = try row.map { row in
                RefreshTokenGrant.StoredRefreshToken(
                    clientID: try row.decode(column: "client_id"),
                    scopes: Scopes(try row.decode(PGTextArray.self, column: "scopes").elements),
                    expiresAt: try row.decode(column: "expires_at"),
                    rotated: try row.decode(Date?.self, column: "rotated_at") != nil,
                    grantRevoked: row["revoked_at"] != nil,
                    subject: try row.decode(column: "subject"),
                    userIsActive: try row.decode(column: "is_active"),
                    authTime: try row.decode(column: "auth_time"))
            }
            let decision = RefreshTokenGrant.decide(stored, client: client, requested: requested, now: policy.now)
            return try Self.carryOut(decision, grantID: try row?.decode(Int64.self, column: "grant_id"), client: client,
                                     consuming: .refreshToken(digest), policy: policy, auditRetention: auditRetention, conn: conn)
        }
        return try outcome.tokens()
    }

    /// Carries out a grant decision inside the redemption's transaction:
    /// refusing throws (rolling back), revoking commits the revocation,
    /// issuing inserts the tokens and commits.
    private static func carryOut(_ decision: GrantDecision, grantID: Int64?, client: Client, consuming consumed: Consumed,
                                 policy: TokenPolicy, auditRetention: Duration, conn: PGConnection) throws -> RedeemOutcome {
        switch decision {
        case .refuse(let error):
            throw error
        case .revokeAndRefuse(let error):
            if let grantID {
                try revoke(grantID, conn: conn, now: policy.now)
                // Recorded in the same transaction as the revocation it explains.
                let action: AuditEvent.Action
                switch consumed {
                case .code: action = .grantRevokedOnReplay
                case .refreshToken: action = .grantRevokedOnReuse
                }
                try PGAuditLog.insert(AuditEvent(at: policy.now, actor: .system, action: action, target: "client:\(client.clientID)",
                                                 details: ["grant": String(grantID)]),
                                      retention: auditRetention, conn: conn)
            }
            return .revoked(error)
        case .issue(let issue):
            guard let grantID else { throw OAuthError.invalidGrant("the grant is invalid") }
            // Commits: nothing after it may fail.
            let access = try policy.accessToken(for: client, subject: issue.subject, scopes: issue.scopes)
            let tokens = try insertTokens(grantID: grantID, access: access, scopes: issue.scopes,
                                          refreshScopes: issue.refreshScopes, consuming: consumed, policy: policy, conn: conn)
            return .issued(client, IssuedTokens(
                accessToken: tokens.access, refreshToken: tokens.refresh, expiresIn: policy.accessTokenLifetime.wholeSeconds,
                scopes: issue.scopes, subject: issue.subject, authTime: issue.authTime, nonce: issue.nonce
            ))
        }
    }

    public func issueClientCredentials(client auth: ClientAuthentication, scopes: @escaping @Sendable (Client) throws -> Scopes,
                                       policy: TokenPolicy) async throws -> (Client, IssuedTokens) {
        let expires = policy.now.addingTimeInterval(policy.accessTokenLifetime.timeInterval)
        // One transaction for the client lookup and the insert, in two round
        // trips: BEGIN goes with the lookup, COMMIT with the insert.
        let (client, granted, token) = try await pool.storeTransaction { conn in
            let client = try Self.authenticate(auth, conn: conn)
            let granted = try scopes(client)
            let token = try policy.accessToken(for: client, subject: nil, scopes: granted)
            try conn.queryThenCommit("""
                WITH g AS (
                    INSERT INTO grants (client_id, user_id, scopes, created_at, expires_at)
                    VALUES ($1, NULL, $2, $3, $4) RETURNING id
                )
                INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                SELECT $5, g.id, $2, $3, $4 FROM g
                """, [client.id, PGTextArray(granted.values), policy.now, expires, SecretToken.digest(of: token)])
            return (client, granted, token)
        }
        return (client, IssuedTokens(accessToken: token, refreshToken: nil, expiresIn: policy.accessTokenLifetime.wholeSeconds,
                                     scopes: granted, subject: nil, authTime: nil, nonce: nil))
    }

    /// The token endpoint's client authentication, on the grant's connection.
    static func authenticate(_ auth: ClientAuthentication, conn: PGConnection) throws -> Client {
        let row = try conn.query("SELECT \(PGRelyingPartyStore.columns), secret_digest FROM clients WHERE client_id = $1",
                                 auth.credentials.clientID).first
        return try auth.verify(try row.map(PGRelyingPartyStore.client(from:)),
                               storedDigest: try row?.decode([UInt8]?.self, column: "secret_digest"))
    }

    public func owner(ofAccessToken token: String, now: Date) async throws -> (user: User, scopes: Scopes)? {
        let digest = SecretToken.digest(of: token)
        return try await pool.storeConnection { conn in
            guard let row = try conn.query("""
                SELECT \(PGUserStore.prefixedColumns), a.scopes AS token_scopes, a.expires_at AS token_expires_at
                FROM access_tokens a
                JOIN grants g ON g.id = a.grant_id
                JOIN users u ON u.id = g.user_id
                WHERE a.token_digest = $1 AND g.revoked_at IS NULL
                """, digest).first
            else { return nil }
            guard try row.decode(Date.self, column: "token_expires_at") > now else { return nil }
            let user = try PGUserStore.user(from: row)
            guard user.isActive else { return nil }
            return (user, Scopes(try row.decode(PGTextArray.self, column: "token_scopes").elements))
        }
    }

    /// Marks the grant revoked: every lookup joins grants and skips revoked ones.
    static func revoke(_ grantID: Int64, conn: PGConnection, now: Date) throws {
        try conn.query("UPDATE grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", grantID, now)
    }

    /// What a redemption uses up: the code (marked redeemed) or the refresh
    /// token (marked rotated).
    enum Consumed {
        case code([UInt8])
        case refreshToken([UInt8])

        var statement: String {
            switch self {
            case .code: "UPDATE authorization_codes SET redeemed_at = $4 WHERE code_digest = $10"
            case .refreshToken: "UPDATE refresh_tokens SET rotated_at = $4 WHERE token_digest = $10"
            }
        }
        var digest: [UInt8] {
            switch self {
            case .code(let digest), .refreshToken(let digest): digest
            }
        }
    }

    /// Marks what the redemption consumed, inserts an access token and
    /// optionally a refresh token, and extends the grant's life to the longest
    /// of them, then commits: one statement and its COMMIT in one round trip,
    /// so it must be the transaction's last step.
    static func insertTokens(grantID: Int64, access: String, scopes: Scopes, refreshScopes: Scopes?, consuming consumed: Consumed,
                             policy: TokenPolicy, conn: PGConnection) throws -> (access: String, refresh: String?) {
        let accessExpires = policy.now.addingTimeInterval(policy.accessTokenLifetime.timeInterval)
        let refresh = refreshScopes.map { _ in SecretToken.generate() }
        let refreshExpires = refresh.map { _ in policy.now.addingTimeInterval(policy.refreshTokenLifetime.timeInterval) }
        try conn.queryThenCommit("""
            WITH consumed AS (\(consumed.statement)),
            access AS (
                INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5)
            ),
            refresh AS (
                INSERT INTO refresh_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                SELECT $6::bytea, $2, $7::text[], $4, $8::timestamptz WHERE $6::bytea IS NOT NULL
            )
            UPDATE grants SET expires_at = GREATEST(expires_at, $9) WHERE id = $2
            """,
            [SecretToken.digest(of: access), grantID, PGTextArray(scopes.values), policy.now, accessExpires,
             refresh.map(SecretToken.digest(of:)), refreshScopes.map { PGTextArray($0.values) }, refreshExpires,
             max(accessExpires, refreshExpires ?? accessExpires), consumed.digest])
        return (access, refresh)
    }
}

import Foundation
import GatehouseCore
import PGClient

/// The account page's reads and changes, always scoped to one user.
public struct PGAccountStore: AccountStore {
    let pool: WorkerPool

    public init(pool: WorkerPool) {
        self.pool = pool
    }

    public func applications(userID: Int64, now: Date) async throws -> [AuthorizedApplication] {
        try await pool.storeConnection { conn in
            try conn.query("""
                SELECT c.client_id, c.name, co.scopes AS consent_scopes, co.expires_at AS consent_expires,
                       g.live, g.last_at, g.scopes AS grant_scopes
                FROM clients c
                LEFT JOIN consents co ON co.client_id = c.id AND co.user_id = $1 AND co.expires_at > $2
                LEFT JOIN LATERAL (
                    SELECT count(*) AS live, max(created_at) AS last_at,
                           (SELECT array_agg(DISTINCT s ORDER BY s) FROM grants g2, unnest(g2.scopes) s
                            WHERE g2.user_id = $1 AND g2.client_id = c.id AND g2.revoked_at IS NULL AND g2.expires_at > $2) AS scopes
                    FROM grants g WHERE g.user_id = $1 AND g.client_id = c.id AND g.revoked_at IS NULL AND g.expires_at > $2
                ) g ON true
                WHERE co.user_id IS NOT NULL OR g.live > 0
                ORDER BY lower(c.name), c.client_id
                """, userID, now).rows.map { row in
                let consent: PGTextArray? = try row.decode(column: "consent_scopes")
                let granted: PGTextArray? = try row.decode(column: "grant_scopes")
                return AuthorizedApplication(
                    clientID: try row.decode(column: "client_id"), clientName: try row.decode(column: "name"),
                    scopes: consent?.elements ?? granted?.elements ?? [],
                    consentExpiresAt: try row.decode(column: "consent_expires"),
                    liveGrants: try row.decode(Int?.self, column: "live") ?? 0, lastGrantAt: try row.decode(column: "last_at"))
            }
        }
    }

    public func withdraw(userID: Int64, clientID: String, now: Date) async throws -> Bool {
        try await pool.storeTransaction { conn in
            guard let client = try conn.query("SELECT id FROM clients WHERE client_id = $1", clientID).first?.decode(Int64.self, at: 0)
            else { return false }
            let revoked = try conn.query("""
                UPDATE grants SET revoked_at = $3 WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL
                """, userID, client, now).affectedRows
            let forgotten = try conn.query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2", userID, client).affectedRows
            return revoked + forgotten > 0
        }
    }

    public func sessions(userID: Int64, currentSessionID: String?, now: Date) async throws -> [SessionSummary] {
        let current = currentSessionID.map { Self.hex(SecretToken.digest(of: $0)) }
        return try await pool.storeConnection { conn in
            try conn.query("""
                SELECT encode(id_digest, 'hex') AS handle, created_at, last_seen_at, expires_at FROM sessions
                WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC
                """, userID, now).rows.map { row in
                let handle: String = try row.decode(column: "handle")
                return SessionSummary(handle: handle, createdAt: try row.decode(column: "created_at"),
                                      lastSeenAt: try row.decode(column: "last_seen_at"),
                                      expiresAt: try row.decode(column: "expires_at"), isCurrent: handle == current)
            }
        }
    }

    public func endSession(userID: Int64, handle: String) async throws -> Bool {
        guard handle.count == 64, handle.allSatisfy(\.isHexDigit) else { return false }
        return try await pool.storeConnection { conn in
            try conn.query("DELETE FROM sessions WHERE user_id = $1 AND id_digest = decode($2, 'hex')", userID, handle.lowercased())
                .affectedRows > 0
        }
    }

    public func secondFactor(userID: Int64) async throws -> SecondFactorStatus {
        try await pool.storeConnection { conn in
            let row = try conn.query("""
                SELECT totp_enabled_at,
                       (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS left
                FROM users WHERE id = $1
                """, userID).first
            return SecondFactorStatus(enabledAt: try row?.decode(column: "totp_enabled_at"),
                                      recoveryCodesLeft: try row?.decode(Int.self, column: "left") ?? 0)
        }
    }

    public func beginTOTP(userID: Int64, sealedSecret: [UInt8]) async throws {
        try await pool.storeConnection { conn in
            // Only while not enabled: enrolling again needs removing first.
            try conn.query("""
                UPDATE users SET totp_secret_sealed = $2, totp_last_step = NULL WHERE id = $1 AND totp_enabled_at IS NULL
                """, userID, sealedSecret)
        }
    }

    public func totpSecret(userID: Int64) async throws -> (sealed: [UInt8], enabled: Bool, lastStep: Int64?)? {
        try await pool.storeConnection { conn in
            guard let row = try conn.query("""
                SELECT totp_secret_sealed, totp_enabled_at IS NOT NULL AS enabled, totp_last_step FROM users
                WHERE id = $1 AND totp_secret_sealed IS NOT NULL
                """, userID).first else { return nil }
            return (try row.decode(column: "totp_secret_sealed"), try row.decode(column: "enabled"), try row.decode(column: "totp_last_step"))
        }
    }

    public func useTOTP(userID: Int64, step: Int64, enable: Bool, recoveryCodeDigests: [[UInt8]], now: Date) async throws -> Bool {
        try await pool.storeTransaction { conn in
            // The step check is in the UPDATE, so two requests with one code cannot both pass.
            let used = try conn.query("""
                UPDATE users SET totp_last_step = $2, totp_enabled_at = CASE WHEN $3 THEN coalesce(totp_enabled_at, $4) ELSE totp_enabled_at END
                WHERE id = $1 AND totp_secret_sealed IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)
                  AND ($3 OR totp_enabled_at IS NOT NULL)
                """, [userID, step, enable, now]).affectedRows > 0
            guard used else { return false }
            if !recoveryCodeDigests.isEmpty {
                try conn.query("DELETE FROM recovery_codes WHERE user_id = $1", userID)
                for digest in recoveryCodeDigests {
                    try conn.query("INSERT INTO recovery_codes (user_id, code_digest, created_at) VALUES ($1, $2, $3)", userID, digest, now)
                }
            }
            return true
        }
    }

    public func useRecoveryCode(userID: Int64, digest: [UInt8], now: Date) async throws -> Bool {
        try await pool.storeConnection { conn in
            try conn.query("""
                UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_digest = $2 AND used_at IS NULL
                """, userID, digest, now).affectedRows > 0
        }
    }

    public func removeTOTP(userID: Int64) async throws {
        try await pool.storeTransaction { conn in
            try conn.query("""
                UPDATE users SET totp_secret_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1
                """, userID)
            try conn.query("DELETE FROM recovery_codes WHERE user_id = $1", userID)
        }
    }

    public func consoleState(sessionID: String) async throws -> (secondFactorAt: Date?, consoleSeenAt: Date?) {
        try await pool.storeConnection { conn in
            let row = try conn.query("SELECT second_factor_at, console_seen_at FROM sessions WHERE id_digest = $1",
                                     SecretToken.digest(of: sessionID)).first
            return (try row?.decode(column: "second_factor_at"), try row?.decode(column: "console_seen_at"))
        }
    }

    public func markSecondFactor(sessionID: String, now: Date) async throws {
        try await pool.storeConnection { conn in
            try conn.query("UPDATE sessions SET second_factor_at = $2, console_seen_at = $2 WHERE id_digest = $1",
                           SecretToken.digest(of: sessionID), now)
        }
    }

    public func touchConsole(sessionID: String, now: Date) async throws {
        try await pool.storeConnection { conn in
            try conn.query("UPDATE sessions SET console_seen_at = $2 WHERE id_digest = $1", SecretToken.digest(of: sessionID), now)
        }
    }

    public func reauthenticated(sessionID: String, now: Date) async throws {
        try await pool.storeConnection { conn in
            try conn.query("UPDATE sessions SET auth_time = $2 WHERE id_digest = $1", SecretToken.digest(of: sessionID), now)
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation
import GatehouseCore
import PGClient

/// Writes a `DjangoImport.Plan` into Gatehouse's tables in one transaction:
/// all or nothing. A dry run does the same work and rolls it back, so its
/// counts are exactly what a real run would do.
///
/// Users and clients are matched by `sub` and `client_id` and brought up to
/// date; keys, consents and tokens are remembered in `imported_records`, so
/// a second run neither duplicates them nor brings back what has since been
/// rotated, withdrawn, revoked or swept here.
public struct PGImportStore: Sendable {
    let pool: WorkerPool
    let box: SecretBox

    public init(pool: WorkerPool, box: SecretBox) {
        self.pool = pool
        self.box = box
    }

    private struct DryRun: Error {
        let report: ImportReport
    }

    public func write(_ plan: DjangoImport.Plan, dryRun: Bool, now: Date) async throws -> ImportReport {
        let box = self.box
        do {
            return try await pool.storeTransaction { conn in
                // One import at a time, and no key rotation in between.
                try conn.query("SELECT pg_advisory_xact_lock($1)", Self.importLock)
                try conn.query("SELECT pg_advisory_xact_lock($1)", PGSigningKeyStore.keysLock)
                var writer = Writer(conn: conn, box: box, now: now, report: ImportReport(dryRun: dryRun))
                writer.report.notCarriedOver = plan.notCarriedOver
                try writer.users(plan.users)
                try writer.clients(plan.clients)
                try writer.keys(plan.keys)
                try writer.consents(plan.consents)
                try writer.tokens(plan.tokens)
                if dryRun { throw DryRun(report: writer.report) }
                return writer.report
            }
        } catch let rolledBack as DryRun {
            return rolledBack.report
        }
    }

    static let importLock: Int64 = 0x6761_7465_696D_7074

    private struct Writer {
        let conn: PGConnection
        let box: SecretBox
        let now: Date
        var report: ImportReport
        var userIDs: [String: Int64] = [:]
        var clientIDs: [String: Int64] = [:]

        // MARK: users

        static let userColumns = """
            subject, username, password_hash, password_reset_required, name, given_name, family_name, email,
            is_active, created_at, last_login_at
            """

        static func userRecord(_ row: PGRow) throws -> DjangoImport.UserRecord {
            DjangoImport.UserRecord(
                subject: try row.decode(column: "subject"), username: try row.decode(column: "username"),
                passwordHash: try row.decode(column: "password_hash"),
                passwordResetRequired: try row.decode(column: "password_reset_required"),
                name: try row.decode(column: "name"), givenName: try row.decode(column: "given_name"),
                familyName: try row.decode(column: "family_name"), email: try row.decode(column: "email"),
                isActive: try row.decode(column: "is_active"), createdAt: try row.decode(column: "created_at"),
                lastLoginAt: try row.decode(column: "last_login_at"))
        }

        mutating func users(_ records: [DjangoImport.UserRecord]) throws {
            for incoming in records {
                let existingRow = try conn.query("SELECT id, \(Self.userColumns) FROM users WHERE subject = $1", incoming.subject).first
                let holder = try conn.query("SELECT subject FROM users WHERE lower(username) = lower($1)", incoming.username)
                    .first.map { try $0.decode(String.self, at: 0) }
                if let holder, holder != incoming.subject {
                    report.notCarriedOver.append(.init(kind: .users, item: incoming.username,
                        reason: "the username belongs to another user here (sub \(holder))"))
                    continue
                }
                let u: DjangoImport.UserRecord
                if let existingRow {
                    let existing = try Self.userRecord(existingRow)
                    u = DjangoImport.merge(existing: existing, incoming: incoming)
                    let id: Int64 = try existingRow.decode(column: "id")
                    userIDs[u.subject] = id
                    guard u != existing else { report.count(.users, .unchanged); continue }
                    try conn.query("""
                        UPDATE users SET username = $2, password_hash = $3, password_reset_required = $4, name = $5,
                            given_name = $6, family_name = $7, email = $8, is_active = $9, created_at = $10,
                            last_login_at = $11, updated_at = $12
                        WHERE id = $1
                        """, [id, u.username, u.passwordHash, u.passwordResetRequired, u.name, u.givenName, u.familyName,
                              u.email, u.isActive, u.createdAt, u.lastLoginAt, now])
                    if !u.isActive && existing.isActive { try PGUserStore.endSessionsAndRevokeGrants(userID: id, now: now, conn: conn) }
                    report.count(.users, .updated)
                } else {
                    u = incoming
                    userIDs[u.subject] = try conn.query("""
                        INSERT INTO users (\(Self.userColumns), updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id
                        """, [u.subject, u.username, u.passwordHash, u.passwordResetRequired, u.name, u.givenName,
                              u.familyName, u.email, u.isActive, u.createdAt, u.lastLoginAt, now]).first!.decode(Int64.self, at: 0)
                    report.count(.users, .created)
                }
            }
        }

        // MARK: clients

        /// What decides whether a stored client already matches the import.
        struct ClientFields: Equatable {
            var name: String, kind: String, redirectURIs: [String], postLogoutRedirectURIs: [String]
            var responseTypes: [String], grantTypes: [String], scopes: [String]
            var requireConsent: Bool, reuseConsent: Bool, authMethod: String?, algorithm: String
            var secretDigest: [UInt8]?, links: ClientLinks, resourceServer: Bool, format: String
        }

        mutating func clients(_ records: [DjangoImport.ClientRecord]) throws {
            for record in records {
                let r = record.registration
                let digest = record.secret.map(SecretToken.digest(of:))
                let incoming = ClientFields(
                    name: r.name, kind: r.kind.rawValue, redirectURIs: r.redirectURIs,
                    postLogoutRedirectURIs: r.postLogoutRedirectURIs, responseTypes: r.responseTypes,
                    grantTypes: r.grantTypes, scopes: r.scopes, requireConsent: r.requireConsent,
                    reuseConsent: r.reuseConsent, authMethod: r.tokenEndpointAuthMethod,
                    algorithm: r.signingAlgorithm.rawValue, secretDigest: digest, links: record.links,
                    resourceServer: false, format: AccessTokenFormat.opaque.rawValue)
                let row = try conn.query("""
                    SELECT \(PGRelyingPartyStore.columns), secret_digest FROM clients WHERE client_id = $1
                    """, record.clientID).first
                var sealed: [UInt8]?
                if let row {
                    let stored = try PGRelyingPartyStore.client(from: row)
                    let storedDigest: [UInt8]? = try row.decode(column: "secret_digest")
                    let existing = ClientFields(
                        name: stored.name, kind: stored.kind.rawValue, redirectURIs: stored.redirectURIs,
                        postLogoutRedirectURIs: stored.postLogoutRedirectURIs,
                        responseTypes: stored.responseTypes.map(\.rawValue), grantTypes: stored.grantTypes.map(\.rawValue),
                        scopes: stored.scopes, requireConsent: stored.requireConsent, reuseConsent: stored.reuseConsent,
                        authMethod: stored.tokenEndpointAuthMethod, algorithm: stored.idTokenAlgorithm.rawValue,
                        secretDigest: storedDigest, links: stored.links, resourceServer: stored.isResourceServer,
                        format: stored.accessTokenFormat.rawValue)
                    clientIDs[record.clientID] = stored.id
                    // Sealing draws a new nonce: keep the sealed secret when the secret is the same.
                    let keepSealed = storedDigest == digest && stored.sealedSecret != nil
                    sealed = r.signingAlgorithm == .hs256
                        ? (keepSealed ? stored.sealedSecret : try record.secret.map { try box.seal(Array($0.utf8)) })
                        : nil
                    guard incoming != existing || sealed != stored.sealedSecret else {
                        report.count(.clients, .unchanged)
                        continue
                    }
                    try conn.query("""
                        UPDATE clients SET secret_digest = $2, name = $3, client_type = $4, redirect_uris = $5,
                            post_logout_redirect_uris = $6, response_types = $7, grant_types = $8, scopes = $9,
                            require_consent = $10, reuse_consent = $11, token_endpoint_auth_method = $12,
                            id_token_signed_response_alg = $13, secret_sealed = $14, is_resource_server = false,
                            access_token_format = 'opaque', client_uri = $15, tos_uri = $16, logo_uri = $17,
                            contact_email = $18,
                            secret_rotated_at = CASE WHEN secret_digest IS DISTINCT FROM $2 THEN $19 ELSE secret_rotated_at END
                        WHERE id = $1
                        """, Self.clientParameters(stored.id, record, digest: digest, sealed: sealed) + [now])
                    report.count(.clients, .updated)
                } else {
                    sealed = r.signingAlgorithm == .hs256 ? try record.secret.map { try box.seal(Array($0.utf8)) } : nil
                    clientIDs[record.clientID] = try conn.query("""
                        INSERT INTO clients (client_id, secret_digest, name, client_type, redirect_uris,
                            post_logout_redirect_uris, response_types, grant_types, scopes, require_consent,
                            reuse_consent, token_endpoint_auth_method, id_token_signed_response_alg, secret_sealed,
                            client_uri, tos_uri, logo_uri, contact_email, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                        RETURNING id
                        """, Self.clientParameters(record.clientID, record, digest: digest, sealed: sealed)
                            + [record.createdAt ?? now]).first!.decode(Int64.self, at: 0)
                    report.count(.clients, .created)
                }
            }
        }

        static func clientParameters(_ key: any PGEncodable, _ record: DjangoImport.ClientRecord, digest: [UInt8]?,
                                     sealed: [UInt8]?) -> [any PGEncodable] {
            let r = record.registration
            return [key, digest, r.name, r.kind.rawValue, PGTextArray(r.redirectURIs),
                    PGTextArray(r.postLogoutRedirectURIs), PGTextArray(r.responseTypes), PGTextArray(r.grantTypes),
                    PGTextArray(r.scopes), r.requireConsent, r.reuseConsent, r.tokenEndpointAuthMethod,
                    r.signingAlgorithm.rawValue, sealed, record.links.clientURI, record.links.tosURI,
                    record.links.logoURI, record.links.contactEmail]
        }

        // MARK: remembered records

        func remembered(_ kind: ImportReport.Kind, _ key: String) throws -> Bool {
            try conn.query("SELECT 1 FROM imported_records WHERE source = $1 AND kind = $2 AND source_key = $3",
                           DjangoImport.source, kind.rawValue, key).first != nil
        }

        func remember(_ kind: ImportReport.Kind, _ key: String) throws {
            try conn.query("""
                INSERT INTO imported_records (source, kind, source_key, imported_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING
                """, [DjangoImport.source, kind.rawValue, key, now])
        }

        // MARK: keys

        mutating func keys(_ records: [DjangoImport.KeyRecord]) throws {
            for key in records {
                let present = try conn.query("SELECT 1 FROM signing_keys WHERE kid = $1", key.kid).first != nil
                if try remembered(.signingKeys, key.kid) || present {
                    try remember(.signingKeys, key.kid)
                    report.count(.signingKeys, .unchanged)
                    continue
                }
                let material: SigningKeyMaterial
                do {
                    material = try SigningKeyMaterial(importedRSAPEM: key.pem, kid: key.kid, sealingWith: box)
                } catch {
                    report.notCarriedOver.append(.init(kind: .signingKeys, item: key.kid,
                        reason: "the PEM text is not an RSA private key of at least 2048 bits this server can use"))
                    continue
                }
                if key.signs {
                    // The key django-oidc-provider signs with signs here too, until rotation replaces it.
                    try conn.query("""
                        UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE algorithm = 'RS256' AND state = 'active'
                        """, now)
                    try PGSigningKeyStore.insert(material, state: .active, now: now, conn: conn)
                } else {
                    // Published (django-oidc-provider publishes every key) but never used to sign.
                    try PGSigningKeyStore.insert(material, state: .retired, now: now, conn: conn)
                    try conn.query("UPDATE signing_keys SET retired_at = $2 WHERE kid = $1", key.kid, now)
                }
                try remember(.signingKeys, key.kid)
                report.count(.signingKeys, .created)
            }
        }

        // MARK: consents

        mutating func consents(_ records: [DjangoImport.ConsentRecord]) throws {
            for consent in records {
                guard let userID = userIDs[consent.subject], let clientID = clientIDs[consent.clientID] else {
                    report.notCarriedOver.append(.init(kind: .consents, item: "\(consent.subject) for \(consent.clientID)",
                        reason: "its user was not carried over"))
                    continue
                }
                if try remembered(.consents, consent.sourceKey) {
                    report.count(.consents, .unchanged)
                    continue
                }
                let inserted = try conn.query("""
                    INSERT INTO consents (user_id, client_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (user_id, client_id) DO UPDATE
                        SET scopes = EXCLUDED.scopes, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                    RETURNING (xmax = 0) AS inserted
                    """, [userID, clientID, PGTextArray(consent.scopes), consent.createdAt, consent.expiresAt])
                    .first!.decode(Bool.self, at: 0)
                try remember(.consents, consent.sourceKey)
                report.count(.consents, inserted ? .created : .updated)
            }
        }

        // MARK: tokens

        mutating func tokens(_ records: [DjangoImport.TokenRecord]) throws {
            for token in records {
                guard let clientID = clientIDs[token.clientID] else { continue }
                var userID: Int64?
                if let subject = token.subject {
                    guard let id = userIDs[subject] else {
                        report.notCarriedOver.append(.init(kind: .accessTokens, item: "a token of \(subject) for \(token.clientID)",
                            reason: "its user was not carried over"))
                        continue
                    }
                    userID = id
                }
                if try remembered(.accessTokens, token.sourceKey) {
                    if token.accessToken != nil { report.count(.accessTokens, .unchanged) }
                    if token.refreshToken != nil { report.count(.refreshTokens, .unchanged) }
                    continue
                }
                let grantID = try conn.query("""
                    INSERT INTO grants (client_id, user_id, scopes, auth_time, created_at, expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                    """, [clientID, userID, PGTextArray(token.scopes), token.authTime, now, token.grantExpiresAt])
                    .first!.decode(Int64.self, at: 0)
                if let access = token.accessToken {
                    let added = try conn.query("""
                        INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                        """, [SecretToken.digest(of: access), grantID, PGTextArray(token.scopes), now, token.accessExpiresAt])
                        .affectedRows > 0
                    report.count(.accessTokens, added ? .created : .unchanged)
                }
                if let refresh = token.refreshToken, let expires = token.refreshExpiresAt {
                    let added = try conn.query("""
                        INSERT INTO refresh_tokens (token_digest, grant_id, scopes, created_at, expires_at)
                        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                        """, [SecretToken.digest(of: refresh), grantID, PGTextArray(token.scopes), now, expires])
                        .affectedRows > 0
                    report.count(.refreshTokens, added ? .created : .unchanged)
                }
                try remember(.accessTokens, token.sourceKey)
            }
        }
    }
}

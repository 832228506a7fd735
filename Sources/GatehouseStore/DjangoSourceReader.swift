import Foundation
import GatehouseCore
import PGClient

/// Reads a django-oidc-provider 0.8/0.9 database (its `oidc_provider_*`
/// tables and Django's `auth_user`) in one read-only snapshot. It never
/// writes there: the source stays as it was, for a rollback.
public struct DjangoSourceReader: Sendable {
    /// Where each user's `sub` comes from.
    public enum Subjects: Sendable {
        /// `str(user.id)`, django-oidc-provider's default.
        case userID
        /// A column of `auth_user` (a project's own OIDC_IDTOKEN_SUB_GENERATOR).
        case column(String)
        /// `django_user_id,sub` lines; users not listed keep `str(id)`.
        case map([Int64: String])
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let description: String
    }

    let conninfo: String
    let subjects: Subjects

    public init(conninfo: String, subjects: Subjects = .userID) {
        self.conninfo = conninfo
        self.subjects = subjects
    }

    /// Reads on a Dispatch thread: libpq blocks.
    public func read() async throws -> DjangoSource {
        try await OffThreadWork.run { try readBlocking() }
    }

    func readBlocking() throws -> DjangoSource {
        let conn: PGConnection
        do {
            conn = try PGConnection(conninfo: conninfo, applicationName: "gatehouse import")
        } catch {
            throw Unreadable(description: "cannot connect to the django-oidc-provider database: \(error)")
        }
        defer { conn.close() }
        try conn.executeScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { try? conn.executeScript("ROLLBACK") }
        let missing = try conn.query("""
            SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL ORDER BY t
            """, [PGTextArray(Self.tables)]).rows.map { try $0.decode(String.self, at: 0) }
        guard missing.isEmpty else {
            throw Unreadable(description: "not a django-oidc-provider 0.8/0.9 database: missing \(missing.joined(separator: ", "))")
        }
        return DjangoSource(users: try users(conn), clients: try clients(conn), keys: try keys(conn),
                            consents: try consents(conn), tokens: try tokens(conn),
                            codeCount: try conn.query("SELECT count(*) FROM oidc_provider_code").first!.decode(Int.self, at: 0))
    }

    static let tables = [
        "auth_user", "oidc_provider_client", "oidc_provider_client_response_types", "oidc_provider_responsetype",
        "oidc_provider_rsakey", "oidc_provider_userconsent", "oidc_provider_token", "oidc_provider_code",
    ]

    /// A column name that may be spliced into SQL: lower-case identifier characters only.
    public static func isPlainColumnName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 63 else { return false }
        return (first == "_" || ("a"..."z").contains(first))
            && name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    func users(_ conn: PGConnection) throws -> [DjangoSource.User] {
        var subjectSQL = "id::text"
        if case .column(let name) = subjects {
            guard Self.isPlainColumnName(name) else {
                throw Unreadable(description: "--sub-column must be a plain column name (a-z, 0-9, _), got '\(name)'")
            }
            let exists = try conn.query("""
                SELECT 1 FROM information_schema.columns
                WHERE table_name = 'auth_user' AND column_name = $1 AND table_schema = ANY (current_schemas(false))
                """, name).first != nil
            guard exists else { throw Unreadable(description: "auth_user has no column '\(name)' (--sub-column)") }
            subjectSQL = "coalesce(\"\(name)\"::text, '')"
        }
        return try conn.query("""
            SELECT id, \(subjectSQL) AS subject, username, password, email, first_name, last_name, is_active,
                   date_joined, last_login
            FROM auth_user ORDER BY id
            """).rows.map { row in
            let id: Int64 = try row.decode(column: "id")
            var subject: String = try row.decode(column: "subject")
            if case .map(let map) = subjects, let mapped = map[id] { subject = mapped }
            return DjangoSource.User(
                id: id, subject: subject, username: try row.decode(column: "username"),
                passwordHash: try row.decode(column: "password"), email: try row.decode(column: "email"),
                firstName: try row.decode(column: "first_name"), lastName: try row.decode(column: "last_name"),
                isActive: try row.decode(column: "is_active"), dateJoined: try row.decode(column: "date_joined"),
                lastLogin: try row.decode(column: "last_login"))
        }
    }

    func clients(_ conn: PGConnection) throws -> [DjangoSource.Client] {
        try conn.query("""
            SELECT c.id, c.client_id, c.client_secret, c.name, c.client_type, c._redirect_uris,
                   c._post_logout_redirect_uris, c.jwt_alg, c.require_consent, c.reuse_consent, c._scope,
                   coalesce(c.website_url, '') AS website_url, coalesce(c.terms_url, '') AS terms_url,
                   coalesce(c.contact_email, '') AS contact_email, coalesce(c.logo, '') AS logo,
                   c.date_created::timestamptz AS date_created,
                   coalesce(array_agg(rt.value ORDER BY rt.id) FILTER (WHERE rt.value IS NOT NULL), '{}') AS response_types
            FROM oidc_provider_client c
            LEFT JOIN oidc_provider_client_response_types crt ON crt.client_id = c.id
            LEFT JOIN oidc_provider_responsetype rt ON rt.id = crt.responsetype_id
            GROUP BY c.id ORDER BY c.id
            """).rows.map { row in
            DjangoSource.Client(
                id: try row.decode(column: "id"), clientID: try row.decode(column: "client_id"),
                secret: try row.decode(column: "client_secret"), name: try row.decode(column: "name"),
                clientType: try row.decode(column: "client_type"),
                redirectURIs: Self.lines(try row.decode(column: "_redirect_uris")),
                postLogoutRedirectURIs: Self.lines(try row.decode(column: "_post_logout_redirect_uris")),
                responseTypes: try row.decode(PGTextArray.self, column: "response_types").elements,
                jwtAlgorithm: try row.decode(column: "jwt_alg"),
                requireConsent: try row.decode(column: "require_consent"),
                reuseConsent: try row.decode(column: "reuse_consent"),
                scopes: Self.words(try row.decode(column: "_scope")),
                websiteURL: try row.decode(column: "website_url"), termsURL: try row.decode(column: "terms_url"),
                contactEmail: try row.decode(column: "contact_email"), logo: try row.decode(column: "logo"),
                dateCreated: try row.decode(column: "date_created"))
        }
    }

    func keys(_ conn: PGConnection) throws -> [DjangoSource.Key] {
        try conn.query("SELECT id, key FROM oidc_provider_rsakey ORDER BY id").rows.map { row in
            DjangoSource.Key(id: try row.decode(column: "id"), pem: try row.decode(column: "key"))
        }
    }

    func consents(_ conn: PGConnection) throws -> [DjangoSource.Consent] {
        try conn.query("""
            SELECT user_id, client_id, _scope, date_given, expires_at FROM oidc_provider_userconsent ORDER BY id
            """).rows.map { row in
            DjangoSource.Consent(
                userID: try row.decode(column: "user_id"), clientID: try row.decode(column: "client_id"),
                scopes: Self.words(try row.decode(column: "_scope")), dateGiven: try row.decode(column: "date_given"),
                expiresAt: try row.decode(column: "expires_at"))
        }
    }

    func tokens(_ conn: PGConnection) throws -> [DjangoSource.Token] {
        try conn.query("""
            SELECT id, user_id, client_id, access_token, refresh_token, _scope, expires_at
            FROM oidc_provider_token ORDER BY id
            """).rows.map { row in
            DjangoSource.Token(
                id: try row.decode(column: "id"), userID: try row.decode(column: "user_id"),
                clientID: try row.decode(column: "client_id"), accessToken: try row.decode(column: "access_token"),
                refreshToken: try row.decode(column: "refresh_token"),
                scopes: Self.words(try row.decode(column: "_scope")), expiresAt: try row.decode(column: "expires_at"))
        }
    }

    /// django-oidc-provider keeps URI lists newline-separated.
    static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// …and scopes space-separated.
    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init)
    }
}

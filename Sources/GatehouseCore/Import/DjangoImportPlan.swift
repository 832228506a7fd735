import Crypto
import Foundation

/// How a django-oidc-provider deployment's data becomes Gatehouse's: every
/// rule of `gatehouse import django-oidc-provider`, with no database in
/// sight. The store reads `DjangoSource`, asks `plan`, and writes the plan.
public enum DjangoImport {
    /// The `source` under which `imported_records` remembers this import.
    public static let source = "django-oidc-provider"

    public struct Options: Sendable {
        public var now: Date
        /// Imported refresh tokens live this long from the import
        /// (`OIDC_REFRESH_TOKEN_EXPIRE`): django-oidc-provider's never expire.
        public var refreshTokenLifetime: Duration
        /// Django's MEDIA_URL, to turn a client's `logo` path into a URL.
        public var mediaURL: String?
        public var redirectPolicy: RedirectURIPolicy
        /// The operator's own scopes (`gatehouse scope create`), the
        /// counterpart of OIDC_EXTRA_SCOPE_CLAIMS: django-oidc-provider lets
        /// every client ask for them, so imported clients may too.
        public var definedScopes: [String]

        public init(now: Date, refreshTokenLifetime: Duration, mediaURL: String? = nil,
                    redirectPolicy: RedirectURIPolicy = RedirectURIPolicy(allowsInsecureHTTP: false),
                    definedScopes: [String] = []) {
            self.now = now
            self.refreshTokenLifetime = refreshTokenLifetime
            self.mediaURL = mediaURL
            self.redirectPolicy = redirectPolicy
            self.definedScopes = definedScopes
        }
    }

    public struct UserRecord: Sendable, Equatable {
        public var subject: String
        public var username: String
        public var passwordHash: String
        /// The hash cannot be verified here: an operator sets a new password.
        public var passwordResetRequired: Bool
        public var name: String?
        public var givenName: String?
        public var familyName: String?
        public var email: String?
        public var isActive: Bool
        public var createdAt: Date
        public var lastLoginAt: Date?

        public init(subject: String, username: String, passwordHash: String, passwordResetRequired: Bool,
                    name: String?, givenName: String?, familyName: String?, email: String?, isActive: Bool,
                    createdAt: Date, lastLoginAt: Date?) {
            self.subject = subject
            self.username = username
            self.passwordHash = passwordHash
            self.passwordResetRequired = passwordResetRequired
            self.name = name
            self.givenName = givenName
            self.familyName = familyName
            self.email = email
            self.isActive = isActive
            self.createdAt = createdAt
            self.lastLoginAt = lastLoginAt
        }
    }

    public struct ClientRecord: Sendable {
        public var clientID: String
        /// Validated: what reaches the store is a client Gatehouse can serve.
        public var registration: ClientRegistration
        /// The plain secret, kept only until the store digests (and, for HS256, seals) it.
        public var secret: String?
        public var links: ClientLinks
        public var createdAt: Date?
    }

    public struct KeyRecord: Sendable, Equatable {
        /// django-oidc-provider's `kid`: the MD5 of the PEM text.
        public var kid: String
        public var pem: String
        /// The key django-oidc-provider signs with (its first): active here too.
        public var signs: Bool
    }

    public struct ConsentRecord: Sendable, Equatable {
        public var subject: String
        public var clientID: String
        public var scopes: [String]
        public var createdAt: Date
        public var expiresAt: Date
        /// Names this consent as given in Django, for `imported_records`.
        public var sourceKey: String
    }

    public struct TokenRecord: Sendable, Equatable {
        /// The Django row and its access token's digest, for `imported_records`.
        public var sourceKey: String
        /// Nil for client_credentials tokens.
        public var subject: String?
        public var clientID: String
        /// Nil when it had already expired: only its refresh token comes over.
        public var accessToken: String?
        public var accessExpiresAt: Date
        public var refreshToken: String?
        public var refreshExpiresAt: Date?
        public var scopes: [String]
        public var authTime: Date?

        /// When everything in the grant has expired.
        public var grantExpiresAt: Date { max(accessExpiresAt, refreshExpiresAt ?? accessExpiresAt) }
    }

    public struct Plan: Sendable {
        public var users: [UserRecord] = []
        public var clients: [ClientRecord] = []
        public var keys: [KeyRecord] = []
        public var consents: [ConsentRecord] = []
        public var tokens: [TokenRecord] = []
        public var notCarriedOver: [ImportReport.Item] = []
    }

    /// Everything that can come over, and every item that cannot, with why.
    public static func plan(_ source: DjangoSource, options: Options) -> Plan {
        var plan = Plan()
        var subjects: [Int64: String] = [:]
        var seenUsernames: [String: String] = [:]
        var seenSubjects = Set<String>()
        for user in source.users.sorted(by: { $0.id < $1.id }) {
            let item = user.username
            func skip(_ reason: String) { plan.notCarriedOver.append(.init(kind: .users, item: item, reason: reason)) }
            guard isValidSubject(user.subject) else {
                skip("its sub '\(printable(user.subject))' is not 1 to 255 printable ASCII characters (OIDC Core §2)")
                continue
            }
            guard seenSubjects.insert(user.subject).inserted else {
                skip("another user has the same sub '\(user.subject)'")
                continue
            }
            let username = Username.normalized(user.username)
            let folded = username.lowercased()
            if let other = seenUsernames[folded] {
                skip("its username differs only in case from '\(other)', and sign-in here is case-insensitive")
                continue
            }
            do {
                try NewUser(username: username, password: "-").validate()
            } catch {
                skip("\(error)")
                continue
            }
            var email: String? = user.email.isEmpty ? nil : user.email
            if let address = email {
                var probe = NewUser(username: username, password: "-")
                probe.profile.email = address
                if (try? probe.validate()) == nil {
                    plan.notCarriedOver.append(.init(kind: .users, item: item, reason: "email '\(address)' is not an address; imported without it"))
                    email = nil
                }
            }
            let password = password(user.passwordHash)
            if case .mustReset(let why) = password {
                plan.notCarriedOver.append(.init(kind: .users, item: item,
                    reason: "\(why): imported as must reset (`gatehouse user set-password \(username)`)"))
            }
            seenUsernames[folded] = username
            subjects[user.id] = user.subject
            let given = nonEmpty(user.firstName), family = nonEmpty(user.lastName)
            plan.users.append(UserRecord(
                subject: user.subject, username: username, passwordHash: password.storedHash,
                passwordResetRequired: password.mustReset, name: nonEmpty([given, family].compactMap { $0 }.joined(separator: " ")),
                givenName: given, familyName: family, email: email, isActive: user.isActive,
                createdAt: user.dateJoined, lastLoginAt: user.lastLogin))
        }

        var clientIDs: [Int64: String] = [:]
        var grantsByClient: [String: [String]] = [:]
        for django in source.clients.sorted(by: { $0.id < $1.id }) {
            switch client(django, options: options) {
            case .success(let record):
                clientIDs[django.id] = record.clientID
                grantsByClient[record.clientID] = record.registration.grantTypes
                plan.clients.append(record)
                if !django.logo.isEmpty && record.links.logoURI == nil {
                    plan.notCarriedOver.append(.init(kind: .clients, item: django.clientID,
                        reason: "logo '\(django.logo)' is a path under Django's MEDIA_URL; give --media-url to carry it over"))
                }
            case .failure(let skipped):
                plan.notCarriedOver.append(.init(kind: .clients, item: django.clientID, reason: skipped.reason))
            }
        }

        // RFC 9700 §4.15.1: a client_credentials token names its client as `sub`.
        let importedSubjects = Set(plan.users.map(\.subject))
        for client in plan.clients where importedSubjects.contains(client.clientID) {
            plan.notCarriedOver.append(.init(kind: .clients, item: client.clientID,
                reason: "imported, but its client_id equals a user's sub: resource servers must not tell users from clients by sub alone"))
        }

        let firstKey = source.keys.map(\.id).min()
        for key in source.keys.sorted(by: { $0.id < $1.id }) {
            plan.keys.append(KeyRecord(kid: djangoKeyID(pem: key.pem), pem: key.pem, signs: key.id == firstKey))
        }

        for consent in source.consents {
            guard let subject = subjects[consent.userID], let clientID = clientIDs[consent.clientID] else { continue }
            guard consent.expiresAt > options.now else { continue }
            plan.consents.append(ConsentRecord(
                subject: subject, clientID: clientID, scopes: Scopes(consent.scopes).values, createdAt: consent.dateGiven,
                expiresAt: consent.expiresAt,
                sourceKey: "\(subject) \(clientID) \(Int64(consent.dateGiven.timeIntervalSince1970 * 1_000_000))"))
        }
        let skippedConsents = source.consents.count - plan.consents.count
        if skippedConsents > 0 {
            plan.notCarriedOver.append(.init(kind: .consents, item: "\(skippedConsents) consents",
                reason: "expired, or of a user or client not carried over"))
        }

        let lastLogins = Dictionary(source.users.map { ($0.id, $0.lastLogin) }, uniquingKeysWith: { a, _ in a })
        var expired = 0, orphaned = 0
        for token in source.tokens.sorted(by: { $0.id < $1.id }) {
            guard let clientID = clientIDs[token.clientID] else { orphaned += 1; continue }
            var subject: String?
            if let userID = token.userID {
                guard let known = subjects[userID] else { orphaned += 1; continue }
                subject = known
            }
            let access = token.expiresAt > options.now && !token.accessToken.isEmpty ? token.accessToken : nil
            // client_credentials rows carry a refresh token Django never hands out.
            let refreshable = subject != nil && !token.refreshToken.isEmpty
                && (grantsByClient[clientID] ?? []).contains(GrantType.refreshToken.rawValue)
            let refresh = refreshable ? token.refreshToken : nil
            guard access != nil || refresh != nil else { expired += 1; continue }
            plan.tokens.append(TokenRecord(
                sourceKey: "\(token.id) " + SecretToken.digest(of: token.accessToken).prefix(8).map { String(format: "%02x", $0) }.joined(),
                subject: subject, clientID: clientID, accessToken: access, accessExpiresAt: token.expiresAt,
                refreshToken: refresh,
                refreshExpiresAt: refresh == nil ? nil : options.now.addingTimeInterval(options.refreshTokenLifetime.timeInterval),
                scopes: Scopes(token.scopes).values, authTime: token.userID.flatMap { lastLogins[$0] ?? nil }))
        }
        if expired > 0 {
            plan.notCarriedOver.append(.init(kind: .accessTokens, item: "\(expired) tokens",
                reason: "the access token has expired and there is no refresh token to carry over"))
        }
        if orphaned > 0 {
            plan.notCarriedOver.append(.init(kind: .accessTokens, item: "\(orphaned) tokens",
                reason: "their user or client was not carried over"))
        }
        if source.codeCount > 0 {
            plan.notCarriedOver.append(.init(kind: .authorizationCodes, item: "\(source.codeCount) codes",
                reason: "authorization codes live minutes and are not imported; a user mid-sign-in starts again"))
        }
        return plan
    }

    // MARK: - Passwords

    public enum Password: Sendable, Equatable {
        /// A Django PBKDF2 hash Gatehouse verifies (and replaces with scrypt at the first sign-in).
        case verifiable(String)
        case mustReset(String)

        var storedHash: String {
            switch self {
            case .verifiable(let hash): hash
            // Django's own marker of an unusable password: nothing verifies against it.
            case .mustReset: "!"
            }
        }
        var mustReset: Bool { if case .mustReset = self { true } else { false } }
    }

    public static func password(_ hash: String) -> Password {
        if DjangoPasswordHash(hash) != nil { return .verifiable(hash) }
        if hash.isEmpty || hash.hasPrefix("!") { return .mustReset("the password is unusable in Django (none was set)") }
        let algorithm = hash.split(separator: "$", maxSplits: 1).first.map(String.init) ?? ""
        let named = algorithm.count <= 40 && algorithm.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return .mustReset("its password hash \(named ? "'\(algorithm)'" : "format") cannot be verified here")
    }

    /// A second import must not undo what has happened here since the first:
    /// a password set or re-hashed with scrypt in Gatehouse stays, and so
    /// does a later sign-in time.
    public static func merge(existing: UserRecord, incoming: UserRecord) -> UserRecord {
        var merged = incoming
        if PasswordHasher.isNativeHash(existing.passwordHash) {
            merged.passwordHash = existing.passwordHash
            merged.passwordResetRequired = existing.passwordResetRequired
        }
        switch (existing.lastLoginAt, incoming.lastLoginAt) {
        case (let here?, let there?): merged.lastLoginAt = max(here, there)
        case (let here?, nil): merged.lastLoginAt = here
        default: break
        }
        return merged
    }

    // MARK: - Clients

    public struct Skipped: Error, Equatable {
        public let reason: String
    }

    static func client(_ django: DjangoSource.Client, options: Options) -> Result<ClientRecord, Skipped> {
        guard !django.clientID.isEmpty, django.clientID.count <= 255,
              django.clientID.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            return .failure(Skipped(reason: "its client_id is not 1 to 255 visible ASCII characters"))
        }
        guard let kind = Client.Kind(rawValue: django.clientType) else {
            return .failure(Skipped(reason: "unknown client type '\(printable(django.clientType))'"))
        }
        if kind == .confidential && django.secret.isEmpty {
            return .failure(Skipped(reason: "a confidential client without a secret cannot authenticate"))
        }
        let name = django.name.trimmingCharacters(in: .whitespacesAndNewlines)
        var registration = ClientRegistration(name: name.isEmpty ? django.clientID : String(name.prefix(200)),
                                              redirectURIs: django.redirectURIs)
        registration.postLogoutRedirectURIs = django.postLogoutRedirectURIs
        registration.kind = kind
        // Every django-oidc-provider client may use the code flow and refresh;
        // its `_scope` is what client_credentials may ask for.
        var grants: [String] = []
        if !django.redirectURIs.isEmpty { grants += [GrantType.authorizationCode.rawValue, GrantType.refreshToken.rawValue] }
        if kind == .confidential && !django.scopes.isEmpty { grants.append(GrantType.clientCredentials.rawValue) }
        guard !grants.isEmpty else {
            return .failure(Skipped(reason: "it has no redirect URI and no scope for client_credentials: nothing could use it"))
        }
        registration.grantTypes = grants
        registration.responseTypes = django.redirectURIs.isEmpty ? [] : django.responseTypes
        registration.scopes = Scopes(ClientRegistration.defaultScopes + options.definedScopes + django.scopes).values
        registration.requireConsent = django.requireConsent
        registration.reuseConsent = django.reuseConsent
        registration.idTokenAlgorithm = django.jwtAlgorithm
        let validated: ClientRegistration
        do {
            validated = try registration.validated(policy: options.redirectPolicy)
        } catch let violation as RedirectURIPolicy.Violation {
            let hint = violation.reason.contains("plain http") ? " (--allow-insecure-redirect carries such URIs over)" : ""
            return .failure(Skipped(reason: "\(violation)\(hint)"))
        } catch {
            return .failure(Skipped(reason: "\(error)"))
        }
        let logo = django.logo.isEmpty ? nil : options.mediaURL.map { base in
            (base.hasSuffix("/") ? base : base + "/") + (django.logo.hasPrefix("/") ? String(django.logo.dropFirst()) : django.logo)
        }
        let links = ClientLinks(clientURI: webURL(django.websiteURL), tosURI: webURL(django.termsURL),
                                logoURI: logo.flatMap(webURL), contactEmail: nonEmpty(django.contactEmail))
        return .success(ClientRecord(clientID: django.clientID, registration: validated,
                                     secret: kind == .confidential ? django.secret : nil, links: links,
                                     createdAt: django.dateCreated))
    }

    // MARK: - Keys

    /// django-oidc-provider publishes `md5(pem).hexdigest()` as the `kid`.
    public static func djangoKeyID(pem: String) -> String {
        Insecure.MD5.hash(data: Data(pem.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Helpers

    static func isValidSubject(_ subject: String) -> Bool {
        (1...255).contains(subject.utf8.count) && subject.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// An http(s) URL a page may link to, or nil.
    static func webURL(_ text: String) -> String? {
        guard let trimmed = nonEmpty(text), trimmed.count <= 2000,
              let components = URLComponents(string: trimmed),
              let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
              components.host?.isEmpty == false
        else { return nil }
        return trimmed
    }

    /// Text safe to quote in a report line: control characters replaced, bounded.
    static func printable(_ text: String) -> String {
        String(String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) }).prefix(80))
    }
}

extension DjangoImport {
    public struct BadSubjectMap: Error, CustomStringConvertible {
        public let description: String
    }

    /// `--sub-map`: one `django_user_id,sub` per line; blank lines and lines
    /// starting with `#` are skipped. A user listed twice is an error.
    public static func subjectMap(csv text: String) throws -> [Int64: String] {
        var map: [Int64: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let id = Int64(fields[0]), isValidSubject(fields[1]) else {
                throw BadSubjectMap(description: "line \(index + 1) is not `django_user_id,sub` (a number, then 1 to 255 printable ASCII characters)")
            }
            guard map.updateValue(fields[1], forKey: id) == nil else {
                throw BadSubjectMap(description: "line \(index + 1) lists user \(id) a second time")
            }
        }
        return map
    }
}

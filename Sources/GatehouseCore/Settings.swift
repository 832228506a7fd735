import Foundation

/// Every setting Gatehouse reads, from the environment, once, at start.
///
/// Names follow django-oidc-provider where it has one (`OIDC_TOKEN_EXPIRE`…).
/// A bad value stops the start with a message naming the variable.
public struct Settings: Sendable, Equatable {
    /// libpq URI or keyword string; nil means the standard `PG*` variables.
    public var databaseURL: String?
    public var issuer: String
    public var port: Int
    /// Access-token lifetime (`OIDC_TOKEN_EXPIRE`, seconds).
    public var tokenExpire: Duration
    /// Authorization-code lifetime (`OIDC_CODE_EXPIRE`, seconds).
    public var codeExpire: Duration
    /// ID-token lifetime (`OIDC_IDTOKEN_EXPIRE`, seconds).
    public var idTokenExpire: Duration
    /// Refresh-token lifetime (`OIDC_REFRESH_TOKEN_EXPIRE`, seconds).
    public var refreshTokenExpire: Duration
    /// How long a remembered consent lasts (`OIDC_SKIP_CONSENT_EXPIRE`, days); zero remembers none.
    public var skipConsentExpire: Duration
    /// A directory whose templates override the built-in pages.
    public var templatesDirectory: String?
    /// Database connections, hence worker threads.
    public var poolSize: Int
    /// How long a request may wait for a database worker before a 503 (`GATEHOUSE_DB_POOL_TIMEOUT`).
    public var poolTimeout: Duration
    /// How long one database statement may run before Postgres cancels it and
    /// the request gets a 503 (`GATEHOUSE_DB_STATEMENT_TIMEOUT`).
    public var statementTimeout: Duration
    /// How long an HTTP connection may send nothing before it is closed
    /// (`GATEHOUSE_IDLE_TIMEOUT`); also ends requests whose sender stalls.
    public var idleTimeout: Duration
    /// Time between expiry sweeps (`OIDC_SWEEP_INTERVAL`, seconds); zero disables them.
    public var sweepInterval: Duration
    /// Rows one sweep DELETE removes (`OIDC_SWEEP_BATCH_SIZE`); smaller batches
    /// disturb live traffic less and delete more slowly.
    public var sweepBatchSize: Int
    /// After each sweep batch, rest this many times as long as the batch took
    /// (`OIDC_SWEEP_PAUSE_RATIO`): the pass then keeps a database backend busy
    /// at most 1 / (1 + ratio) of the time, leaving the rest to requests.
    public var sweepPauseRatio: Double
    /// The pause ratios `OIDC_SWEEP_PAUSE_RATIO` and `gatehouse sweep --pause-ratio` accept.
    public static let sweepPauseRatioRange: ClosedRange<Double> = 0...100
    /// Where the numbered migration files are.
    public var sqlDirectory: String
    /// Seals signing keys at rest and keys CSRF tokens (`GATEHOUSE_SECRET_KEY`).
    public var secretKey: String?
    /// Whether `code_challenge_method=plain` is accepted (`OIDC_PKCE_ALLOW_PLAIN`).
    public var allowPlainPKCE: Bool
    /// Browser session lifetime (`OIDC_SESSION_EXPIRE`, seconds).
    public var sessionExpire: Duration
    /// Failed logins per username or address before a pause (`OIDC_LOGIN_MAX_FAILURES`).
    public var loginMaxFailures: Int
    /// How long a throttled address waits, and an account's first wait (`OIDC_LOGIN_LOCKOUT`, seconds).
    public var loginLockout: Duration
    /// The cap of an account's doubling wait after failed sign-ins (`OIDC_LOGIN_DELAY_MAX`, seconds).
    public var loginDelayMax: Duration
    /// Proxies whose `X-Forwarded-For` is believed (`OIDC_TRUSTED_PROXIES`,
    /// comma-separated CIDRs); empty: the TCP peer is the client.
    public var trustedProxies: [IPNetwork]
    /// The provider's name on its pages (`OIDC_SITE_NAME`).
    public var siteName: String
    /// The shortest password `user create` and `set-password` accept (`OIDC_PASSWORD_MIN_LENGTH`).
    public var passwordMinLength: Int
    /// A separate port for `/metrics`, so it need not be public (`OIDC_METRICS_PORT`); nil serves it on `PORT`.
    public var metricsPort: Int?
    /// `text` or `json` (`LOG_FORMAT`).
    public var logFormat: LogFormat
    /// Whether ID tokens also carry the granted scopes' claims
    /// (`OIDC_IDTOKEN_INCLUDE_CLAIMS`, django-oidc-provider's name).
    public var idTokenIncludeClaims = false
    /// A console session ends after this long without use (`OIDC_ADMIN_SESSION_EXPIRE`, seconds).
    public var adminSessionExpire: Duration = .seconds(900)
    /// How long an audit event is kept before the sweep deletes it (`OIDC_AUDIT_RETENTION_DAYS`).
    public var auditRetention: Duration = .days(365)
    /// How long a signing key signs before the next one takes over (`OIDC_KEY_ROTATION_DAYS`).
    public var keyRotationPeriod: Duration = .days(90)
    /// How long a next key is in `/jwks` before it signs (`OIDC_KEY_PUBLISH_AHEAD`, seconds).
    public var keyPublishAhead: Duration = .seconds(86_400)
    /// How often each replica reloads the keys (and one of them rotates):
    /// a rotation reaches every replica within this.
    public static let keyReloadInterval: Duration = .seconds(30)
    /// The rotation rules these settings make. Propagation covers a
    /// replica's reload and five minutes of clock skew.
    public var keyRotationPolicy: KeyRotation.Policy {
        KeyRotation.Policy(rotationPeriod: keyRotationPeriod, publishAhead: keyPublishAhead,
                           idTokenLifetime: idTokenExpire, propagation: Self.keyReloadInterval + .seconds(300))
    }
    /// trace, debug, info, notice, warning, error or critical (`LOG_LEVEL`).
    public var logLevel: String

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let variable: String
        public let reason: String
        public var description: String { "\(variable) \(reason)" }

        public init(variable: String, reason: String) {
            self.variable = variable
            self.reason = reason
        }
    }

    public static let defaults = Settings(
        databaseURL: nil,
        issuer: "http://localhost:8000",
        port: 8000,
        tokenExpire: .seconds(3600),
        codeExpire: .seconds(600),
        idTokenExpire: .seconds(600),
        refreshTokenExpire: .days(30),
        skipConsentExpire: .days(90),
        templatesDirectory: nil,
        poolSize: 0,
        poolTimeout: .seconds(5),
        statementTimeout: .seconds(10),
        idleTimeout: .seconds(60),
        sweepInterval: .seconds(300),
        sweepBatchSize: 1000,
        sweepPauseRatio: 1,
        sqlDirectory: "sql",
        secretKey: nil,
        allowPlainPKCE: false,
        sessionExpire: .days(1),
        loginMaxFailures: 5,
        loginLockout: .seconds(60),
        loginDelayMax: .seconds(3600),
        trustedProxies: [],
        siteName: "Gatehouse",
        passwordMinLength: 8,
        metricsPort: nil,
        logFormat: .text,
        logLevel: "info"
    )

    /// Reads and validates the settings.
    /// - Parameter environment: defaults to the process environment.
    public static func load(from environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        let reader = EnvironmentReader(environment)
        var s = Settings.defaults
        s.databaseURL = reader.string("DATABASE_URL")
        s.port = try reader.integer("PORT", default: s.port, in: 1...65535)
        s.issuer = try reader.issuer("OIDC_ISSUER", default: "http://localhost:\(s.port)")
        s.tokenExpire = try reader.duration("OIDC_TOKEN_EXPIRE", default: s.tokenExpire, in: 1...31_536_000)
        s.codeExpire = try reader.duration("OIDC_CODE_EXPIRE", default: s.codeExpire, in: 1...3600)
        s.idTokenExpire = try reader.duration("OIDC_IDTOKEN_EXPIRE", default: s.idTokenExpire, in: 1...31_536_000)
        s.refreshTokenExpire = try reader.duration("OIDC_REFRESH_TOKEN_EXPIRE", default: s.refreshTokenExpire, in: 1...315_360_000)
        s.skipConsentExpire = .days(try reader.integer("OIDC_SKIP_CONSENT_EXPIRE", default: s.skipConsentExpire.wholeSeconds / 86_400,
                                                       in: 0...3650))
        s.templatesDirectory = reader.string("OIDC_TEMPLATES_DIR")
        s.poolSize = try reader.integer("GATEHOUSE_DB_POOL_SIZE", default: s.poolSize, in: 0...256)
        s.poolTimeout = try reader.seconds("GATEHOUSE_DB_POOL_TIMEOUT", default: s.poolTimeout)
        s.statementTimeout = try reader.seconds("GATEHOUSE_DB_STATEMENT_TIMEOUT", default: s.statementTimeout)
        s.idleTimeout = try reader.seconds("GATEHOUSE_IDLE_TIMEOUT", default: s.idleTimeout)
        s.sweepInterval = try reader.duration("OIDC_SWEEP_INTERVAL", default: s.sweepInterval, in: 0...86_400)
        s.sweepBatchSize = try reader.integer("OIDC_SWEEP_BATCH_SIZE", default: s.sweepBatchSize, in: 1...1_000_000)
        s.sweepPauseRatio = try reader.number("OIDC_SWEEP_PAUSE_RATIO", default: s.sweepPauseRatio,
                                          in: Settings.sweepPauseRatioRange)
        s.sqlDirectory = reader.string("GATEHOUSE_SQL_DIR") ?? s.sqlDirectory
        s.secretKey = try reader.secretKey()
        s.allowPlainPKCE = try reader.boolean("OIDC_PKCE_ALLOW_PLAIN", default: s.allowPlainPKCE)
        s.sessionExpire = try reader.duration("OIDC_SESSION_EXPIRE", default: s.sessionExpire, in: 60...31_536_000)
        s.loginMaxFailures = try reader.integer("OIDC_LOGIN_MAX_FAILURES", default: s.loginMaxFailures, in: 1...1000)
        s.loginLockout = try reader.duration("OIDC_LOGIN_LOCKOUT", default: s.loginLockout, in: 1...86_400)
        s.loginDelayMax = try reader.duration("OIDC_LOGIN_DELAY_MAX", default: s.loginDelayMax, in: 1...86_400)
        if s.loginDelayMax < s.loginLockout {
            throw Invalid(variable: "OIDC_LOGIN_DELAY_MAX",
                          reason: "must be at least OIDC_LOGIN_LOCKOUT (\(s.loginLockout.wholeSeconds)), got \(s.loginDelayMax.wholeSeconds)")
        }
        if let proxies = reader.string("OIDC_TRUSTED_PROXIES") {
            switch ClientAddress.parseNetworks(proxies) {
            case .success(let networks): s.trustedProxies = networks
            case .failure(let bad):
                throw Invalid(variable: "OIDC_TRUSTED_PROXIES", reason: "must be comma-separated CIDRs such as 10.0.0.0/8, got '\(bad.entry)'")
            }
        }
        s.siteName = reader.string("OIDC_SITE_NAME") ?? s.siteName
        guard s.siteName.count <= 100 else {
            throw Invalid(variable: "OIDC_SITE_NAME", reason: "must be at most 100 characters")
        }
        s.adminSessionExpire = try reader.duration("OIDC_ADMIN_SESSION_EXPIRE", default: s.adminSessionExpire, in: 60...86_400)
        s.auditRetention = .days(try reader.integer("OIDC_AUDIT_RETENTION_DAYS", default: s.auditRetention.wholeSeconds / 86_400,
                                                     in: 1...36_500))
        s.keyRotationPeriod = .days(try reader.integer("OIDC_KEY_ROTATION_DAYS", default: s.keyRotationPeriod.wholeSeconds / 86_400,
                                                       in: 1...3650))
        s.idTokenIncludeClaims = try reader.boolean("OIDC_IDTOKEN_INCLUDE_CLAIMS", default: s.idTokenIncludeClaims)
        s.keyPublishAhead = try reader.duration("OIDC_KEY_PUBLISH_AHEAD", default: s.keyPublishAhead, in: 0...31_536_000)
        s.passwordMinLength = try reader.integer("OIDC_PASSWORD_MIN_LENGTH", default: s.passwordMinLength, in: 1...1024)
        if reader.string("OIDC_METRICS_PORT") != nil {
            s.metricsPort = try reader.integer("OIDC_METRICS_PORT", default: 0, in: 1...65535)
        }
        s.logFormat = LogFormat(rawValue: try reader.choice("LOG_FORMAT", default: s.logFormat.rawValue,
                                                            among: LogFormat.allCases.map(\.rawValue))) ?? .text
        s.logLevel = try reader.choice("LOG_LEVEL", default: s.logLevel,
                                       among: ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        return s
    }

    /// The per-account delay after failed sign-ins.
    public var loginDelay: LoginDelay {
        LoginDelay(freeFailures: loginMaxFailures, baseDelay: loginLockout.wholeSeconds, maximumDelay: loginDelayMax.wholeSeconds)
    }

    /// Whether the issuer is served over https; decides the Secure cookie flag
    /// and whether plain-http redirect URIs are accepted.
    public var issuerIsHTTPS: Bool { issuer.lowercased().hasPrefix("https://") }

    /// The issuer's path without a trailing slash (`/openid`), or "" when it
    /// has none: every route is served under it, and every page links under it.
    public var basePath: String {
        var path = URLComponents(string: issuer)?.path ?? ""
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

private struct EnvironmentReader {
    let environment: [String: String]
    init(_ environment: [String: String]) { self.environment = environment }

    func string(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// `GATEHOUSE_SECRET_KEY`, or the contents of the file `GATEHOUSE_SECRET_KEY_FILE`
    /// names (a container secret), checked by `SecretKeyPolicy`.
    func secretKey() throws -> String? {
        let direct = string("GATEHOUSE_SECRET_KEY")
        var key = direct
        if let path = string("GATEHOUSE_SECRET_KEY_FILE") {
            guard direct == nil else {
                throw Settings.Invalid(variable: "GATEHOUSE_SECRET_KEY_FILE", reason: "cannot be set together with GATEHOUSE_SECRET_KEY; use one")
            }
            guard let data = FileManager.default.contents(atPath: path), data.count <= 4096,
                  let text = String(data: data, encoding: .utf8)
            else {
                throw Settings.Invalid(variable: "GATEHOUSE_SECRET_KEY_FILE", reason: "names a file that cannot be read as text: '\(path)'")
            }
            key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let key else { return nil }
        do {
            try SecretKeyPolicy.check(key)
        } catch {
            throw Settings.Invalid(variable: direct == nil ? "GATEHOUSE_SECRET_KEY_FILE" : "GATEHOUSE_SECRET_KEY", reason: error.reason)
        }
        return key
    }

    func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = string(name) else { return value }
        guard let number = Int(text) else {
            throw Settings.Invalid(variable: name, reason: "must be a whole number, got '\(text)'")
        }
        guard range.contains(number) else {
            throw Settings.Invalid(variable: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func choice(_ name: String, default value: String, among choices: [String]) throws -> String {
        guard let text = string(name)?.lowercased() else { return value }
        guard choices.contains(text) else {
            throw Settings.Invalid(variable: name, reason: "must be one of \(choices.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }

    func boolean(_ name: String, default value: Bool) throws -> Bool {
        guard let text = string(name)?.lowercased() else { return value }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw Settings.Invalid(variable: name, reason: "must be true or false, got '\(text)'")
        }
    }

    /// A number of seconds, fractions allowed, above 0 and at most 600.
    func seconds(_ name: String, default value: Duration) throws -> Duration {
        guard let text = string(name) else { return value }
        guard let number = Double(text), number > 0, number <= 600 else {
            throw Settings.Invalid(variable: name, reason: "must be a number of seconds between 0 and 600, got '\(text)'")
        }
        return .seconds(number)
    }

    /// A whole number of seconds in `range`.
    func duration(_ name: String, default value: Duration, in range: ClosedRange<Int>) throws -> Duration {
        .seconds(try integer(name, default: value.wholeSeconds, in: range))
    }

    func number(_ name: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = string(name) else { return value }
        guard let number = Double(text), range.contains(number) else {
            throw Settings.Invalid(variable: name, reason: "must be a number between \(range.lowerBound.formatted()) and \(range.upperBound.formatted()), got '\(text)'")
        }
        return number
    }

    func issuer(_ name: String, default value: String) throws -> String {
        guard let text = string(name) else { return value }
        // OIDC Core §2: an https URL with scheme and host, no query or fragment.
        // Plain http is accepted for local development.
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil
        else {
            throw Settings.Invalid(variable: name, reason: "must be an http(s) URL without query or fragment, got '\(text)'")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}

/// How log lines are written (`LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// One human-readable line per event.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

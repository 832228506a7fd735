import Foundation

/// One line of the audit log (`audit_events`): who did what to what, from
/// where, with a few details. Never holds a secret: details are names,
/// counts and identifiers, and `AuditEvent.init` drops any detail whose name
/// says it could be one.
public struct AuditEvent: Sendable, Equatable {
    /// Who acted.
    public enum Actor: Sendable, Equatable, CustomStringConvertible {
        /// `gatehouse` on the command line.
        case cli
        /// The server itself (replay detection, key rotation).
        case system
        /// A signed-in user acting on their own account, or an admin in the console.
        case user(String)
        /// Someone not signed in (a failed sign-in).
        case anonymous

        public var description: String {
            switch self {
            case .cli: "cli"
            case .system: "system"
            case .user(let name): "user:\(name)"
            case .anonymous: "anonymous"
            }
        }

        public init(_ text: String) {
            switch text {
            case "cli": self = .cli
            case "system": self = .system
            case "anonymous": self = .anonymous
            default: self = text.hasPrefix("user:") ? .user(String(text.dropFirst(5))) : .anonymous
            }
        }
    }

    /// What happened; the raw values are the log's public vocabulary.
    public enum Action: String, Sendable, CaseIterable {
        case signInSucceeded = "sign-in.succeeded"
        case signInFailed = "sign-in.failed"
        case signInLockedOut = "sign-in.locked-out"
        case userCreated = "user.created"
        case userDeleted = "user.deleted"
        case userPasswordSet = "user.password-set"
        case userDisabled = "user.disabled"
        case userEnabled = "user.enabled"
        case userUnlocked = "user.unlocked"
        case userClaimSet = "user.claim-set"
        case userClaimRemoved = "user.claim-removed"
        case userProfileUpdated = "user.profile-updated"
        case userMadeAdmin = "user.admin-granted"
        case userAdminRemoved = "user.admin-removed"
        case totpEnabled = "user.totp-enabled"
        case totpRemoved = "user.totp-removed"
        case accessWithdrawn = "account.access-withdrawn"
        case sessionEnded = "account.session-ended"
        case consoleEntered = "console.second-factor-passed"
        case consoleSecondFactorFailed = "console.second-factor-failed"
        case clientCreated = "client.created"
        case clientDeleted = "client.deleted"
        case clientUpdated = "client.updated"
        case clientSecretRotated = "client.secret-rotated"
        case scopeCreated = "scope.created"
        case scopeDeleted = "scope.deleted"
        case grantRevokedOnReplay = "grant.revoked-on-code-replay"
        case grantRevokedOnReuse = "grant.revoked-on-refresh-reuse"
        case keyRotated = "key.rotated"
        case keysResealed = "keys.resealed"
        case imported = "import.django-oidc-provider"
    }

    public var occurredAt: Date
    public var actor: Actor
    public var action: Action
    /// `user:alice`, `client:abc…`, `key:kid`; nil when the action has none.
    public var target: String?
    public var clientAddress: String?
    public var details: [String: String]

    /// Detail names that could carry a secret are never stored, whatever a
    /// caller passes: any name with one of these words (`client_secret`,
    /// `refresh_token`); a count such as `access_tokens` is fine.
    static let forbiddenWords: Set<String> = ["secret", "password", "token", "code", "cookie", "hash", "key", "otp", "totp"]

    static func mayHoldSecret(_ name: String) -> Bool {
        name.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " || $0 == "." })
            .contains { forbiddenWords.contains(String($0)) }
    }

    public init(at occurredAt: Date, actor: Actor, action: Action, target: String? = nil, clientAddress: String? = nil,
                details: [String: String] = [:]) {
        self.occurredAt = occurredAt
        self.actor = actor
        self.action = action
        self.target = target
        self.clientAddress = clientAddress
        self.details = details.filter { name, _ in !Self.mayHoldSecret(name) }
    }
}

/// Where audit events are written and read.
public protocol AuditLog: Sendable {
    func record(_ event: AuditEvent) async throws
    /// Newest first.
    func list(_ query: AuditQuery) async throws -> [AuditEvent]
}

/// What `gatehouse audit list` and the console filter by.
public struct AuditQuery: Sendable, Equatable {
    public var since: Date?
    public var until: Date?
    public var actor: String?
    public var action: String?
    public var target: String?
    public var limit: Int

    public init(since: Date? = nil, until: Date? = nil, actor: String? = nil, action: String? = nil,
                target: String? = nil, limit: Int = 200) {
        self.since = since
        self.until = until
        self.actor = actor
        self.action = action
        self.target = target
        self.limit = max(1, min(limit, 10_000))
    }
}

extension AuditQuery {
    public struct BadTime: Error, CustomStringConvertible {
        public let description: String
    }

    /// `--since`/`--until`: an ISO 8601 date (`2026-12-01`, UTC midnight) or
    /// time (`2026-12-01T10:00:00Z`), or an age before `now` (`90m`, `24h`, `7d`).
    public static func time(_ text: String, now: Date) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let unit = trimmed.last, let amount = Int(trimmed.dropLast()), amount >= 0, amount <= 1_000_000 {
            let seconds: Int? = switch unit {
            case "s": amount
            case "m": amount * 60
            case "h": amount * 3600
            case "d": amount * 86_400
            default: nil
            }
            if let seconds { return now.addingTimeInterval(-Double(seconds)) }
        }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: trimmed) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: trimmed) { return date }
        throw BadTime(description: "'\(text)' is neither an ISO 8601 date or time (2026-12-01, 2026-12-01T10:00:00Z) nor an age (90m, 24h, 7d)")
    }
}

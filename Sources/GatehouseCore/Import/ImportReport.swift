import Foundation

/// What an import did: counts per kind and every item it could not carry
/// over, with the reason. Never holds a secret: items are usernames,
/// client_ids and counts.
public struct ImportReport: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case users
        case clients
        case signingKeys = "signing_keys"
        case consents
        case accessTokens = "access_tokens"
        case refreshTokens = "refresh_tokens"
        case authorizationCodes = "authorization_codes"

        var label: String { rawValue.replacingOccurrences(of: "_", with: " ") }
        /// Kinds that are written (codes are only ever reported).
        public static let written: [Kind] = [.users, .clients, .signingKeys, .consents, .accessTokens, .refreshTokens]
    }

    public struct Counts: Sendable, Equatable, Codable {
        public var created = 0
        public var updated = 0
        public var unchanged = 0

        public init(created: Int = 0, updated: Int = 0, unchanged: Int = 0) {
            self.created = created
            self.updated = updated
            self.unchanged = unchanged
        }
    }

    public struct Item: Sendable, Equatable, Codable {
        public var kind: Kind
        public var item: String
        public var reason: String

        public init(kind: Kind, item: String, reason: String) {
            self.kind = kind
            self.item = item
            self.reason = reason
        }
    }

    public enum Outcome: Sendable, Equatable { case created, updated, unchanged }

    public var dryRun: Bool
    public var counts: [Kind: Counts] = [:]
    public var notCarriedOver: [Item] = []

    public init(dryRun: Bool) {
        self.dryRun = dryRun
    }

    public mutating func count(_ kind: Kind, _ outcome: Outcome) {
        var c = counts[kind] ?? Counts()
        switch outcome {
        case .created: c.created += 1
        case .updated: c.updated += 1
        case .unchanged: c.unchanged += 1
        }
        counts[kind] = c
    }

    /// The report for people: a table of counts, then what did not come over.
    public var text: String {
        var lines = [dryRun ? "django-oidc-provider import: dry run, nothing was written" : "django-oidc-provider import: committed"]
        let width = Kind.written.map(\.label.count).max() ?? 0
        for kind in Kind.written {
            let c = counts[kind] ?? Counts()
            let label = kind.label.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(label)  created \(c.created)  updated \(c.updated)  unchanged \(c.unchanged)")
        }
        if notCarriedOver.isEmpty {
            lines.append("everything was carried over")
        } else {
            lines.append("not carried over (\(notCarriedOver.count)):")
            lines += notCarriedOver.map { "  \($0.kind.label) \($0.item): \($0.reason)" }
        }
        return lines.joined(separator: "\n")
    }

    /// `--json`: `{"dry_run":…,"counts":{kind:{created,updated,unchanged}},"not_carried_over":[{kind,item,reason}]}`.
    public var json: String {
        struct Body: Encodable {
            let dry_run: Bool
            let counts: [String: Counts]
            let not_carried_over: [Item]
        }
        let body = Body(dry_run: dryRun,
                        counts: Dictionary(uniqueKeysWithValues: Kind.written.map { ($0.rawValue, counts[$0] ?? Counts()) }),
                        not_carried_over: notCarriedOver)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(body)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

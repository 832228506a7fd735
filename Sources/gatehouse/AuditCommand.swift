import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit log: changes from the command line, sign-ins, lockouts, revocations, key rotations, imports.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit events, newest first.")

        @Option(help: "From this time: 2026-12-01, 2026-12-01T10:00:00Z, or an age such as 24h or 7d.") var since: String?
        @Option(help: "Before this time (same forms as --since).") var until: String?
        @Option(help: "Only this actor: cli, system, anonymous or user:NAME.") var actor: String?
        @Option(help: "Only this action, e.g. sign-in.failed or client.created.") var action: String?
        @Option(help: "Only this target, e.g. user:alice or client:ID.") var target: String?
        @Option(help: "At most this many events (1 to 10000).") var limit = 200
        @Flag(help: "One JSON array of events.") var json = false

        func run() async throws {
            let now = Date()
            let query: AuditQuery
            do {
                query = AuditQuery(since: try since.map { try AuditQuery.time($0, now: now) },
                                   until: try until.map { try AuditQuery.time($0, now: now) },
                                   actor: actor, action: action, target: target, limit: limit)
            } catch let bad as AuditQuery.BadTime {
                throw ValidationError(bad.description)
            }
            if let action, AuditEvent.Action(rawValue: action) == nil {
                throw ValidationError("unknown action '\(action)' (known: \(AuditEvent.Action.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let events = try await CommandContext.with { context in
                try await PGAuditLog(pool: context.pool, retention: context.settings.auditRetention).list(query)
            }
            let time = ISO8601DateFormatter()
            if json {
                let objects = events.map { e -> String in
                    var fields: [String: ClaimValue] = [
                        "time": .string(time.string(from: e.occurredAt)), "actor": .string(e.actor.description),
                        "action": .string(e.action.rawValue),
                        "details": .json(JSONText.object(e.details.mapValues { ClaimValue.string($0) })),
                    ]
                    if let target = e.target { fields["target"] = .string(target) }
                    if let address = e.clientAddress { fields["client_address"] = .string(address) }
                    return JSONText.object(fields)
                }
                print("[" + objects.joined(separator: ",") + "]")
                return
            }
            print(["TIME", "ACTOR", "ACTION", "TARGET", "ADDRESS", "DETAILS"].joined(separator: "\t"))
            for e in events {
                let details = e.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print([time.string(from: e.occurredAt), e.actor.description, e.action.rawValue, e.target ?? "-",
                       e.clientAddress ?? "-", details.isEmpty ? "-" : details].joined(separator: "\t"))
            }
        }
    }
}

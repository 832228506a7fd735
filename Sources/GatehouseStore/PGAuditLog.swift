import Foundation
import GatehouseCore
import PGClient

/// The audit log in Postgres. Each event is one INSERT; `insert(_:conn:)`
/// lets a store write it inside the transaction that made the change, so
/// the change and its record commit or roll back together.
public struct PGAuditLog: AuditLog {
    let pool: WorkerPool
    let retention: Duration

    public init(pool: WorkerPool, retention: Duration) {
        self.pool = pool
        self.retention = retention
    }

    public func record(_ event: AuditEvent) async throws {
        let retention = self.retention
        try await pool.storeConnection { conn in try Self.insert(event, retention: retention, conn: conn) }
    }

    static func insert(_ event: AuditEvent, retention: Duration, conn: PGConnection) throws {
        try conn.query("""
            INSERT INTO audit_events (occurred_at, actor, action, target, client_address, details, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [event.occurredAt, event.actor.description, event.action.rawValue, event.target,
                  event.clientAddress, try PGJSON(encoding: event.details),
                  event.occurredAt.addingTimeInterval(retention.timeInterval)])
    }

    /// Newest first.
    public func list(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await pool.storeConnection { conn in
            try conn.query("""
                SELECT occurred_at, actor, action, target, client_address, details FROM audit_events
                WHERE ($1::timestamptz IS NULL OR occurred_at >= $1)
                  AND ($2::timestamptz IS NULL OR occurred_at < $2)
                  AND ($3::text IS NULL OR actor = $3)
                  AND ($4::text IS NULL OR action = $4)
                  AND ($5::text IS NULL OR target = $5)
                ORDER BY occurred_at DESC, id DESC LIMIT $6
                """, [query.since, query.until, query.actor, query.action, query.target, query.limit]).rows.compactMap { row in
                // A row written by a newer version with an action this one does not know is left out.
                guard let action = AuditEvent.Action(rawValue: try row.decode(column: "action")) else { return nil }
                return AuditEvent(at: try row.decode(column: "occurred_at"), actor: AuditEvent.Actor(try row.decode(column: "actor")),
                                  action: action, target: try row.decode(column: "target"),
                                  clientAddress: try row.decode(column: "client_address"),
                                  details: try row.decode(PGJSON.self, column: "details").decode([String: String].self))
            }
        }
    }
}

import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("What the server writes to the audit log")
struct AuditTrailTests {
    func events(_ op: TestProvider) async throws -> [AuditEvent] {
        try await PGAuditLog(pool: op.pool, retention: .days(1)).list(AuditQuery())
    }

    @Test("a failed sign-in (naming the account only when it exists), a success, and a code replay that revokes the grant")
    func signInsAndReplay() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let page = try await browser.get(op.authorizeURI(client))
                let wrong = try await op.submitLogin(browser, on: page, password: "not the password")
                #expect(wrong.status == .unauthorized)
                let typo = try await op.submitLogin(browser, on: wrong, username: "s3cret-typed-as-username")
                #expect(typo.status == .unauthorized)
                let code = try await op.obtainCode(browser, client)
                #expect(try await op.exchange(browser, code: code, client: client, secret: secret).status == .ok)
                #expect(try await op.exchange(browser, code: code, client: client, secret: secret).status == .badRequest)
            }
            let log = try await events(op).reversed().map { $0 }
            #expect(log.map(\.action) == [.signInFailed, .signInFailed, .signInSucceeded, .grantRevokedOnReplay])
            #expect(log[0].target == "user:alice" && log[0].actor == .anonymous && log[0].details["account"] == "known")
            #expect(log[1].target == nil && log[1].details["account"] == "unknown")
            #expect(log[2].actor == .user("alice") && log[2].clientAddress != nil)
            #expect(log[3].actor == .system && log[3].target == "client:\(client.clientID)")
            #expect(!log.contains { $0.details.values.contains { $0.contains("s3cret") } || ($0.target ?? "").contains("s3cret") })
        }
    }

    @Test("the sweep deletes events older than their retention and keeps the rest")
    func retention() async throws {
        try await TestProvider.with { op in
            let now = Date()
            let old = PGAuditLog(pool: op.pool, retention: .days(30))
            try await old.record(AuditEvent(at: now.addingTimeInterval(-31 * 86_400), actor: .cli, action: .userCreated, target: "user:old"))
            try await old.record(AuditEvent(at: now.addingTimeInterval(-29 * 86_400), actor: .cli, action: .userCreated, target: "user:young"))
            let report = try await ExpirySweeper(pool: op.pool, clock: FixedClock(now)).sweep()
            #expect(report.rows["audit_events"] == 1)
            #expect(try await events(op).map(\.target) == ["user:young"])
        }
    }

    @Test("detail names that could hold a secret are dropped; times as dates, ISO 8601 times or ages")
    func rules() throws {
        let event = AuditEvent(at: Date(), actor: .cli, action: .clientCreated,
                               details: ["name": "RP", "client_secret": "x", "refresh_token": "y", "access_tokens": "3", "password": "z"])
        #expect(event.details == ["name": "RP", "access_tokens": "3"])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try AuditQuery.time("24h", now: now) == now.addingTimeInterval(-86_400))
        #expect(try AuditQuery.time("2026-12-01", now: now) == ISO8601DateFormatter().date(from: "2026-12-01T00:00:00Z"))
        #expect(try AuditQuery.time("2026-12-01T10:00:00Z", now: now) == ISO8601DateFormatter().date(from: "2026-12-01T10:00:00Z"))
        #expect(throws: AuditQuery.BadTime.self) { try AuditQuery.time("yesterday", now: now) }
        #expect(AuditEvent.Actor("user:alice") == .user("alice") && AuditEvent.Actor("cli") == .cli)
    }
}

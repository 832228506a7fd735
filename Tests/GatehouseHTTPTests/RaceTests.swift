import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PGClient
import Testing

/// Requests that race each other for the same row. (Concurrent code
/// redemptions are in TokenEndpointTests, concurrent secret rotations in
/// ClientStoreTests.)
@Suite("races")
struct RaceTests {
    @Test("of 50 concurrent refreshes of one refresh token exactly one wins, and the reuse revokes the grant (strict single use)")
    func concurrentRefreshes() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                let issued = try await op.exchange(browser, code: code, client: client, secret: secret)
                let refreshToken = try #require(issued.json["refresh_token"] as? String)
                let form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken),
                            ("client_id", client.clientID), ("client_secret", secret!)]
                let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, String?).self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            let r = try await op.tokenRequest(Browser(http), form)
                            return (r.status, r.json["error"] as? String, r.json["access_token"] as? String)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let winners = answers.filter { $0.0 == .ok }
                #expect(winners.count == 1)
                #expect(answers.filter { $0.0 == .badRequest && $0.1 == "invalid_grant" }.count == 49)
                // The losers presented a token that had just been rotated: reuse,
                // so the whole grant is revoked, the winner's new tokens included.
                let winnerAccess = try #require(winners.first?.2)
                let status = try await op.userInfo(browser, token: winnerAccess).status
                #expect(status == .unauthorized)
                let revoked = try await op.pool.withConnection { conn in
                    try conn.query("SELECT count(*) FROM grants WHERE revoked_at IS NOT NULL").first!.decode(Int.self, at: 0)
                }
                #expect(revoked == 1)
            }
        }
    }

    @Test("20 concurrent consents by one user to one client all get a code and leave one consent row")
    func concurrentConsents() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, _) = try await op.createClient()
            try await op.app().test(.router) { http in
                // Each browser signs in on its own and stops at the consent page.
                var pending: [(Browser, Browser.Page)] = []
                for _ in 0..<20 {
                    let browser = Browser(http)
                    let login = try await browser.get(op.authorizeURI(client))
                    let consent = try await op.submitLogin(browser, on: login)
                    #expect(consent.field("request") != nil)
                    pending.append((browser, consent))
                }
                let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                    for (browser, page) in pending {
                        group.addTask {
                            let r = try await op.submitConsent(browser, on: page)
                            return (r.status, r.location)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0.0 == .found && ($0.1 ?? "").contains("code=") })
                let rows = try await op.pool.withConnection { conn in
                    try conn.query("SELECT count(*) FROM consents").first!.decode(Int.self, at: 0)
                }
                #expect(rows == 1)
            }
        }
    }
}

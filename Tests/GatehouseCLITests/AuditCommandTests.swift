import Foundation
import PGClient
import TestSupport
import Testing

@Suite("The audit log on the command line")
struct AuditCommandTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        cli = CLIRunner(database: db)
    }

    @Test("every change from the command line is recorded with actor cli; audit list filters by actor, action, target and time; --json; no secret in the log")
    func changesAreRecorded() async throws {
        #expect(try await cli.run(["user", "create", "--username", "erin", "--password-stdin"], stdin: "a long password\n").status == 0)
        #expect(try await cli.run(["user", "set-password", "erin", "--password-stdin"], stdin: "another long password\n").status == 0)
        #expect(try await cli.run(["user", "disable", "erin"]).status == 0)
        let created = try await cli.run(["client", "create", "--name", "Audited", "--redirect-uri", "https://rp.example/cb", "--json"])
        #expect(created.status == 0, "\(created.stderr)")
        let client = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])
        let clientID = try #require(client["client_id"] as? String)
        let secret = try #require(client["client_secret"] as? String)
        #expect(try await cli.run(["client", "rotate-secret", clientID]).status == 0)
        #expect(try await cli.run(["user", "disable", "nobody"]).status != 0)  // nothing changed: nothing recorded

        let listed = try await cli.run(["audit", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").dropFirst().map(String.init)
        #expect(lines.map { $0.split(separator: "\t")[2] } == ["client.secret-rotated", "client.created", "user.disabled",
                                                               "user.password-set", "user.created"])
        #expect(lines.allSatisfy { $0.split(separator: "\t")[1] == "cli" })
        for secretText in [secret, "a long password", "another long password"] { #expect(!listed.stdout.contains(secretText)) }
        let stored = try db.connect().query("SELECT string_agg(details::text || coalesce(target, ''), ' ') FROM audit_events")
            .first!.decode(String.self, at: 0)
        #expect(!stored.contains(secret))

        let byTarget = try await cli.run(["audit", "list", "--target", "user:erin", "--json"])
        let events = try #require(try JSONSerialization.jsonObject(with: Data(byTarget.stdout.utf8)) as? [[String: Any]])
        #expect(events.map { $0["action"] as? String } == ["user.disabled", "user.password-set", "user.created"])
        #expect(events.allSatisfy { $0["actor"] as? String == "cli" && $0["time"] is String && $0["details"] is [String: Any] })

        let byAction = try await cli.run(["audit", "list", "--action", "client.created", "--since", "1h"])
        #expect(byAction.stdout.split(separator: "\n").count == 2)
        let future = try await cli.run(["audit", "list", "--since", "2999-01-01"])
        #expect(future.stdout.split(separator: "\n").count == 1)  // the header only
        let none = try await cli.run(["audit", "list", "--actor", "system"])
        #expect(none.stdout.split(separator: "\n").count == 1)

        for (args, message) in [(["audit", "list", "--since", "yesterday"], "ISO 8601"),
                                (["audit", "list", "--action", "made.up"], "unknown action")] {
            let refused = try await cli.run(args)
            #expect(refused.status != 0 && refused.stderr.contains(message), "\(args): \(refused.stderr)")
        }
    }
}

@Suite("Admins on the command line")
struct AdminCommandTests {
    @Test("user create --admin, set-admin and unset-admin set the flag, are audited, and refuse unknown users")
    func adminFlag() async throws {
        let db = try await TestDatabase.create()
        let cli = CLIRunner(database: db)
        func isAdmin(_ name: String) throws -> Bool {
            try db.connect().query("SELECT is_admin FROM users WHERE username = $1", name).first!.decode(Bool.self, at: 0)
        }
        #expect(try await cli.run(["user", "create", "--username", "root", "--admin", "--password-stdin"], stdin: "a long password\n").status == 0)
        #expect(try await cli.run(["user", "create", "--username", "plain", "--password-stdin"], stdin: "a long password\n").status == 0)
        #expect(try isAdmin("root") && !(try isAdmin("plain")))
        #expect(try await cli.run(["user", "set-admin", "plain"]).status == 0)
        #expect(try isAdmin("plain"))
        #expect(try await cli.run(["user", "unset-admin", "root"]).status == 0)
        #expect(!(try isAdmin("root")))
        let unknown = try await cli.run(["user", "set-admin", "nobody"])
        #expect(unknown.status != 0 && unknown.stderr.contains("not found"))
        let log = try await cli.run(["audit", "list", "--action", "user.admin-granted"])
        #expect(log.stdout.split(separator: "\n").count == 3)  // header, root at creation, plain
    }
}

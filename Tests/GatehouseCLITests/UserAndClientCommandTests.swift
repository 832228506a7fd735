import Foundation
import GatehouseCore
import PGClient
import TestSupport
import Testing

@Suite("gatehouse user and client commands")
struct UserAndClientCommandTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        cli = CLIRunner(database: db)
    }

    @Test("user create reads the password from stdin and stores only its hash")
    func userCreate() async throws {
        let created = try await cli.run(["user", "create", "--username", "alice", "--email", "alice@example.com",
                                   "--given-name", "Alice", "--family-name", "Liddell", "--password-stdin"],
                                  stdin: "rabbit-hole\n")
        #expect(created.status == 0, "\(created.stderr)")
        let listed = try await cli.run(["user", "list"])
        #expect(listed.stdout.contains("alice\talice@example.com\tAlice Liddell"))
        let row = try db.connect().query("SELECT password_hash, given_name FROM users WHERE username = 'alice'").first!
        #expect(try row.decode(String.self, at: 0).hasPrefix("$scrypt$"))
        #expect(try row.decode(String.self, at: 1) == "Alice")
        let setPassword = try await cli.run(["user", "set-password", "alice", "--password-stdin"], stdin: "new-one-long\n")
        #expect(setPassword.status == 0)
        let deleted = try await cli.run(["user", "delete", "alice"])
        #expect(deleted.status == 0)
        let secondDeleteStatus = try await cli.run(["user", "delete", "alice"]).status
        #expect(secondDeleteStatus != 0)
    }

    @Test("client create --json prints exactly one object, and the database keeps only the secret's digest")
    func clientCreateJSON() async throws {
        let out = try await cli.run(["client", "create", "--name", "Demo", "--redirect-uri", "http://example.org/", "--allow-insecure-redirect",
                               "--redirect-uri", "https://rp.example/cb", "--scope", "openid", "--scope", "email", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let clientID = try #require(object["client_id"] as? String)
        let secret = try #require(object["client_secret"] as? String)
        #expect(object["redirect_uris"] as? [String] == ["http://example.org/", "https://rp.example/cb"])
        #expect(object["grant_types"] as? [String] == ["authorization_code", "refresh_token"])
        #expect(object["response_types"] as? [String] == ["code"])
        #expect(object["scope"] as? String == "openid email")
        #expect(object["require_consent"] as? Bool == true)
        #expect(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        let row = try db.connect().query("SELECT secret_digest, row_to_json(clients)::text FROM clients WHERE client_id = $1", clientID).first!
        #expect(try row.decode([UInt8].self, at: 0) == SecretToken.digest(of: secret))
        #expect(try !row.decode(String.self, at: 1).contains(secret))

        let shown = try await cli.run(["client", "show", clientID])
        #expect(shown.status == 0)
        #expect(!shown.stdout.contains(secret))
        #expect(!shown.stdout.contains("\"client_secret\""))

        let rotated = try await cli.run(["client", "rotate-secret", clientID])
        #expect(rotated.status == 0)
        #expect(rotated.stdout.hasPrefix("client_secret: "))
        #expect(!rotated.stdout.contains(secret))

        let listed = try await cli.run(["client", "list", "--json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(array.map { $0["client_id"] as? String } == [clientID])
        let deleteStatus = try await cli.run(["client", "delete", clientID]).status
        #expect(deleteStatus == 0)
        let showAfterDeleteStatus = try await cli.run(["client", "show", clientID]).status
        #expect(showAfterDeleteStatus != 0)
    }

    @Test("a public client gets no secret, and client_credentials only when asked for")
    func publicAndGrants() async throws {
        let pub = try await cli.run(["client", "create", "--name", "SPA", "--redirect-uri", "https://spa.example/cb", "--public", "--json"])
        #expect(pub.status == 0, "\(pub.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(pub.stdout.utf8)) as? [String: Any])
        #expect(object["client_secret"] == nil)
        #expect(object["client_type"] as? String == "public")
        #expect(object["token_endpoint_auth_method"] as? String == "none")

        let machine = try await cli.run(["client", "create", "--name", "M2M", "--redirect-uri", "https://m.example/cb",
                                   "--grant-type", "client_credentials", "--no-consent", "--json"])
        let m = try #require(try JSONSerialization.jsonObject(with: Data(machine.stdout.utf8)) as? [String: Any])
        #expect(m["grant_types"] as? [String] == ["client_credentials"])
        #expect(m["require_consent"] as? Bool == false)
    }

    @Test("plain text output names the client_id and the secret once")
    func plainOutput() async throws {
        let out = try await cli.run(["client", "create", "--name", "Demo", "--redirect-uri", "http://example.org/", "--allow-insecure-redirect"])
        #expect(out.status == 0)
        #expect(out.stdout.hasPrefix("client_id: "))
        #expect(out.stdout.contains("\nclient_secret: "))
    }
}

import Foundation
import PGClient
import TestSupport
import Testing

/// `client create --id-token-alg` and `keys rotate --alg` / `keys list` as operators use them.
@Suite("Signing algorithms and keys on the command line")
struct SigningCommandTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        var runner = CLIRunner(database: db)
        runner.environment["GATEHOUSE_SECRET_KEY"] = Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        cli = runner
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("client create --id-token-alg: shown by show and --json; HS256 keeps the secret sealed, others a digest only; bad values refused")
    func idTokenAlgorithm() async throws {
        let es = try await cli.run(["client", "create", "--name", "E", "--redirect-uri", "https://rp.example/cb",
                                    "--id-token-alg", "ES256", "--response-type", "code id_token", "--response-type", "code", "--json"])
        #expect(es.status == 0, "\(es.stderr)")
        let created = try json(es.stdout)
        #expect(created["id_token_signed_response_alg"] as? String == "ES256")
        #expect(created["response_types"] as? [String] == ["code id_token", "code"])
        let shown = try await cli.run(["client", "show", try #require(created["client_id"] as? String)])
        #expect(try json(shown.stdout)["id_token_signed_response_alg"] as? String == "ES256")

        let hs = try await cli.run(["client", "create", "--name", "H", "--redirect-uri", "https://rp.example/cb",
                                    "--id-token-alg", "HS256", "--json"])
        #expect(hs.status == 0, "\(hs.stderr)")
        let secret = try #require(try json(hs.stdout)["client_secret"] as? String)
        let stored = try db.connect().query("""
            SELECT id_token_signed_response_alg, secret_sealed IS NOT NULL, position($1::bytea in coalesce(secret_sealed, ''::bytea))
            FROM clients ORDER BY id
            """, Array(secret.utf8)).rows.map { row in
            (try row.decode(String.self, at: 0), try row.decode(Bool.self, at: 1), try row.decode(Int.self, at: 2))
        }
        #expect(stored.map(\.0) == ["ES256", "HS256"])
        #expect(stored.map(\.1) == [false, true])
        #expect(stored.allSatisfy { $0.2 == 0 })  // never the plain secret

        // Rotating an HS256 client's secret re-seals the new one.
        let rotated = try await cli.run(["client", "rotate-secret", try #require(try json(hs.stdout)["client_id"] as? String)])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try db.connect().query("SELECT count(*) FROM clients WHERE secret_sealed IS NOT NULL").first!.decode(Int.self, at: 0) == 1)

        var noSecret = cli
        noSecret.environment["GATEHOUSE_SECRET_KEY"] = nil
        let unsealed = try await noSecret.run(["client", "create", "--name", "H", "--redirect-uri", "https://rp.example/cb",
                                               "--id-token-alg", "HS256"])
        #expect(unsealed.status != 0)
        #expect(unsealed.stderr.contains("GATEHOUSE_SECRET_KEY"))
        for (flags, message) in [(["--id-token-alg", "PS256"], "unsupported ID token algorithm"),
                                 (["--id-token-alg", "HS256", "--public"], "public client"),
                                 (["--response-type", "token"], "unsupported response type"),
                                 (["--grant-type", "client_credentials", "--response-type", "id_token"], "authorization_code")] {
            let refused = try await cli.run(["client", "create", "--name", "X", "--redirect-uri", "https://rp.example/cb"] + flags)
            #expect(refused.status != 0, "\(flags)")
            #expect(refused.stderr.contains(message), "\(flags): \(refused.stderr)")
        }
        #expect(try db.connect().query("SELECT count(*) FROM clients").first!.decode(Int.self, at: 0) == 2)
    }

    @Test("keys rotate --alg publishes a next key and says when it signs; --now makes it active; keys list shows state, algorithm, kid and times")
    func rotateAndList() async throws {
        let scheduled = try await cli.run(["keys", "rotate", "--alg", "EdDSA"])
        #expect(scheduled.status == 0, "\(scheduled.stderr)")
        #expect(scheduled.stdout.contains("next EdDSA key:") && scheduled.stdout.contains("becomes active at"))
        let now = try await cli.run(["keys", "rotate", "--alg", "EdDSA", "--now"])
        #expect(now.status == 0, "\(now.stderr)")
        #expect(now.stdout.contains("active EdDSA key:"))
        let list = try await cli.run(["keys", "list"])
        let lines = list.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.first == ["STATE", "ALG", "KID", "CREATED", "ACTIVATED", "RETIRED"])
        #expect(lines.dropFirst().map { "\($0[0]) \($0[1])" }.sorted() == ["active EdDSA", "next EdDSA"])
        #expect(lines.dropFirst().allSatisfy { $0.count == 6 && $0[2].count == 43 })
        let refused = try await cli.run(["keys", "rotate", "--alg", "HS256"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("HS256 uses each client's secret"))
    }
}

import Foundation
import PGClient
import TestSupport
import Testing

/// Review findings 6, 8, 17, 18 and 19 as the command line shows them.
@Suite("Hardening: the command line")
struct HardeningCommandTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        cli = CLIRunner(database: db)
    }

    static func randomSecret() -> String {
        Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    func with(secret: String) -> CLIRunner {
        var runner = cli
        runner.environment["GATEHOUSE_SECRET_KEY"] = secret
        return runner
    }

    func keys() throws -> [[String]] {
        try db.connect().query("SELECT kid, state, encode(private_key, 'hex') FROM signing_keys ORDER BY created_at, kid").rows
            .map { row in try (0..<3).map { try row.decode(String.self, at: $0) } }
    }

    @Test("6. user disable, enable and unlock: disable stops sign-in, unlock clears the account's failures")
    func disableEnableUnlock() async throws {
        let created = try await cli.run(["user", "create", "--username", "dora", "--password-stdin"], stdin: "a long password\n")
        #expect(created.status == 0, "\(created.stderr)")
        let conn = try db.connect()
        try conn.query("INSERT INTO login_throttle (key, failures, window_started_at, locked_until, expires_at) VALUES ('user:dora', 9, now(), now() + interval '1 hour', now() + interval '1 day')")
        let unlocked = try await cli.run(["user", "unlock", "DORA"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(try conn.query("SELECT count(*) FROM login_throttle").first!.decode(Int.self, at: 0) == 0)
        let disabled = try await cli.run(["user", "disable", "dora"])
        #expect(disabled.status == 0)
        #expect(try conn.query("SELECT is_active FROM users WHERE username = 'dora'").first!.decode(Bool.self, at: 0) == false)
        let enabled = try await cli.run(["user", "enable", "dora"])
        #expect(enabled.status == 0)
        #expect(try conn.query("SELECT is_active FROM users WHERE username = 'dora'").first!.decode(Bool.self, at: 0))
        for command in ["unlock", "disable", "enable"] {
            let missing = try await cli.run(["user", command, "nobody"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("not found"))
        }
    }

    @Test("8. user create and set-password refuse a password shorter than OIDC_PASSWORD_MIN_LENGTH (default 8)")
    func passwordMinimumLength() async throws {
        let short = try await cli.run(["user", "create", "--username", "sid", "--password-stdin"], stdin: "seven77\n")
        #expect(short.status != 0)
        #expect(short.stderr.contains("at least 8 characters"))
        var strict = cli
        strict.environment["OIDC_PASSWORD_MIN_LENGTH"] = "12"
        let ok = try await strict.run(["user", "create", "--username", "sid", "--password-stdin"], stdin: "twelve chars\n")
        #expect(ok.status == 0, "\(ok.stderr)")
        let refused = try await strict.run(["user", "set-password", "sid", "--password-stdin"], stdin: "eleven char\n")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("at least 12 characters"))
        #expect(try db.connect().query("SELECT count(*) FROM users").first!.decode(Int.self, at: 0) == 1)
    }

    @Test("17. serve refuses a secret key that is short, not base64 or hex, or a repeated pattern, saying how to make one")
    func weakSecretRefused() async throws {
        for weak in [String(repeating: "x", count: 48), "short", String(repeating: "ab12", count: 16)] {
            let outcome = try await with(secret: weak).run(["serve"])
            #expect(outcome.status != 0)
            #expect(outcome.stderr.contains("GATEHOUSE_SECRET_KEY"))
            #expect(outcome.stderr.contains("openssl rand -base64 48"))
            #expect(outcome.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("17, 18. keys rotate changes nothing under a secret that cannot open the keys; keys reseal moves every key and HS256 secret to a new secret")
    func rotateAndReseal() async throws {
        let (old, new) = (Self.randomSecret(), Self.randomSecret())
        let first = try await with(secret: old).run(["keys", "rotate", "--now"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try keys()
        #expect(before.map { $0[1] }.sorted() == ["active", "next"])
        let hs256 = try await with(secret: old).run(["client", "create", "--name", "H", "--redirect-uri", "https://rp.example/cb",
                                                    "--id-token-alg", "HS256", "--json"])
        #expect(hs256.status == 0, "\(hs256.stderr)")
        func sealedSecrets() throws -> [String] {
            try db.connect().query("SELECT encode(secret_sealed, 'hex') FROM clients WHERE secret_sealed IS NOT NULL").rows
                .map { try $0.decode(String.self, at: 0) }
        }
        let sealedBefore = try sealedSecrets()
        #expect(sealedBefore.count == 1)

        // A mistyped secret: refused, and the good keys stay as they are.
        let mistyped = try await with(secret: new).run(["keys", "rotate"])
        #expect(mistyped.status != 0)
        #expect(mistyped.stderr.contains("does not open the active RS256 key"))
        #expect(try keys() == before)

        // Re-sealing with the wrong old secret changes nothing either.
        let wrongOld = try await with(secret: new).run(["keys", "reseal"], stdin: Self.randomSecret() + "\n")
        #expect(wrongOld.status != 0)
        #expect(wrongOld.stderr.contains("nothing was changed"))
        #expect(try keys() == before)
        #expect(try sealedSecrets() == sealedBefore)

        let resealed = try await with(secret: new).run(["keys", "reseal"], stdin: old + "\n")
        #expect(resealed.status == 0, "\(resealed.stderr)")
        #expect(resealed.stdout.contains("re-sealed 2 key(s) and 1 client secret(s)"))
        let after = try keys()
        #expect(after.map { $0[0] } == before.map { $0[0] })
        #expect(zip(after, before).allSatisfy { $0[2] != $1[2] })
        #expect(try sealedSecrets() != sealedBefore)
        // Now the new secret opens the keys, so it can rotate: the next key becomes active at once.
        let rotated = try await with(secret: new).run(["keys", "rotate", "--now"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let states = Dictionary(uniqueKeysWithValues: try keys().map { ($0[0], $0[1]) })
        let oldActive = try #require(before.first { $0[1] == "active" })[0]
        let oldNext = try #require(before.first { $0[1] == "next" })[0]
        #expect(states[oldActive] == "retired")
        #expect(states[oldNext] == "active")
        #expect(states.values.sorted() == ["active", "next", "retired"])
        #expect(rotated.stdout.contains("active RS256 key: \(oldNext)"))
    }

    @Test("19. client create requires https redirect URIs (loopback http allowed) unless --allow-insecure-redirect, whatever OIDC_ISSUER is")
    func httpsRedirectURIs() async throws {
        var local = cli
        local.environment["OIDC_ISSUER"] = "http://localhost:8000"
        let refused = try await local.run(["client", "create", "--name", "X", "--redirect-uri", "http://rp.example/cb"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("plain http"))
        let loopback = try await local.run(["client", "create", "--name", "X", "--redirect-uri", "http://127.0.0.1:9000/cb"])
        #expect(loopback.status == 0)
        let allowed = try await local.run(["client", "create", "--name", "X", "--redirect-uri", "http://rp.example/cb",
                                           "--allow-insecure-redirect"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let basic = try await local.run(["client", "create", "--name", "X", "--redirect-uri", "https://rp.example/cb",
                                         "--token-endpoint-auth-method", "client_secret_basic", "--json"])
        #expect(basic.stdout.contains(#""token_endpoint_auth_method":"client_secret_basic""#))
        let bogus = try await local.run(["client", "create", "--name", "X", "--redirect-uri", "https://rp.example/cb",
                                         "--token-endpoint-auth-method", "none"])
        #expect(bogus.status != 0)
    }
}

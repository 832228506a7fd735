import Foundation
import PGClient
import TestSupport
import Testing

/// `scope create/list/delete`, `user create --claim`, `user set-claim/unset-claim`,
/// `client create --resource-server` and `--access-token-format`.
@Suite("Scopes, claims and resource servers on the command line")
struct ScopeAndClaimCommandTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        cli = CLIRunner(database: db)
    }

    func claims(_ username: String) throws -> String {
        try db.connect().query("SELECT claims::text FROM users WHERE username = $1", username).first!.decode(String.self, at: 0)
    }

    @Test("user create --claim and set-claim store JSON values; unset-claim removes one; reserved names and unknown users are refused")
    func userClaims() async throws {
        let created = try await cli.run(["user", "create", "--username", "carol", "--password-stdin",
                                         "--claim", #"groups=["admins","staff"]"#, "--claim", "employee_number=E-7"],
                                        stdin: "a long password\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try claims("carol") == #"{"groups": ["admins", "staff"], "employee_number": "E-7"}"#)
        let set = try await cli.run(["user", "set-claim", "carol", "clearance", "3"])
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try claims("carol").contains(#""clearance": 3"#))
        let unset = try await cli.run(["user", "unset-claim", "carol", "groups"])
        #expect(unset.status == 0)
        #expect(!(try claims("carol")).contains("groups"))
        for (args, message) in [(["user", "set-claim", "carol", "email", "x"], "standard claim"),
                                (["user", "set-claim", "nobody", "team", "x"], "not found"),
                                (["user", "set-claim", "carol", "bad name", "x"], "claim name")] {
            let refused = try await cli.run(args)
            #expect(refused.status != 0, "\(args)")
            #expect(refused.stderr.contains(message), "\(args): \(refused.stderr)")
        }
        let reserved = try await cli.run(["user", "create", "--username", "dan", "--password-stdin", "--claim", "sub=x"],
                                         stdin: "a long password\n")
        #expect(reserved.status != 0)
        #expect(try db.connect().query("SELECT count(*) FROM users").first!.decode(Int.self, at: 0) == 1)
    }

    @Test("scope create, list and delete; a standard scope cannot be redefined; a duplicate is refused")
    func scopes() async throws {
        let created = try await cli.run(["scope", "create", "groups", "--claim", "groups", "--description", "See your groups"])
        #expect(created.status == 0, "\(created.stderr)")
        let list = try await cli.run(["scope", "list"])
        #expect(list.stdout.contains("groups\tgroups\tSee your groups"))
        #expect(list.stdout.contains("email\temail email_verified"))
        let json = try await cli.run(["scope", "list", "--json"])
        #expect(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == #"[{"claims":["groups"],"description":"See your groups","name":"groups"}]"#)
        for (args, message) in [(["scope", "create", "email", "--claim", "x", "--description", "d"], "standard scope"),
                                (["scope", "create", "groups", "--claim", "g", "--description", "d"], "already exists"),
                                (["scope", "create", "roles", "--description", "d"], "at least one --claim"),
                                (["scope", "delete", "nope"], "not found")] {
            let refused = try await cli.run(args)
            #expect(refused.status != 0, "\(args)")
            #expect(refused.stderr.contains(message), "\(args): \(refused.stderr)")
        }
        #expect(try await cli.run(["scope", "delete", "groups"]).status == 0)
        #expect(try db.connect().query("SELECT count(*) FROM scopes").first!.decode(Int.self, at: 0) == 0)
    }

    @Test("client create --resource-server needs no redirect URI; --access-token-format jwt is shown; bad formats refused")
    func resourceServerAndFormat() async throws {
        let api = try await cli.run(["client", "create", "--name", "API", "--resource-server", "--json"])
        #expect(api.status == 0, "\(api.stderr)")
        #expect(api.stdout.contains(#""resource_server":true"#))
        #expect(api.stdout.contains(#""redirect_uris":[]"#))
        #expect(api.stdout.contains(#""grant_types":[]"#))
        let jwt = try await cli.run(["client", "create", "--name", "J", "--redirect-uri", "https://rp.example/cb",
                                     "--access-token-format", "jwt", "--json"])
        #expect(jwt.stdout.contains(#""access_token_format":"jwt""#))
        for args in [["client", "create", "--name", "X"],
                     ["client", "create", "--name", "X", "--resource-server", "--public"],
                     ["client", "create", "--name", "X", "--redirect-uri", "https://rp.example/cb", "--access-token-format", "paseto"]] {
            let refused = try await cli.run(args)
            #expect(refused.status != 0, "\(args)")
        }
    }
}

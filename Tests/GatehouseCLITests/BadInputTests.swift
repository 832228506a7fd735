import Foundation
import TestSupport
import Testing

@Suite("Bad input gets one line on stderr and a non-zero exit, never a stack trace")
struct BadInputTests {
    let db: TestDatabase
    let cli: CLIRunner

    init() async throws {
        db = try await TestDatabase.create()
        cli = CLIRunner(database: db)
    }

    func expectOneLineFailure(_ outcome: CLIRunner.Outcome, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status != 0, sourceLocation: sourceLocation)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.hasPrefix("error: "), sourceLocation: sourceLocation)
        #expect(outcome.stderr.localizedCaseInsensitiveContains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(!outcome.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
        #expect(outcome.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test("an unknown flag")
    func unknownFlag() async throws {
        expectOneLineFailure(try await cli.run(["client", "create", "--name", "X", "--redirect-uri", "https://a.example/", "--bogus"]),
                             mentioning: "--bogus")
    }

    @Test("a malformed redirect URI")
    func malformedURI() async throws {
        expectOneLineFailure(try await cli.run(["client", "create", "--name", "X", "--redirect-uri", "not a uri"]),
                             mentioning: "not a uri")
    }

    @Test("a redirect URI with a fragment")
    func fragment() async throws {
        expectOneLineFailure(try await cli.run(["client", "create", "--name", "X", "--redirect-uri", "https://a.example/cb#x"]),
                             mentioning: "fragment")
    }

    @Test("a plain-http redirect URI other than loopback for a confidential client of an https issuer")
    func plainHTTP() async throws {
        var strict = cli
        strict.environment["OIDC_ISSUER"] = "https://id.example.com"
        expectOneLineFailure(try await strict.run(["client", "create", "--name", "X", "--redirect-uri", "http://rp.example/cb"]),
                             mentioning: "plain http")
        let loopbackStatus = try await strict.run(["client", "create", "--name", "X", "--redirect-uri", "http://127.0.0.1:9000/cb"]).status
        #expect(loopbackStatus == 0)
    }

    @Test("a duplicate username")
    func duplicateUsername() async throws {
        let createStatus = try await cli.run(["user", "create", "--username", "sam", "--password", "pw-long-enough"]).status
        #expect(createStatus == 0)
        expectOneLineFailure(try await cli.run(["user", "create", "--username", "SAM", "--password-stdin"], stdin: "pw-long-enough\n"),
                             mentioning: "already exists")
    }

    @Test("an unreachable database")
    func unreachableDatabase() async throws {
        var offline = CLIRunner(database: nil)
        offline.environment["DATABASE_URL"] = "postgresql://nobody@/none?host=/tmp/gatehouse-no-such-dir&port=1"
        expectOneLineFailure(try await offline.run(["user", "list"]), mentioning: "cannot reach the database")
        expectOneLineFailure(try await offline.run(["migrate"]), mentioning: "cannot reach the database")
    }

    @Test("a bad setting names the variable")
    func badSetting() async throws {
        var bad = cli
        bad.environment["OIDC_TOKEN_EXPIRE"] = "soon"
        expectOneLineFailure(try await bad.run(["client", "list"]), mentioning: "OIDC_TOKEN_EXPIRE")
    }

    @Test("a missing password and an empty one")
    func passwords() async throws {
        expectOneLineFailure(try await cli.run(["user", "create", "--username", "pat"]), mentioning: "password")
        expectOneLineFailure(try await cli.run(["user", "create", "--username", "pat", "--password-stdin"], stdin: "\n"),
                             mentioning: "password")
    }
}

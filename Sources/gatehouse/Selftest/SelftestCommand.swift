import ArgumentParser
import Foundation

struct SelftestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Walk a live OpenID provider as a relying party would, one PASS or FAIL line per check.",
        discussion: """
            Checks discovery and the JWKS; with --username and --password-file also the sign-in through the
            provider's real login and consent pages (code flow with PKCE), the code exchange, the ID token
            (signature, iss, aud, exp, nonce, at_hash), /userinfo, a refresh, and introspection and revocation
            where discovery lists them. Works against any provider that supports the code flow. The client
            secret is read from standard input so it stays out of the process list and shell history.
            Exits non-zero when any check fails. Use a test user: the walk revokes the refresh token it got.
            """
    )

    @Option(help: "The issuer URL, exactly as the provider names itself.") var issuer: String
    @Option(name: .customLong("client-id")) var clientID: String
    @Flag(name: .customLong("client-secret-stdin"), help: "Read the client secret from the first line of standard input.")
    var clientSecretStdin = false
    @Option(name: .customLong("redirect-uri"), help: "A redirect URI registered for the client; nothing needs to listen there.")
    var redirectURI: String?
    @Option(help: "A test user to sign in as.") var username: String?
    @Option(name: .customLong("password-file"), help: "A file whose first line is that user's password.") var passwordFile: String?
    @Option(help: "The scopes to ask for.") var scope = "openid profile email offline_access"

    func validate() throws {
        guard clientSecretStdin else { throw ValidationError("--client-secret-stdin is required (the secret is read from standard input)") }
        if (username == nil) != (passwordFile == nil) { throw ValidationError("give --username and --password-file together") }
        if username != nil && redirectURI == nil { throw ValidationError("the sign-in needs --redirect-uri") }
    }

    func run() async throws {
        guard let secret = readLine(strippingNewline: true), !secret.isEmpty else {
            throw CLIError("no client secret on standard input")
        }
        var password: String?
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8),
                  let line = text.split(separator: "\n", omittingEmptySubsequences: false).first, !line.isEmpty else {
                throw CLIError("cannot read a password from --password-file \(passwordFile)")
            }
            password = String(line.hasSuffix("\r") ? line.dropLast() : line)
        }
        let walk = RelyingPartyWalk(
            options: .init(issuer: issuer, clientID: clientID, clientSecret: secret, redirectURI: redirectURI,
                           username: username, password: password, scope: scope),
            report: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) })
        let failures = await walk.run()
        if failures > 0 { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation

/// The `gatehouse` command line: `serve`, `migrate`, `user …`, `client …`.
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "An OpenID Connect provider backed by PostgreSQL.",
        subcommands: [ServeCommand.self, MigrateCommand.self, UserCommand.self, ClientCommand.self, ScopeCommand.self, KeysCommand.self, SweepCommand.self,
                      ImportCommand.self, SelftestCommand.self, AuditCommand.self]
    )
}

@main
enum Main {
    /// Parses and runs the command. Every failure becomes one line on stderr
    /// and a non-zero exit: scripts read the message, nobody reads a stack trace.
    static func main() async {
        do {
            var command = try Gatehouse.parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            // A command that has already said why (selftest's FAIL lines) only sets the status.
            Foundation.exit(exit.rawValue)
        } catch {
            let code = Gatehouse.exitCode(for: error)
            if code == .success {
                Gatehouse.exit(withError: error)  // --help and friends print as usual
            }
            let message = CLIError.oneLine(for: error)
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            exit(code == .validationFailure ? code.rawValue : max(code.rawValue, 1))
        }
    }
}

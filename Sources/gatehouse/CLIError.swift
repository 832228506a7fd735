import ArgumentParser
import GatehouseCore
import GatehouseStore
import PGClient

/// A failure the CLI reports as one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// The single line to print for any error the commands can throw.
    static func oneLine(for error: Error) -> String {
        let text: String
        switch error {
        case let error as PGError:
            text = error.isUnavailable ? "cannot reach the database: \(error)" : "\(error)"
        case is CLIError, is StoreError, is MigrationError, is Settings.Invalid,
             is ClientRegistration.Invalid, is RedirectURIPolicy.Violation,
             is NewUser.Invalid, is PasswordHasher.Failure, is SecretBox.Failure:
            text = "\(error)"
        default:
            let parsed = Gatehouse.message(for: error)
            text = parsed.isEmpty ? "\(error)" : parsed
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}

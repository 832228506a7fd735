import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create, list and delete users; set passwords and claims; disable, enable and unlock accounts.",
        subcommands: [Create.self, List.self, SetPassword.self, SetClaim.self, UnsetClaim.self, Disable.self, Enable.self,
                      Unlock.self, Delete.self, SetAdmin.self, UnsetAdmin.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")

        @Option var username: String
        @Option var email: String?
        @Option(name: .customLong("given-name")) var givenName: String?
        @Option(name: .customLong("family-name")) var familyName: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.")
        var passwordStdin = false
        @Option(help: "The password (visible to other users of this machine; prefer --password-stdin).")
        var password: String?
        @Option(name: .customLong("claim"),
                help: "A custom claim NAME=VALUE (repeatable); VALUE is JSON when it parses as JSON, else text.")
        var claims: [String] = []
        @Flag(help: "May enter the admin console (/admin), after a second factor.") var admin = false

        func validate() throws {
            if passwordStdin == (password != nil) {
                throw ValidationError("give exactly one of --password-stdin and --password")
            }
        }

        func run() async throws {
            let secret = try password ?? readPasswordFromStdin()
            if password != nil { printWarning("--password is visible in the process list; prefer --password-stdin") }
            try PasswordRules(minimumLength: try Settings.load().passwordMinLength).check(secret)
            let name = [givenName, familyName].compactMap { $0 }.joined(separator: " ")
            var newUser = NewUser(username: username, password: secret, profile: UserProfile(
                name: name.isEmpty ? nil : name, givenName: givenName, familyName: familyName,
                preferredUsername: username, email: email
            ))
            for text in claims {
                let (claim, value) = try CustomClaims.assignment(text)
                newUser.claims[claim] = value
            }
            try newUser.validate()
            let user = try await CommandContext.with { context in
                let user = try await context.users.create(newUser)
                try await context.audit(.userCreated, target: "user:\(user.username)", details: ["sub": user.subject])
                if admin {
                    _ = try await context.users.setAdmin(username: user.username, admin: true)
                    try await context.audit(.userMadeAdmin, target: "user:\(user.username)")
                }
                return user
            }
            print("created user \(user.username) (sub \(user.subject))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")

        func run() async throws {
            let users = try await CommandContext.with { try await $0.users.list() }
            print(["USERNAME", "EMAIL", "NAME", "ACTIVE", "LAST LOGIN"].joined(separator: "\t"))
            for user in users {
                print([user.username, user.profile.email ?? "-", user.profile.name ?? "-",
                       user.isActive ? "yes" : "no",
                       user.lastLoginAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never"]
                    .joined(separator: "\t"))
            }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-password", abstract: "Set a user's password.")

        @Argument var username: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.")
        var passwordStdin = false

        func validate() throws {
            guard passwordStdin else { throw ValidationError("--password-stdin is required") }
        }

        func run() async throws {
            let secret = try readPasswordFromStdin()
            try PasswordRules(minimumLength: try Settings.load().passwordMinLength).check(secret)
            let found = try await CommandContext.with { context in
                try await context.audited(.userPasswordSet, target: "user:\(username)") {
                    try await context.users.setPassword(username: username, to: secret)
                }
            }
            guard found else { throw StoreError.notFound("user '\(username)'") }
            print("password set for \(username); their sessions ended and their tokens were revoked")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: no sign-in, no tokens; their sessions end and their tokens are revoked.")
        @Argument var username: String

        func run() async throws { try await UserCommand.setActive(username, false) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @Argument var username: String

        func run() async throws { try await UserCommand.setActive(username, true) }
    }

    static func setActive(_ username: String, _ active: Bool) async throws {
        let found = try await CommandContext.with { context in
            try await context.audited(active ? .userEnabled : .userDisabled, target: "user:\(username)") {
                try await context.users.setActive(username: username, active: active)
            }
        }
        guard found else { throw StoreError.notFound("user '\(username)'") }
        print("\(active ? "enabled" : "disabled") \(username)")
    }

    struct SetClaim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-claim",
            abstract: "Set one custom claim of a user; VALUE is JSON when it parses as JSON, else text.")
        @Argument var username: String
        @Argument var name: String
        @Argument var value: String

        func run() async throws {
            try CustomClaims.checkName(name)
            let parsed = try CustomClaims.value(parsing: value)
            let found = try await CommandContext.with { context in
                try await context.audited(.userClaimSet, target: "user:\(username)", details: ["claim": name]) {
                    try await context.users.setClaim(username: username, name: name, value: parsed)
                }
            }
            guard found else { throw StoreError.notFound("user '\(username)'") }
            print("set claim \(name) of \(username) to \(JSONText.value(parsed))")
        }
    }

    struct UnsetClaim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unset-claim", abstract: "Remove one custom claim of a user.")
        @Argument var username: String
        @Argument var name: String

        func run() async throws {
            let found = try await CommandContext.with { context in
                try await context.audited(.userClaimRemoved, target: "user:\(username)", details: ["claim": name]) {
                    try await context.users.setClaim(username: username, name: name, value: nil)
                }
            }
            guard found else { throw StoreError.notFound("user '\(username)'") }
            print("removed claim \(name) of \(username)")
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear a user's failed sign-ins, ending any wait they caused.")
        @Argument var username: String

        func run() async throws {
            let found = try await CommandContext.with { context in
                guard try await context.users.find(username: username) != nil else { return false }
                try await PGLoginThrottle(pool: context.pool).reset(key: LoginThrottleKey.account(username))
                try await context.audit(.userUnlocked, target: "user:\(username)")
                return true
            }
            guard found else { throw StoreError.notFound("user '\(username)'") }
            print("unlocked \(username)")
        }
    }

    struct SetAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-admin", abstract: "Let a user enter the admin console (after a second factor).")
        @Argument var username: String

        func run() async throws { try await UserCommand.setAdmin(username, true) }
    }

    struct UnsetAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unset-admin", abstract: "Take a user's admin console access away.")
        @Argument var username: String

        func run() async throws { try await UserCommand.setAdmin(username, false) }
    }

    static func setAdmin(_ username: String, _ admin: Bool) async throws {
        let found = try await CommandContext.with { context in
            try await context.audited(admin ? .userMadeAdmin : .userAdminRemoved, target: "user:\(username)") {
                try await context.users.setAdmin(username: username, admin: admin)
            }
        }
        guard found else { throw StoreError.notFound("user '\(username)'") }
        print(admin ? "\(username) may enter the admin console" : "\(username) may no longer enter the admin console")
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user and everything issued to them.")

        @Argument var username: String

        func run() async throws {
            let found = try await CommandContext.with { context in
                try await context.audited(.userDeleted, target: "user:\(username)") { try await context.users.delete(username: username) }
            }
            guard found else { throw StoreError.notFound("user '\(username)'") }
            print("deleted user \(username)")
        }
    }
}

/// The first line of standard input, without its line ending.
func readPasswordFromStdin() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError("no password on standard input")
    }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
}

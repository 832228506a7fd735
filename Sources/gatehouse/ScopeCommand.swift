import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore

struct ScopeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Define scopes of your own: the custom claims they release and what the consent page says.",
        discussion: "Running servers pick up a change within 30 seconds.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Define a scope. The standard scopes cannot be redefined.")
        @Argument var name: String
        @Option(name: .customLong("claim"), help: "A custom claim the scope releases (repeatable, at least one).")
        var claims: [String] = []
        @Option(help: "What the consent page shows for it, e.g. \"See the groups you belong to\".")
        var description: String

        func run() async throws {
            let scope = try ScopeDefinition(name: name, description: description, claims: claims).validated()
            try await CommandContext.with { context in
                try await PGScopeStore(pool: context.pool).create(scope)
                try await context.audit(.scopeCreated, target: "scope:\(scope.name)")
            }
            print("created scope \(scope.name) (claims: \(scope.claims.joined(separator: " ")))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the scopes: standard ones, then yours.")
        @Flag(help: "Print a JSON array of your scopes.") var json = false

        func run() async throws {
            let custom = try await CommandContext.with { try await PGScopeStore(pool: $0.pool).list() }
            if json {
                let objects = custom.map { ["name": ClaimValue.string($0.name), "description": .string($0.description),
                                            "claims": .json(JSONText.stringArray($0.claims))] }
                print("[" + objects.map(JSONText.object).joined(separator: ",") + "]")
                return
            }
            print(["SCOPE", "CLAIMS", "DESCRIPTION"].joined(separator: "\t"))
            let catalog = ScopeCatalog(custom: custom)
            for name in ScopeCatalog.standardScopes {
                print([name, (UserClaims.byScope[name] ?? []).joined(separator: " "),
                       catalog.descriptions(for: Scopes([name])).first ?? ""].joined(separator: "\t"))
            }
            for scope in custom {
                print([scope.name, scope.claims.joined(separator: " "), scope.description].joined(separator: "\t"))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a scope you defined. Tokens already granted keep its name but release nothing more.")
        @Argument var name: String

        func run() async throws {
            let found = try await CommandContext.with { context in
                try await context.audited(.scopeDeleted, target: "scope:\(name)") { try await PGScopeStore(pool: context.pool).delete(name: name) }
            }
            guard found else { throw StoreError.notFound("scope '\(name)'") }
            print("deleted scope \(name)")
        }
    }
}

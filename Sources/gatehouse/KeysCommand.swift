import ArgumentParser
import GatehouseCore
import GatehouseStore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage ID-token signing keys.",
        subcommands: [Rotate.self, List.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new RSA-2048 key the active RS256 key; the old one stays published as retired. Restart servers to pick it up."
        )

        func run() async throws {
            let settings = try Settings.load()
            guard let secret = settings.secretKey else {
                throw CLIError("GATEHOUSE_SECRET_KEY is required: it seals the private key in the database")
            }
            let material = try SigningKeyMaterial.generateRS256(sealingWith: try SecretBox(secret: secret))
            try await CommandContext.with { try await PGSigningKeyStore(pool: $0.pool).activate(material) }
            print("active RS256 key: \(material.kid)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (never their private halves).")

        func run() async throws {
            let keys = try await CommandContext.with { try await PGSigningKeyStore(pool: $0.pool).publishedKeys() }
            print(["KID", "ALG", "STATE"].joined(separator: "\t"))
            for key in keys { print([key.kid, key.algorithm, key.state].joined(separator: "\t")) }
        }
    }
}

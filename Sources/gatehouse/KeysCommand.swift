import ArgumentParser
import GatehouseCore
import GatehouseStore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage ID-token signing keys.",
        subcommands: [Rotate.self, Reseal.self, List.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new RSA-2048 key the active RS256 key; the old one stays published as retired. Restart servers to pick it up."
        )

        func run() async throws {
            let box = try SecretBox(secret: try requiredSecret())
            let material = try SigningKeyMaterial.generateRS256(sealingWith: box)
            try await CommandContext.with { context in
                let store = PGSigningKeyStore(pool: context.pool)
                // A mistyped secret must not retire the good key: a key sealed
                // under the wrong secret would leave `serve` unable to start.
                try await store.activate(material) { activeKeys in
                    for key in activeKeys where key.algorithm == material.algorithm {
                        guard (try? SigningKeyMaterial.unsealPEM(key.sealedPrivateKey, with: box)) != nil else {
                            throw CLIError("GATEHOUSE_SECRET_KEY does not open the active \(key.algorithm) key \(key.kid); nothing was changed")
                        }
                    }
                }
            }
            print("active RS256 key: \(material.kid)")
        }
    }

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored key under the current GATEHOUSE_SECRET_KEY; reads the old secret from standard input.",
            discussion: """
                Rotate the server secret: keep the old value, set GATEHOUSE_SECRET_KEY (or _FILE) to the new one, run
                `printf '%s\\n' "$OLD" | gatehouse keys reseal`, then restart the servers. All keys change in one
                transaction; if the old secret does not open every key, nothing changes.
                """
        )

        func run() async throws {
            let newBox = try SecretBox(secret: try requiredSecret())
            guard let old = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespacesAndNewlines), !old.isEmpty else {
                throw CLIError("no old secret on standard input")
            }
            let oldBox = try SecretBox(secret: old)
            let count = try await CommandContext.with { context in
                try await PGSigningKeyStore(pool: context.pool).reseal { sealed in
                    guard let plain = try? oldBox.open(sealed) else {
                        throw CLIError("the old secret does not open every stored key; nothing was changed")
                    }
                    return try newBox.seal(plain)
                }
            }
            print("re-sealed \(count) key(s) under the current GATEHOUSE_SECRET_KEY; restart the servers")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (never their private halves).")

        func run() async throws {
            let keys = try await CommandContext.with { try await PGSigningKeyStore(pool: $0.pool).publishedKeys() }
            print(["KID", "ALG", "STATE"].joined(separator: "\t"))
            for key in keys { print([key.kid, key.algorithm, key.state.rawValue].joined(separator: "\t")) }
        }
    }

    static func requiredSecret() throws -> String {
        guard let secret = try Settings.load().secretKey else {
            throw CLIError("GATEHOUSE_SECRET_KEY (or GATEHOUSE_SECRET_KEY_FILE) is required: it seals the private keys in the database")
        }
        return secret
    }
}

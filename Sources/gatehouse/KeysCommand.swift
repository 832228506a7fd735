import ArgumentParser
import Foundation
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
            abstract: "Rotate the signing key of one algorithm.",
            discussion: """
                Without --now, the algorithm's next key (already in /jwks, or made now) becomes active as soon as it
                has been published for OIDC_KEY_PUBLISH_AHEAD seconds, so relying parties that cache the JWKS already
                have it; running servers do it within a minute of that time. With --now it becomes active at once
                (relying parties with an old cached JWKS may fail to verify new ID tokens until they refetch).
                The old key stays published until every ID token it signed has expired.
                """
        )
        @Option(help: "RS256 (default), ES256 or EdDSA.") var alg = "RS256"
        @Flag(help: "Make the next key active now instead of when it has been published long enough.") var now = false

        func run() async throws {
            guard let algorithm = SigningAlgorithm(rawValue: alg), algorithm.isAsymmetric else {
                throw CLIError("--alg must be one of \(SigningAlgorithm.asymmetric.map(\.rawValue).joined(separator: ", ")); HS256 uses each client's secret")
            }
            let box = try SecretBox(secret: try requiredSecret())
            let immediately = now
            let (kid, signsFrom) = try await CommandContext.with { context in
                let rotation = try await PGSigningKeyStore(pool: context.pool).requestRotation(
                    algorithm, immediately: immediately, now: Date(), policy: context.settings.keyRotationPolicy,
                    check: { keys in
                        // A mistyped secret must not start a rotation: a key sealed under
                        // the wrong secret would leave `serve` unable to load it.
                        for key in keys.sorted(by: { $0.state == .active && $1.state != .active }) where key.state != .retired {
                            guard (try? SigningKeyMaterial.unseal(key.sealedPrivateKey, with: box)) != nil else {
                                throw CLIError("GATEHOUSE_SECRET_KEY does not open the \(key.state.rawValue) \(key.algorithm) key \(key.kid); nothing was changed")
                            }
                        }
                    },
                    make: { try SigningKeyMaterial.generate($0, sealingWith: box) })
                try await context.audit(.keyRotated, target: "key:\(rotation.kid)",
                                        details: ["alg": algorithm.rawValue, "when": immediately ? "now" : "when published long enough"])
                return rotation
            }
            if immediately {
                print("active \(algorithm.rawValue) key: \(kid) (running servers sign with it within a minute)")
            } else {
                print("next \(algorithm.rawValue) key: \(kid), becomes active at \(ISO8601DateFormatter().string(from: signsFrom)) (within a minute after that on running servers)")
            }
        }
    }

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored key and HS256 client secret under the current GATEHOUSE_SECRET_KEY; reads the old secret from standard input.",
            discussion: """
                Rotate the server secret: keep the old value, set GATEHOUSE_SECRET_KEY (or _FILE) to the new one, run
                `printf '%s\\n' "$OLD" | gatehouse keys reseal`, then restart the servers. Everything changes in one
                transaction; if the old secret does not open every key and secret, nothing changes.
                """
        )

        func run() async throws {
            let newBox = try SecretBox(secret: try requiredSecret())
            guard let old = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespacesAndNewlines), !old.isEmpty else {
                throw CLIError("no old secret on standard input")
            }
            let oldBox = try SecretBox(secret: old)
            let count = try await CommandContext.with { context in
                let count = try await PGSigningKeyStore(pool: context.pool).reseal { sealed in
                    guard let plain = try? oldBox.open(sealed) else {
                        throw CLIError("the old secret does not open every stored key and client secret; nothing was changed")
                    }
                    return try newBox.seal(plain)
                }
                try await context.audit(.keysResealed, target: nil, details: ["keys": String(count.keys), "secrets": String(count.secrets)])
                return count
            }
            print("re-sealed \(count.keys) key(s) and \(count.secrets) client secret(s) under the current GATEHOUSE_SECRET_KEY; restart the servers")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List signing keys (never their private halves).")

        func run() async throws {
            let keys = try await CommandContext.with { try await PGSigningKeyStore(pool: $0.pool).publishedKeys() }
            let format = ISO8601DateFormatter()
            func time(_ date: Date?) -> String { date.map(format.string(from:)) ?? "-" }
            print(["STATE", "ALG", "KID", "CREATED", "ACTIVATED", "RETIRED"].joined(separator: "\t"))
            for key in keys {
                print([key.state.rawValue, key.algorithm, key.kid, time(key.createdAt), time(key.activatedAt),
                       time(key.retiredAt)].joined(separator: "\t"))
            }
        }
    }

    static func requiredSecret() throws -> String {
        guard let secret = try Settings.load().secretKey else {
            throw CLIError("GATEHOUSE_SECRET_KEY (or GATEHOUSE_SECRET_KEY_FILE) is required: it seals the private keys in the database")
        }
        return secret
    }
}

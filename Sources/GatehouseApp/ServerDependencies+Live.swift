import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import PGClient

extension ServerDependencies {
    /// The composition root: wires the Postgres stores on `pool`, loads (or on
    /// first start creates) the signing key, and loads the templates. The
    /// server and the HTTP tests build their dependencies here.
    public static func live(
        settings: Settings, pool: WorkerPool, clock: any WallClock = SystemClock(),
        passwordHasher: PasswordHasher = PasswordHasher()
    ) async throws -> ServerDependencies {
        guard let secret = settings.secretKey else {
            throw Settings.Invalid(variable: "GATEHOUSE_SECRET_KEY",
                                   reason: "is required to serve: \(SecretKeyPolicy.howToMakeOne)")
        }
        let box = try SecretBox(secret: secret)
        let keyStore = PGSigningKeyStore(pool: pool)
        try await keyStore.ensureActiveKey(algorithm: "RS256") { try SigningKeyMaterial.generateRS256(sealingWith: box) }
        return ServerDependencies(
            settings: settings, clock: clock,
            users: PGUserStore(pool: pool, hasher: passwordHasher, clock: clock),
            clients: PGRelyingPartyStore(pool: pool),
            grants: PGGrantStore(pool: pool),
            sessions: PGSessionStore(pool: pool),
            consents: PGConsentStore(pool: pool),
            throttle: PGLoginThrottle(pool: pool),
            readiness: PGReadinessProbe(pool: pool, migrator: try? Migrator(directory: settings.sqlDirectory)),
            signer: try await IDTokenSigner(storedKeys: try await keyStore.publishedKeys(), box: box),
            pages: try await PageRenderer(overridesDirectory: settings.templatesDirectory, siteName: settings.siteName),
            box: box
        )
    }
}

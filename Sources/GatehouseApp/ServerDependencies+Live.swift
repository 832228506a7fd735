import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import PGClient

extension ServerDependencies {
    /// The composition root: wires the Postgres stores on `pool`, loads (or on
    /// first start creates) the signing keys, and loads the templates. The
    /// server and the HTTP tests build their dependencies here.
    public static func live(
        settings: Settings, pool: WorkerPool, clock: any WallClock = SystemClock(),
        passwordHasher: PasswordHasher = PasswordHasher()
    ) async throws -> ServerDependencies {
        let box = try settings.secretBox()
        let keyStore = PGSigningKeyStore(pool: pool)
        // One active key per algorithm from the first start, so any client
        // may be registered for any algorithm without a restart.
        try await keyStore.ensureActiveKeys(SigningAlgorithm.asymmetric, now: clock.now) { algorithm in
            try SigningKeyMaterial.generate(algorithm, sealingWith: box)
        }
        return ServerDependencies(
            settings: settings, clock: clock,
            users: PGUserStore(pool: pool, hasher: passwordHasher, clock: clock),
            clients: PGRelyingPartyStore(pool: pool, box: box),
            grants: PGGrantStore(pool: pool, auditRetention: settings.auditRetention),
            tokens: PGTokenStore(pool: pool),
            sessions: PGSessionStore(pool: pool),
            consents: PGConsentStore(pool: pool),
            throttle: PGLoginThrottle(pool: pool),
            readiness: PGReadinessProbe(pool: pool, migrator: try? Migrator(directory: settings.sqlDirectory)),
            keyRing: KeyRing(try await IDTokenSigner(storedKeys: try await keyStore.publishedKeys(), box: box), box: box),
            scopes: ScopeRegistry(ScopeCatalog(custom: try await PGScopeStore(pool: pool).list())),
            pages: try await PageRenderer(overridesDirectory: settings.templatesDirectory, siteName: settings.siteName, basePath: settings.basePath),
            audit: PGAuditLog(pool: pool, retention: settings.auditRetention),
            accounts: PGAccountStore(pool: pool),
            keys: keyStore,
            box: box
        )
    }
}

extension Settings {
    /// The box of `GATEHOUSE_SECRET_KEY`, which serving requires.
    public func secretBox() throws -> SecretBox {
        guard let secretKey else {
            throw Settings.Invalid(variable: "GATEHOUSE_SECRET_KEY",
                                   reason: "is required to serve: \(SecretKeyPolicy.howToMakeOne)")
        }
        return try SecretBox(secret: secretKey)
    }
}

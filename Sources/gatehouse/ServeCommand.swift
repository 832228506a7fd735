import ArgumentParser
import GatehouseCore
import GatehouseApp
import GatehouseHTTP
import GatehouseStore
import Hummingbird
import Logging
import PGClient
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve HTTP on $PORT (default 8000) until SIGTERM or SIGINT."
    )

    @Option(help: "Address to bind.") var host = "0.0.0.0"

    func run() async throws {
        let settings = try Settings.load()
        let registry = Observability.bootstrap(settings)
        let metrics = MetricsController(registry: registry)
        let logger = Logger(label: "gatehouse")
        let pool = WorkerPool(
            configuration: .init(
                conninfo: settings.databaseURL,
                size: settings.poolSize > 0 ? settings.poolSize : WorkerPool.Configuration.defaultSize,
                acquireTimeout: settings.poolTimeout,
                statementTimeout: settings.statementTimeout
            ),
            logger: logger
        )
        // The sweep has its own connection: a pass never takes a worker from requests.
        let sweepPool = WorkerPool(
            configuration: .init(conninfo: settings.databaseURL, size: 1, acquireTimeout: .seconds(60)),
            logger: logger
        )
        // So have the key rotation and the scope reload, so a long sweep pass never delays them.
        let keysPool = WorkerPool(
            configuration: .init(conninfo: settings.databaseURL, size: 1, acquireTimeout: .seconds(20)),
            logger: logger
        )
        try await pool.connectAll()
        let dependencies = try await ServerDependencies.live(settings: settings, pool: pool)
        let rotation = KeyRotationService(store: PGSigningKeyStore(pool: keysPool), ring: dependencies.keyRing,
                                          settings: settings, box: try settings.secretBox(), clock: SystemClock(),
                                          logger: Logger(label: "gatehouse.keys"),
                                          audit: PGAuditLog(pool: keysPool, retention: settings.auditRetention))
        let scopes = ScopeReloader(store: PGScopeStore(pool: keysPool), registry: dependencies.scopes,
                                   logger: Logger(label: "gatehouse.scopes"))
        var services: [any Service] = [
            PeriodicService(interval: Settings.keyReloadInterval) {
                await rotation.tick()
                await scopes.tick()
            },
        ]
        if settings.sweepInterval > .zero {
            services.append(ExpirySweepService(
                sweeper: ExpirySweeper(pool: sweepPool, batchSize: settings.sweepBatchSize,
                                       pauseRatio: settings.sweepPauseRatio),
                interval: settings.sweepInterval,
                logger: Logger(label: "gatehouse.sweep")
            ))
        }
        if let metricsPort = settings.metricsPort {
            // /metrics on its own port, so it can stay off the public network.
            services.append(Application(
                router: metrics.router(),
                configuration: .init(address: .hostname(host, port: metricsPort), serverName: "Gatehouse metrics"),
                logger: Logger(label: "gatehouse.metrics")
            ))
        }
        let app = GatehouseServer.makeApplication(
            dependencies: dependencies, host: host, services: services,
            metrics: settings.metricsPort == nil ? metrics : nil, logger: logger
        )
        logger.info("serving", metadata: [
            "issuer": "\(settings.issuer)", "port": "\(settings.port)", "pool": "\(pool.configuration.size)",
            "sweep_interval": "\(settings.sweepInterval.wholeSeconds)",
            "metrics_port": "\(settings.metricsPort.map(String.init) ?? "same")",
        ])
        try await app.runService()
        await sweepPool.shutdown()
        await keysPool.shutdown()
        await pool.shutdown()
    }
}

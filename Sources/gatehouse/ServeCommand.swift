import ArgumentParser
import GatehouseCore
import GatehouseHTTP
import Hummingbird
import Logging
import PGClient

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve HTTP on $PORT (default 8000) until SIGTERM or SIGINT."
    )

    @Option(help: "Address to bind.") var host = "0.0.0.0"

    func run() async throws {
        let settings = try Settings.load()
        let logger = Logger(label: "gatehouse")
        let pool = WorkerPool(
            configuration: .init(
                conninfo: settings.databaseURL,
                size: settings.poolSize > 0 ? settings.poolSize : WorkerPool.Configuration.defaultSize,
                acquireTimeout: .seconds(settings.poolTimeout)
            ),
            logger: logger
        )
        do {
            try await pool.connectAll()
            let dependencies = try await ServerDependencies.live(settings: settings, pool: pool)
            let app = GatehouseServer.makeApplication(dependencies: dependencies, host: host, logger: logger)
            logger.info("serving", metadata: [
                "issuer": "\(settings.issuer)", "port": "\(settings.port)", "pool": "\(pool.configuration.size)",
            ])
            try await app.runService()
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }
}

import GatehouseCore
import Hummingbird
import Logging
import PGClient

/// Builds the HTTP application.
public enum GatehouseServer {
    public static func makeApplication(
        settings: Settings,
        pool: WorkerPool,
        host: String = "0.0.0.0",
        logger: Logger = Logger(label: "gatehouse")
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(pool: pool),
            configuration: .init(address: .hostname(host, port: settings.port), serverName: "Gatehouse"),
            logger: logger
        )
    }

    public static func makeRouter(pool: WorkerPool) -> Router<BasicRequestContext> {
        let router = Router()
        HealthController(pool: pool).register(on: router)
        return router
    }
}

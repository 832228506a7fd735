import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import PGClient
import ServiceLifecycle

/// Builds the HTTP application.
public enum GatehouseServer {
    /// - Parameter services: run beside the server and shut down with it (the expiry sweep).
    public static func makeApplication(
        dependencies: ServerDependencies,
        host: String = "0.0.0.0",
        services: [any Service] = [],
        logger: Logger = Logger(label: "gatehouse")
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(dependencies: dependencies),
            configuration: .init(address: .hostname(host, port: dependencies.settings.port), serverName: "Gatehouse"),
            services: services,
            logger: logger
        )
    }

    /// Every route answers with and without a trailing slash (django-oidc-provider's
    /// URLs end in one): Hummingbird's router matches both forms of a path.
    public static func makeRouter(dependencies deps: ServerDependencies) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ErrorMappingMiddleware(pages: deps.pages))
        HealthController(pool: deps.pool).register(on: router)
        AuthorizeController(deps: deps).register(on: router)
        TokenController(deps: deps).register(on: router)
        UserInfoController(deps: deps).register(on: router)
        DiscoveryController(deps: deps).register(on: router)
        EndSessionController(deps: deps).register(on: router)
        return router
    }

    /// Only the health routes, for processes that serve nothing else.
    public static func makeHealthRouter(pool: WorkerPool) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        HealthController(pool: pool).register(on: router)
        return router
    }
}

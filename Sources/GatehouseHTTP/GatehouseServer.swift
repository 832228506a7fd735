import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the HTTP application.
public enum GatehouseServer {
    /// - Parameter services: run beside the server and shut down with it (the expiry sweep).
    public static func makeApplication(
        dependencies: ServerDependencies,
        host: String = "0.0.0.0",
        services: [any Service] = [],
        metrics: MetricsController? = nil,
        logger: Logger = Logger(label: "gatehouse")
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouting(dependencies: dependencies, metrics: metrics),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(dependencies.settings.idleTimeout.timeInterval * 1e9)))),
            configuration: .init(address: .hostname(host, port: dependencies.settings.port), serverName: "Gatehouse"),
            services: services,
            logger: logger
        )
    }

    /// Every route answers with and without a trailing slash (django-oidc-provider's
    /// URLs end in one): Hummingbird's router matches both forms of a path.
    /// - Parameter metrics: serves `/metrics` on this router when given (nil when
    ///   it has a port of its own, or when metrics are off).
    public static func makeRouter(dependencies deps: ServerDependencies, metrics: MetricsController? = nil) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: RequestLogMiddleware(trustedProxies: deps.settings.trustedProxies))
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SecurityHeadersMiddleware(hsts: deps.settings.issuerIsHTTPS))
        // Each family answers its errors in its own format (ErrorMappingMiddleware).
        let api = router.group().add(middleware: ErrorMappingMiddleware(family: .api, pages: deps.pages))
        let browser = router.group().add(middleware: ErrorMappingMiddleware(family: .browser, pages: deps.pages))
        HealthController(readiness: deps.readiness).register(on: api)
        metrics?.register(on: router)
        StaticAssets.register(on: api)
        TokenController(deps: deps).register(on: api)
        UserInfoController(deps: deps).register(on: api)
        IntrospectionController(deps: deps).register(on: api)
        RevocationController(deps: deps).register(on: api)
        DiscoveryController(deps: deps).register(on: api)
        AuthorizeController(deps: deps).register(on: browser)
        LoginController(deps: deps).register(on: browser)
        ConsentController(deps: deps).register(on: browser)
        EndSessionController(deps: deps).register(on: browser)
        AccountController(deps: deps).register(on: browser)
        AdminController(deps: deps).register(on: browser)
        return router
    }

    /// The router, served under the issuer's path too (`IssuerPathRouting`).
    public static func makeRouting(dependencies deps: ServerDependencies, metrics: MetricsController? = nil)
        -> IssuerPathRouting<Router<GatehouseRequestContext>> {
        IssuerPathRouting(base: deps.settings.basePath, router: makeRouter(dependencies: deps, metrics: metrics))
    }

    /// Only the health routes.
    public static func makeHealthRouter(readiness: any ReadinessProbe) -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        HealthController(readiness: readiness).register(on: router)
        return router
    }
}

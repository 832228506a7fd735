import Hummingbird
import Prometheus

/// `/metrics` in the Prometheus text format.
public struct MetricsController: Sendable {
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }

    /// A router that serves only `/metrics`, for `OIDC_METRICS_PORT`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        register(on: router)
        return router
    }
}

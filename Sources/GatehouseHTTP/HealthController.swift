import GatehouseCore
import Hummingbird

/// `/healthz`: the process answers. `/readyz`: the database answers and every
/// migration this build knows is applied, so a load balancer sends no traffic
/// to a replica that would fail.
struct HealthController {
    let readiness: any ReadinessProbe

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n", .ok) }
        router.get("/readyz") { _, _ in
            switch await readiness.check() {
            case .ready: Self.text("ready\n", .ok)
            case .migrationsPending: Self.text("migrations pending\n", .serviceUnavailable)
            case .databaseUnavailable: Self.text("database unavailable\n", .serviceUnavailable)
            }
        }
    }

    static func text(_ body: String, _ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

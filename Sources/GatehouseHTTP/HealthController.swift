import GatehouseStore
import Hummingbird
import PGClient

/// `/healthz`: the process answers. `/readyz`: the database answers and every
/// migration this build knows is applied, so a load balancer sends no traffic
/// to a replica that would fail.
struct HealthController {
    let pool: WorkerPool
    /// The migrations this build expects; nil when the sql directory is not shipped beside it.
    let migrator: Migrator?

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n", .ok) }
        router.get("/readyz") { _, _ in
            do {
                let ready = try await pool.withConnection { conn in
                    _ = try conn.query("SELECT 1")
                    return try migrator?.isUpToDate(conn) ?? true
                }
                return ready ? Self.text("ready\n", .ok) : Self.text("migrations pending\n", .serviceUnavailable)
            } catch {
                return Self.text("database unavailable\n", .serviceUnavailable)
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

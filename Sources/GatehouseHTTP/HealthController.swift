import HTTPTypes
import Hummingbird
import PGClient

/// `/healthz`: the process answers. `/readyz`: and the database does too.
struct HealthController {
    let pool: WorkerPool

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("/healthz") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in
            do {
                try await pool.withConnection { try $0.query("SELECT 1") }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "database unavailable\n")))
            }
        }
    }
}

import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import PGClient
import TestSupport
import Testing

@Suite("Health routes")
struct HealthTests {
    @Test("/healthz answers 200 without touching the database")
    func healthz() async throws {
        let pool = WorkerPool(configuration: .init(conninfo: "host=/tmp/gatehouse-no-such-dir port=1", size: 1))
        let app = Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: pool, migrator: nil)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        await pool.shutdown()
    }

    @Test("/readyz is 200 when the database answers and 503 when it does not")
    func readyz() async throws {
        let db = try await TestDatabase.create()
        let up = db.makePool(size: 1)
        let down = WorkerPool(configuration: .init(conninfo: "host=/tmp/gatehouse-no-such-dir port=1", size: 1))
        try await Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: up, migrator: nil))).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
        try await Application(router: GatehouseServer.makeHealthRouter(readiness: PGReadinessProbe(pool: down, migrator: nil))).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
        await up.shutdown()
        await down.shutdown()
    }
}

import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import Synchronization
import Testing

/// swift-metrics can be bootstrapped once per process; every test here shares it.
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// Collects every log line an application writes.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "capture") { label in
            JSONLogHandler(label: label, level: .trace, sink: { [weak self] line in self?.append(line) })
        }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Metrics and logs")
struct ObservabilityTests {
    @Test("/metrics is Prometheus text and counts requests and issued tokens")
    func metrics() async throws {
        let registry = TestMetrics.registry
        try await TestProvider.with { op in
            let (machine, secret) = try await op.createClient { $0.grantTypes = ["client_credentials"]; $0.scopes = ["api"] }
            let router = GatehouseServer.makeRouter(dependencies: op.deps, metrics: MetricsController(registry: registry))
            try await Application(router: router).test(.router) { http in
                let browser = Browser(http)
                let healthStatus = try await browser.get("/healthz").status
                #expect(healthStatus == .ok)
                let token = try await op.tokenRequest(browser, [("grant_type", "client_credentials")], basic: (machine.clientID, secret!))
                #expect(token.status == .ok)
                let page = try await browser.get("/metrics")
                #expect(page.status == .ok)
                #expect(page.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                // Every sample line is `name{labels} value`.
                let sample = try Regex(#"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$"#)
                for line in page.body.split(separator: "\n") where !line.hasPrefix("#") {
                    #expect(line.wholeMatch(of: sample) != nil, "not Prometheus text: \(line)")
                }
                let healthLine = page.body.split(separator: "\n").first { $0.hasPrefix("hb_requests") && $0.contains("/healthz") }
                #expect(healthLine != nil)
                #expect(Double(healthLine?.split(separator: " ").last ?? "0") ?? 0 >= 1)
                #expect(page.body.contains(#"gatehouse_tokens_issued_total{grant_type="client_credentials"}"#))
                #expect(page.body.contains("gatehouse_db_pool_wait_seconds"))
            }
        }
    }

    @Test("after a full sign-in flow the logs hold one line per request and no token, code, secret, password or cookie")
    func noSecretsInLogs() async throws {
        let capture = LogCapture()
        try await TestProvider.with { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            let app = Application(router: op.router, logger: capture.logger)
            let secrets: [String] = try await app.test(.router) { http in
                var secrets: [String] = [TestProvider.password, try #require(secret)]
                let browser = Browser(http)
                let code = try await op.obtainCode(browser, client)
                secrets.append(code)
                secrets.append(try #require(browser.cookie("gatehouse_session")))
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                for key in ["access_token", "refresh_token", "id_token"] { secrets.append(try #require(tokens.json[key] as? String)) }
                browser.cookie = nil
                let userinfoStatus = try await browser.get("/userinfo?access_token=\(secrets[4])").status
                #expect(userinfoStatus == .ok)
                let refreshed = try await op.tokenRequest(browser, [
                    ("grant_type", "refresh_token"), ("refresh_token", secrets[5]), ("client_id", client.clientID), ("client_secret", secret!),
                ])
                secrets.append(try #require(refreshed.json["access_token"] as? String))
                _ = try await op.exchange(browser, code: code, client: client, secret: "wrong-secret-value")
                return secrets
            }
            let lines = capture.all
            let requestLines = lines.filter { $0.contains("\"message\":\"request\"") }
            #expect(requestLines.count >= 8)
            #expect(requestLines.contains { $0.contains("\"route\":\"/token\"") && $0.contains("\"status\":\"200\"") })
            #expect(requestLines.allSatisfy { $0.contains("\"request_id\"") && $0.contains("\"duration_ms\"") && $0.contains("\"method\"") })
            for line in lines {
                for secret in secrets + ["wrong-secret-value"] {
                    #expect(!line.contains(secret), "a secret reached the log: \(line)")
                }
                #expect(!line.contains("access_token="), "a query string reached the log: \(line)")
            }
        }
    }

    @Test("LOG_FORMAT=json writes one JSON object per line")
    func jsonLines() throws {
        let capture = LogCapture()
        capture.logger.info("hello", metadata: ["key": "value \"quoted\""])
        let line = try #require(capture.all.first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "hello")
        #expect(object["key"] == "value \"quoted\"")
        #expect(object["level"] == "info")
        #expect(!line.contains("\n"))
    }
}

import Foundation
import GatehouseCore
import GatehouseHTTP
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics for `serve`, from LOG_FORMAT, LOG_LEVEL.
enum Observability {
    /// Bootstraps swift-log and swift-metrics (once per process) and returns
    /// the registry `/metrics` renders.
    static func bootstrap(_ settings: Settings) -> PrometheusCollectorRegistry {
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        if settings.logFormat == .json {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        } else {
            // The text handler stamps each line with local time. With TZ unset,
            // glibc stats /etc/localtime on every call (twice per log line,
            // 1.4% of the server's CPU under client_credentials load, seen
            // with strace and perf); naming the same file once lets it cache.
            if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}

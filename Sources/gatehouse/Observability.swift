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
        if settings.logFormat == "json" {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        } else {
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

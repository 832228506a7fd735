import CoreMetrics

/// The counters and timers Gatehouse records through swift-metrics; the
/// Prometheus exporter behind `/metrics` is chosen by the process at start.
enum ServerMetrics {
    static func tokenIssued(grantType: String) {
        Counter(label: "gatehouse_tokens_issued_total", dimensions: [("grant_type", grantType)]).increment()
    }

    static func introspected(active: Bool) {
        Counter(label: "gatehouse_introspections_total", dimensions: [("active", active ? "true" : "false")]).increment()
    }

    static func loginFailed() {
        Counter(label: "gatehouse_login_failures_total").increment()
    }
}

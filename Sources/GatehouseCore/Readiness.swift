/// Whether this replica should get traffic (`/readyz`).
public enum Readiness: Sendable, Equatable {
    case ready
    case migrationsPending
    case databaseUnavailable
}

public protocol ReadinessProbe: Sendable {
    func check() async -> Readiness
}

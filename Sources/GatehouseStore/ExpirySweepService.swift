import CoreMetrics
import Logging
import ServiceLifecycle

/// Runs an expiry sweep every `interval` while the server runs.
///
/// A failed pass is logged and tried again at the next tick; it never ends
/// the server. Graceful shutdown wakes the sleep and stops a running pass
/// between batches.
public struct ExpirySweepService: Service {
    let sweeper: ExpirySweeper
    let interval: Duration
    let logger: Logger

    public init(sweeper: ExpirySweeper, interval: Duration, logger: Logger) {
        self.sweeper = sweeper
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // shutting down
            }
            await tick()
        }
    }

    /// One pass, logged; errors are reported, not thrown.
    @discardableResult
    public func tick() async -> ExpirySweeper.Report? {
        do {
            let report = try await sweeper.sweep(shouldStop: { Task.isShuttingDownGracefully || Task.isCancelled })
            if report.skipped {
                logger.debug("sweep skipped: another replica is sweeping")
            } else {
                var metadata: Logger.Metadata = ["seconds": "\(report.seconds)", "total": "\(report.total)"]
                for (table, rows) in report.rows {
                    metadata["deleted_\(table)"] = "\(rows)"
                    Counter(label: "gatehouse_sweep_rows_deleted_total", dimensions: [("table", table)]).increment(by: rows)
                }
                CoreMetrics.Timer(label: "gatehouse_sweep_duration_seconds").recordNanoseconds(Int64(report.seconds * 1e9))
                logger.info("sweep finished", metadata: metadata)
            }
            return report
        } catch {
            logger.error("sweep failed; retrying at the next tick", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

import Foundation
import Synchronization

/// Runs `work` every `tick` on a thread of its own until stopped.
///
/// Not a Dispatch timer: the pool's workers are Dispatch queues that block in
/// libpq, so when many of them are blocked (an outage, or many pools in one
/// process) a timer on Dispatch's shared threads could wait seconds for a
/// thread, and the requests it should fail after `acquireTimeout` would wait
/// with it. A dedicated thread always runs.
final class Watchdog: Sendable {
    private let stopped = Atomic<Bool>(false)

    init(tick: Duration, work: @escaping @Sendable () -> Void) {
        let seconds = Double(tick.components.seconds) + Double(tick.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                Thread.sleep(forTimeInterval: seconds)
                work()
            }
        }
        thread.name = "gatehouse.pg.watchdog"
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
    }
}

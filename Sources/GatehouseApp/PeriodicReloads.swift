import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import Logging
import ServiceLifecycle

/// Inside `serve` (through `PeriodicService`): every
/// `Settings.keyReloadInterval`, one replica at a time applies the rotation
/// rules (`KeyRotation`), and every replica reloads the published keys, so a
/// rotation made anywhere reaches it within the interval.
public struct KeyRotationService: Sendable {
    let store: PGSigningKeyStore
    let ring: KeyRing
    let settings: Settings
    let box: SecretBox
    let clock: any WallClock
    let logger: Logger
    /// Where each key that becomes active is recorded.
    let audit: (any AuditLog)?

    public init(store: PGSigningKeyStore, ring: KeyRing, settings: Settings, box: SecretBox, clock: any WallClock,
                logger: Logger, audit: (any AuditLog)? = nil) {
        self.audit = audit
        self.store = store
        self.ring = ring
        self.settings = settings
        self.box = box
        self.clock = clock
        self.logger = logger
    }

    /// One rotation pass and one reload; failures are logged and tried again
    /// at the next tick (the keys in use keep signing meanwhile).
    @discardableResult
    public func tick() async -> PGSigningKeyStore.RotationReport? {
        var report: PGSigningKeyStore.RotationReport?
        do {
            let box = self.box
            let done = try await store.rotate(SigningAlgorithm.asymmetric, now: clock.now, policy: settings.keyRotationPolicy) {
                try SigningKeyMaterial.generate($0, sealingWith: box)
            }
            if done.changed {
                logger.notice("signing keys rotated", metadata: [
                    "created": "\(done.created)", "activated": "\(done.promoted)", "removed": "\(done.removed)",
                ])
            }
            report = done
            for kid in done.promoted {
                try await audit?.record(AuditEvent(at: clock.now, actor: .system, action: .keyRotated, target: "key:\(kid)",
                                                   details: ["by": "rotation service"]))
            }
        } catch {
            logger.error("key rotation failed; retrying at the next tick", metadata: ["error": "\(error)"])
        }
        do {
            if try await ring.reload(try await store.publishedKeys()) {
                logger.info("signing keys reloaded", metadata: ["kids": "\(ring.current.fingerprint)"])
            }
        } catch {
            logger.error("reloading signing keys failed; keeping the keys in use", metadata: ["error": "\(error)"])
        }
        return report
    }
}

/// Every replica reloads the operator's scopes, so `gatehouse scope create`
/// reaches discovery, consent and /userinfo within the reload interval.
public struct ScopeReloader: Sendable {
    let store: PGScopeStore
    let registry: ScopeRegistry
    let logger: Logger

    public init(store: PGScopeStore, registry: ScopeRegistry, logger: Logger) {
        self.store = store
        self.registry = registry
        self.logger = logger
    }

    public func tick() async {
        do {
            if registry.reload(try await store.list()) {
                logger.info("scopes reloaded", metadata: ["custom": "\(registry.current.custom.map(\.name))"])
            }
        } catch {
            logger.error("reloading scopes failed; keeping the scopes in use", metadata: ["error": "\(error)"])
        }
    }
}

/// Runs `tick` at once and then every `interval` until graceful shutdown.
/// A tick reports its own failures; it never ends the server.
public struct PeriodicService: Service {
    let interval: Duration
    let tick: @Sendable () async -> Void

    public init(interval: Duration, tick: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.tick = tick
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await tick()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // shutting down
            }
        }
    }
}

import Foundation

/// When signing keys are made, start signing and leave the JWKS.
///
/// Each algorithm has one active key (it signs) and one next key (published,
/// not yet signing). A next key signs only after every replica and every
/// relying party that caches the JWKS can have seen it; a retired key stays
/// published until every ID token it signed has expired.
public enum KeyRotation {
    public struct Policy: Sendable, Equatable {
        /// How long a key signs before the next one takes over (`OIDC_KEY_ROTATION_DAYS`).
        public var rotationPeriod: Duration
        /// How long a next key is published before it signs (`OIDC_KEY_PUBLISH_AHEAD`).
        public var publishAhead: Duration
        /// The longest an ID token lives (`OIDC_IDTOKEN_EXPIRE`).
        public var idTokenLifetime: Duration
        /// How long a replica may take to see a change (its reload interval)
        /// plus clock skew: added at both ends of a key's published life.
        public var propagation: Duration

        public init(rotationPeriod: Duration, publishAhead: Duration, idTokenLifetime: Duration, propagation: Duration) {
            self.rotationPeriod = rotationPeriod
            self.publishAhead = publishAhead
            self.idTokenLifetime = idTokenLifetime
            self.propagation = propagation
        }
    }

    /// One stored key of one algorithm, as the rules see it.
    public struct Key: Sendable, Equatable {
        public var kid: String
        public var state: SigningKeyState
        public var createdAt: Date
        public var activatedAt: Date?
        public var retiredAt: Date?
        public var promoteAfter: Date?

        public init(kid: String, state: SigningKeyState, createdAt: Date, activatedAt: Date? = nil,
                    retiredAt: Date? = nil, promoteAfter: Date? = nil) {
            self.kid = kid
            self.state = state
            self.createdAt = createdAt
            self.activatedAt = activatedAt
            self.retiredAt = retiredAt
            self.promoteAfter = promoteAfter
        }
    }

    public enum Step: Sendable, Equatable {
        /// Make a new next key.
        case createNext
        /// The next key `kid` becomes active; the active key (if any) retires.
        case promote(kid: String)
        /// A retired key whose ID tokens have all expired leaves the JWKS (and the database).
        case remove(kid: String)
    }

    /// Whether `next` has been published long enough to sign: every replica
    /// has loaded it and relying parties caching the JWKS have had `publishAhead`.
    public static func isPublishedLongEnough(_ next: Key, now: Date, policy: Policy) -> Bool {
        now >= next.createdAt.addingTimeInterval((policy.publishAhead + policy.propagation).timeInterval)
    }

    /// Until when a retired key must stay published: a replica may sign with
    /// it until it sees the retirement, and what it signed lives an ID token's lifetime.
    public static func publishedUntil(retiredAt: Date, policy: Policy) -> Date {
        retiredAt.addingTimeInterval((policy.idTokenLifetime + policy.propagation * 2).timeInterval)
    }

    /// What to do now for the keys of one algorithm, in order.
    public static func plan(_ keys: [Key], now: Date, policy: Policy) -> [Step] {
        var steps: [Step] = []
        for key in keys where key.state == .retired {
            if now >= publishedUntil(retiredAt: key.retiredAt ?? key.createdAt, policy: policy) {
                steps.append(.remove(kid: key.kid))
            }
        }
        let active = keys.first { $0.state == .active }
        // The newest next key; there is normally one.
        let next = keys.filter { $0.state == .next }.max { $0.createdAt < $1.createdAt }
        guard let next else {
            steps.append(.createNext)
            return steps
        }
        guard let active else {
            // Nothing signs: waiting would only break sign-ins.
            return steps + [.promote(kid: next.kid), .createNext]
        }
        let due = now >= (active.activatedAt ?? active.createdAt).addingTimeInterval(policy.rotationPeriod.timeInterval)
        let requested = next.promoteAfter.map { now >= $0 } ?? false
        if (due || requested) && isPublishedLongEnough(next, now: now, policy: policy) {
            steps += [.promote(kid: next.kid), .createNext]
        }
        return steps
    }

    /// When a next key created at `createdAt` may sign at the earliest.
    public static func earliestPromotion(of next: Key, policy: Policy) -> Date {
        next.createdAt.addingTimeInterval((policy.publishAhead + policy.propagation).timeInterval)
    }
}

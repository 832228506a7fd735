import Foundation
import GatehouseCore
import Testing

/// `KeyRotation.plan`: when keys are made, start signing and leave the JWKS.
@Suite("Key rotation rules")
struct KeyRotationRuleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400
    static let policy = KeyRotation.Policy(rotationPeriod: .days(90), publishAhead: .seconds(86_400),
                                           idTokenLifetime: .seconds(600), propagation: .seconds(330))

    static func plan(_ keys: [KeyRotation.Key], at offset: TimeInterval) -> [KeyRotation.Step] {
        KeyRotation.plan(keys, now: t0.addingTimeInterval(offset), policy: policy)
    }

    let active = KeyRotation.Key(kid: "A", state: .active, createdAt: t0, activatedAt: t0)
    let next = KeyRotation.Key(kid: "N", state: .next, createdAt: t0)

    @Test("an algorithm without a next key gets one; with one and a young active key nothing happens")
    func nextKeyMade() {
        #expect(Self.plan([active], at: 0) == [.createNext])
        #expect(Self.plan([active, next], at: 89 * Self.day).isEmpty)
    }

    @Test("at the rotation period the next key becomes active and a new next key is made")
    func rotationWhenDue() {
        #expect(Self.plan([active, next], at: 90 * Self.day) == [.promote(kid: "N"), .createNext])
    }

    @Test("a next key signs only after OIDC_KEY_PUBLISH_AHEAD plus propagation, even when rotation is due or requested")
    func publishAheadHonoured() {
        var young = next
        young.createdAt = Self.t0.addingTimeInterval(90 * Self.day)
        young.promoteAfter = young.createdAt
        let ready = 90 * Self.day + Self.day + 330
        #expect(Self.plan([active, young], at: ready - 1).isEmpty)
        #expect(Self.plan([active, young], at: ready) == [.promote(kid: "N"), .createNext])
        #expect(KeyRotation.earliestPromotion(of: young, policy: Self.policy) == Self.t0.addingTimeInterval(ready))
    }

    @Test("a requested rotation (keys rotate) does not wait for the rotation period")
    func requested() {
        var asked = next
        asked.promoteAfter = Self.t0.addingTimeInterval(Self.day)
        #expect(Self.plan([active, asked], at: Self.day + 330) == [.promote(kid: "N"), .createNext])
    }

    @Test("a retired key stays until its last ID token expired (plus propagation twice), then leaves")
    func retiredKeyRemoved() {
        let retired = KeyRotation.Key(kid: "R", state: .retired, createdAt: Self.t0, activatedAt: Self.t0,
                                      retiredAt: Self.t0.addingTimeInterval(Self.day))
        let leaves = Self.day + 600 + 660
        #expect(Self.plan([retired, active, next], at: leaves - 1).isEmpty)
        #expect(Self.plan([retired, active, next], at: leaves) == [.remove(kid: "R")])
    }

    @Test("with no active key, the next key signs at once: waiting would only break sign-ins")
    func noActiveKey() {
        #expect(Self.plan([next], at: 0) == [.promote(kid: "N"), .createNext])
    }
}

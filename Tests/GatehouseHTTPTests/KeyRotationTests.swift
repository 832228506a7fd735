import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Testing

/// Keys that rotate themselves, driven by a fixed clock.
@Suite("Signing keys rotate themselves")
struct KeyRotationTests {
    static let day: TimeInterval = 86_400

    func service(_ op: TestProvider, ring: KeyRing? = nil) throws -> KeyRotationService {
        KeyRotationService(store: PGSigningKeyStore(pool: op.pool), ring: ring ?? op.deps.keyRing, settings: op.settings,
                           box: try SecretBox(secret: op.settings.secretKey!), clock: op.clock,
                           logger: Logger(label: "test.keys"))
    }

    /// The number of active keys per algorithm, from the table.
    func activeKeys(_ op: TestProvider) async throws -> [String: Int] {
        try await op.pool.withConnection { conn in
            Dictionary(uniqueKeysWithValues: try conn.query(
                "SELECT algorithm, count(*) FILTER (WHERE state = 'active') FROM signing_keys GROUP BY algorithm"
            ).rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) })
        }
    }

    func kid(of token: String) throws -> String {
        let header = try #require(Base64URL.decode(String(token.split(separator: ".")[0])))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])
        return try #require(json["kid"] as? String)
    }

    @Test("an ID token signed before a rotation verifies with the JWKS fetched after it until it expires; the JWKS never lacks a live token's key; one active key per algorithm; a second replica follows")
    func rotationKeepsLiveTokensVerifiable() async throws {
        try await TestProvider.with({ $0.idTokenExpire = .seconds(600) }) { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient { $0.requireConsent = false }
            let rotation = try service(op)
            // A second replica: its own dependencies (and key ring) on the same database.
            let replica = try await ServerDependencies.live(settings: op.settings, pool: op.pool, clock: op.clock,
                                                            passwordHasher: PasswordHasher(parameters: .fastForTests))
            let replicaRotation = try service(op, ring: replica.keyRing)
            try await op.app().test(.router) { http in
                let browser = Browser(http)
                /// Live ID tokens (token, expiry) whose keys must stay published.
                var live: [(token: String, exp: Int)] = []
                func signIn() async throws -> String {
                    let code = try await op.obtainCode(browser, client, extra: [("nonce", "n")])
                    let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                    let token = try #require(tokens.json["id_token"] as? String)
                    live.append((token, Int(op.clock.now.timeIntervalSince1970) + 600))
                    return token
                }
                /// After each step: every live token verifies with the JWKS served now, and one key per algorithm is active.
                func checkInvariants(_ step: String) async throws {
                    let jwks = try await browser.get("/jwks").body
                    let keys = try await JWTKeyCollection().add(jwksJSON: jwks)
                    let now = Int(op.clock.now.timeIntervalSince1970)
                    for (token, exp) in live where exp > now {
                        let verified = try? await keys.verify(token, as: IDTokenClaims.self)
                        #expect(verified != nil, "\(step): a live ID token signed by \((try? kid(of: token)) ?? "?") no longer verifies")
                    }
                    #expect(try await activeKeys(op) == ["RS256": 1, "ES256": 1, "EdDSA": 1], "\(step)")
                }

                let first = try await signIn()
                let firstKid = try kid(of: first)
                // First pass: a next key per algorithm, published at once, not yet signing.
                let created = try #require(await rotation.tick())
                #expect(created.created.count == 3 && created.promoted.isEmpty)
                let nextKid = try await op.pool.withConnection { conn in
                    try conn.query("SELECT kid FROM signing_keys WHERE algorithm = 'RS256' AND state = 'next'").first!
                        .decode(String.self, at: 0)
                }
                #expect(try await browser.get("/jwks").body.contains(nextKid))
                let second = try await signIn()
                #expect(try kid(of: second) == firstKid)
                try await checkInvariants("next key published")

                // A minute before day 90: not due yet.
                op.clock.advance(by: 90 * Self.day - 60)
                #expect(try #require(await rotation.tick()).promoted.isEmpty)
                let beforeRotation = try await signIn()
                #expect(try kid(of: beforeRotation) == firstKid)

                // Day 90: the next key (published for 90 days) becomes active; the old one retires
                // while the ID token signed a minute ago has nine minutes to live.
                // (A millisecond past each boundary: stored times are rounded to the microsecond.)
                op.clock.advance(by: 60.001)
                let rotated = try #require(await rotation.tick())
                #expect(rotated.promoted.count == 3 && rotated.created.count == 3)
                #expect(rotated.promoted.contains(nextKid))
                let afterRotation = try await signIn()
                #expect(try kid(of: afterRotation) == nextKid)
                #expect(live.contains { $0.token == beforeRotation && $0.exp > Int(op.clock.now.timeIntervalSince1970) })
                try await checkInvariants("just after the rotation")
                // The token signed before the rotation still verifies with the JWKS fetched after it.
                let jwks = try await browser.get("/jwks").body
                #expect(jwks.contains(firstKid))
                #expect((try? await JWTKeyCollection().add(jwksJSON: jwks).verify(beforeRotation, as: IDTokenClaims.self)) != nil)

                // The other replica signs with the new key after its own pass (within Settings.keyReloadInterval).
                let replicaSigner = replica.signer
                #expect(try kid(of: try replicaSigner.sign(IDTokenClaims(
                    issuer: "i", subject: "s", audience: client.clientID, issuedAt: op.clock.now, lifetime: .seconds(60),
                    authTime: nil, nonce: nil, accessToken: nil), for: client)) == firstKid)
                let replicaPass = try #require(await replicaRotation.tick())
                #expect(!replicaPass.changed)  // the rotation was already done; this replica only reloads
                #expect(try kid(of: try replica.signer.sign(IDTokenClaims(
                    issuer: "i", subject: "s", audience: client.clientID, issuedAt: op.clock.now, lifetime: .seconds(60),
                    authTime: nil, nonce: nil, accessToken: nil), for: client)) == nextKid)

                // While the old key's last ID token may live, the old key stays published.
                let policy = op.settings.keyRotationPolicy
                let until = KeyRotation.publishedUntil(retiredAt: op.clock.now, policy: policy)
                op.clock.advance(by: until.timeIntervalSince(op.clock.now) - 1)
                #expect(try #require(await rotation.tick()).removed.isEmpty)
                #expect(try await browser.get("/jwks").body.contains(firstKid))
                try await checkInvariants("just before the old key leaves")
                op.clock.advance(by: 1.001)
                let removed = try #require(await rotation.tick())
                #expect(removed.removed.contains(firstKid))
                #expect(!(try await browser.get("/jwks").body.contains(firstKid)))
                #expect(!(try await browser.get("/jwks").body.contains(try kid(of: beforeRotation))))
                try await checkInvariants("after the old key left")
            }
        }
    }

    @Test("keys rotate without --now publishes first: the next key signs only after OIDC_KEY_PUBLISH_AHEAD, with --now at once")
    func requestedRotationWaitsForPublication() async throws {
        try await TestProvider.with { op in
            let rotation = try service(op)
            let store = PGSigningKeyStore(pool: op.pool)
            let box = try SecretBox(secret: op.settings.secretKey!)
            let policy = op.settings.keyRotationPolicy
            let activeBefore = op.deps.signer.fingerprint.first { $0.hasSuffix(":active") }
            let (kid, signsFrom) = try await store.requestRotation(
                .es256, immediately: false, now: op.clock.now, policy: policy, check: { _ in },
                make: { try SigningKeyMaterial.generate($0, sealingWith: box) })
            #expect(signsFrom == op.clock.now.addingTimeInterval((policy.publishAhead + policy.propagation).timeInterval))
            #expect(try #require(await rotation.tick()).promoted.isEmpty)  // published, not signing
            #expect(op.deps.signer.jwksJSON.contains(kid))
            op.clock.advance(by: signsFrom.timeIntervalSince(op.clock.now) - 1)
            #expect(try #require(await rotation.tick()).promoted.isEmpty)
            // A millisecond past the boundary: stored times are rounded to the microsecond.
            op.clock.advance(by: 1.001)
            #expect(try #require(await rotation.tick()).promoted == [kid])
            #expect(op.deps.signer.fingerprint.contains("\(kid):active"))
            #expect(op.deps.signer.fingerprint.first { $0.hasSuffix(":active") } != nil && activeBefore != nil)

            let (now, _) = try await store.requestRotation(
                .edDSA, immediately: true, now: op.clock.now, policy: policy, check: { _ in },
                make: { try SigningKeyMaterial.generate($0, sealingWith: box) })
            await rotation.tick()
            #expect(op.deps.signer.fingerprint.contains("\(now):active"))
            #expect(try await activeKeys(op) == ["RS256": 1, "ES256": 1, "EdDSA": 1])
        }
    }
}

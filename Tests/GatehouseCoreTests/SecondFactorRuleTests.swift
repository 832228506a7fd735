import Foundation
import GatehouseCore
import Testing

@Suite("TOTP (RFC 6238) and recovery codes")
struct SecondFactorRuleTests {
    /// RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890".
    static let rfc = TOTP(secret: Array("12345678901234567890".utf8))

    @Test("RFC 6238 Appendix B vectors (8 digits), and the 6-digit codes authenticator apps show")
    func vectors() {
        let vectors: [(TimeInterval, String)] = [(59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
                                                 (1_234_567_890, "89005924"), (2_000_000_000, "69279037"),
                                                 (20_000_000_000, "65353130")]
        for (time, expected) in vectors {
            let counter = TOTP.counter(at: Date(timeIntervalSince1970: time))
            #expect(Self.rfc.code(counter: counter, digits: 8) == expected, "T=\(time)")
            #expect(Self.rfc.code(at: Date(timeIntervalSince1970: time)) == String(expected.suffix(6)), "T=\(time)")
        }
        #expect(Self.rfc.base32Secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    }

    @Test("a code is accepted one step either side of now, once; malformed input never matches")
    func verification() {
        let now = Date(timeIntervalSince1970: 1_111_111_111)
        let step = TOTP.counter(at: now)
        let code = Self.rfc.code(at: now)
        #expect(Self.rfc.matchingStep(code, now: now, lastUsed: nil) == step)
        #expect(Self.rfc.matchingStep(code, now: now.addingTimeInterval(30), lastUsed: nil) == step)  // the clock drifted one step
        #expect(Self.rfc.matchingStep(code, now: now.addingTimeInterval(90), lastUsed: nil) == nil)
        #expect(Self.rfc.matchingStep(code, now: now, lastUsed: step) == nil)  // used already
        #expect(Self.rfc.matchingStep(String(code.prefix(3)) + " " + String(code.suffix(3)), now: now, lastUsed: nil) == step)
        for bad in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            #expect(Self.rfc.matchingStep(bad, now: now, lastUsed: nil) == nil, "\(bad)")
        }
    }

    @Test("the otpauth URI names issuer and account, escaped; new secrets are 160 bits and differ")
    func provisioning() {
        let uri = Self.rfc.provisioningURI(account: "ada lovelace", issuer: "Gatehouse & Co")
        #expect(uri == "otpauth://totp/Gatehouse%20%26%20Co:ada%20lovelace?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse%20%26%20Co&algorithm=SHA1&digits=6&period=30")
        let a = TOTP.generate(), b = TOTP.generate()
        #expect(a.secret.count == 20 && a != b)
    }

    @Test("recovery codes: ten, distinct, xxxxx-xxxxx; typed any way they match their digest")
    func recoveryCodes() {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10 && Set(codes).count == 10)
        #expect(codes.allSatisfy { $0.count == 11 && $0.dropFirst(5).first == "-" })
        let code = codes[0]
        #expect(RecoveryCodes.digest(code.uppercased().replacingOccurrences(of: "-", with: " ")) == RecoveryCodes.digest(code))
    }
}

@Suite("Who may use the admin console")
struct ConsoleAccessRuleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func user(admin: Bool = true, active: Bool = true) -> User {
        User(id: 1, subject: "s", username: "root", profile: UserProfile(), isActive: active, createdAt: now, updatedAt: now,
             lastLoginAt: nil, isAdmin: admin)
    }

    @Test("signed out, not admin, disabled, no authenticator, not verified, lapsed, allowed")
    func decisions() {
        func decide(_ user: User?, totp: Bool = true, verified: TimeInterval? = -10, seen: TimeInterval? = nil) -> ConsoleAccess.Decision {
            ConsoleAccess.decide(.init(user: user, totpEnabled: totp, secondFactorAt: verified.map { Self.now.addingTimeInterval($0) },
                                       consoleSeenAt: seen.map { Self.now.addingTimeInterval($0) }),
                                 now: Self.now, inactivity: .seconds(900))
        }
        #expect(decide(nil) == .signIn)
        #expect(decide(Self.user(admin: false)) == .forbidden)
        #expect(decide(Self.user(active: false)) == .forbidden)
        #expect(decide(Self.user(), totp: false) == .enrollSecondFactor)
        #expect(decide(Self.user(), verified: nil) == .verifySecondFactor)
        #expect(decide(Self.user(), verified: -901) == .verifySecondFactor)
        #expect(decide(Self.user(), verified: -5000, seen: -899) == .allow)
        #expect(decide(Self.user(), verified: -5000, seen: -901) == .verifySecondFactor)
        #expect(decide(Self.user()) == .allow)
    }

    @Test("sensitive actions ask for the password once the sign-in is older than five minutes")
    func reauthentication() {
        #expect(!ConsoleAccess.needsPassword(authTime: Self.now.addingTimeInterval(-299), now: Self.now))
        #expect(ConsoleAccess.needsPassword(authTime: Self.now.addingTimeInterval(-301), now: Self.now))
        #expect(ConsoleAccess.needsPassword(authTime: nil, now: Self.now))
    }
}

import GatehouseCore
import Testing

@Suite("Passwords are hashed with scrypt in PHC format")
struct PasswordHasherTests {
    let hasher = PasswordHasher(parameters: .fastForTests)

    @Test("a hash verifies its password and no other")
    func verifies() throws {
        let hash = try hasher.hash("correct horse")
        #expect(hasher.verify("correct horse", against: hash) == .init(matches: true, needsRehash: false))
        #expect(hasher.verify("correct horsE", against: hash).matches == false)
    }

    @Test("the hash is a PHC string carrying its parameters and a random salt")
    func phcFormat() throws {
        let a = try hasher.hash("pw")
        let b = try hasher.hash("pw")
        #expect(a.hasPrefix("$scrypt$ln=4,r=1,p=1$"))
        #expect(a.split(separator: "$").count == 4)
        #expect(a != b)  // fresh salt each time
        #expect(!a.contains("pw$") && !a.hasSuffix("pw"))
    }

    @Test("a hash made with other parameters still verifies and asks to be rehashed")
    func rehashWhenParametersChange() throws {
        let old = try PasswordHasher(parameters: .init(logN: 5, r: 1, p: 1)).hash("pw")
        let result = hasher.verify("pw", against: old)
        #expect(result.matches)
        #expect(result.needsRehash)
        #expect(hasher.verify("wrong", against: old).needsRehash == false)
    }

    @Test("passwords: the standard parameters are scrypt N=2^17, r=8, p=1, and an N=2^15 hash asks to be upgraded")
    func standardParameters() throws {
        let hash = try PasswordHasher().hash("pw")
        #expect(hash.hasPrefix("$scrypt$ln=17,r=8,p=1$"))
        let old = try PasswordHasher(parameters: .init(logN: 15, r: 8, p: 1)).hash("pw")
        #expect(PasswordHasher().verify("pw", against: old) == .init(matches: true, needsRehash: true))
        #expect(PasswordHasher().verify("pw", against: hash).matches)
    }

    @Test("malformed stored hashes never match")
    func malformed() {
        for stored in ["", "plain", "$scrypt$ln=4,r=1,p=1$$", "$scrypt$ln=99,r=1,p=1$AAAA$AAAA", "$bcrypt$x$y$z"] {
            #expect(hasher.verify("pw", against: stored).matches == false)
        }
    }

    @Test("empty and over-long passwords are refused")
    func refusedPasswords() {
        #expect(throws: PasswordHasher.Failure.emptyPassword) { try hasher.hash("") }
        #expect(throws: PasswordHasher.Failure.passwordTooLong) { try hasher.hash(String(repeating: "a", count: 1025)) }
        #expect(hasher.verify("", against: (try? hasher.hash("x")) ?? "").matches == false)
    }
}

/// Django's PBKDF2 hashes, for users carried over from django-oidc-provider.
/// The vectors were made with Python's hashlib.pbkdf2_hmac, as Django does:
/// `base64(pbkdf2_hmac(alg, password, salt, iterations))`.
@Suite("Django password hashes verify, then ask to become scrypt")
struct DjangoPasswordHashTests {
    let hasher = PasswordHasher(parameters: .fastForTests)

    @Test("pbkdf2_sha256 and pbkdf2_sha1 verify the right password, refuse a wrong one, and ask for a rehash")
    func pbkdf2() {
        for stored in ["pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
                       "pbkdf2_sha1$1000$seasalt$ljleU4wBmTtz/MoG5YTwxpM0d7I="] {
            #expect(hasher.verify("lètmein", against: stored) == .init(matches: true, needsRehash: true), "\(stored)")
            #expect(hasher.verify("letmein", against: stored) == .init(matches: false, needsRehash: false), "\(stored)")
        }
        // Django 5.0's iteration count.
        #expect(hasher.verify("correct horse battery staple",
                              against: "pbkdf2_sha256$720000$Zq3XvBfJ1kLm$4FQccfIc/ojue09ZUJnZgd3eu1sRBC2G9LeQ/6SKEQM=").matches)
    }

    @Test("unusable, unknown and malformed Django hashes never match")
    func unusable() {
        for stored in ["!", "!abcdef", "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
                       "bcrypt_sha256$$2b$12$abc", "pbkdf2_sha256$0$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
                       "pbkdf2_sha256$99999999999$s$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
                       "pbkdf2_sha256$1000$seasalt$short", "pbkdf2_md5$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A="] {
            #expect(!hasher.verify("lètmein", against: stored).matches, "\(stored)")
        }
    }
}

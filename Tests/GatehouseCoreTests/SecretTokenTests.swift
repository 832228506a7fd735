import Foundation
import GatehouseCore
import Testing

@Suite("Secrets are random, shown once, and stored as digests")
struct SecretTokenTests {
    @Test("a secret carries 256 bits as 43 base64url characters")
    func shape() {
        let secret = SecretToken.generate()
        #expect(secret.count == 43)
        #expect(secret.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(Base64URL.decode(secret)?.count == 32)
    }

    @Test("secrets do not repeat")
    func unique() {
        let secrets = Set((0..<1000).map { _ in SecretToken.generate() })
        #expect(secrets.count == 1000)
    }

    @Test("the digest is SHA-256 of the secret's UTF-8 bytes")
    func digest() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let expected: [UInt8] = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
            0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
        ]
        #expect(SecretToken.digest(of: "abc") == expected)
    }

    @Test("constant-time comparison agrees with equality")
    func compare() {
        #expect(SecretToken.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!SecretToken.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!SecretToken.constantTimeEquals([1, 2, 3], [1, 2]))
    }

    @Test("base64url matches Foundation's base64 with the URL alphabet and no padding, for every length up to 40")
    func base64URLAgainstFoundation() {
        for length in 0...40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected)
            #expect(Base64URL.decode(expected) == bytes)
        }
    }
}

@Suite("Client ids")
struct ClientIDTests {
    @Test("a client_id never starts with '-', so the command line never takes it for an option; 24 base64url characters")
    func neverAnOption() {
        for _ in 0..<2000 {
            let id = SecretToken.generateClientID()
            #expect(!id.hasPrefix("-"))
            #expect(id.count == 24)
        }
    }
}

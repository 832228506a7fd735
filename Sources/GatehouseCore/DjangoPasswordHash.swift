import Crypto
import _CryptoExtras
import Foundation

/// A password hash as Django stores it: `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`
/// (Django's default hasher) or `pbkdf2_sha1$…`. Users carried over from
/// django-oidc-provider keep theirs until their first sign-in, which
/// replaces it with scrypt (`PasswordHasher.verify` asks for a rehash).
struct DjangoPasswordHash {
    let hashFunction: KDF.Insecure.PBKDF2.HashFunction
    let iterations: Int
    let salt: String
    let hash: [UInt8]

    /// Django's iteration counts range from 10,000 (old releases) to about a
    /// million; a stored hash asking for more is refused rather than run.
    static let iterationRange = 1...10_000_000

    init?(_ text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, let iterations = Int(parts[1]), Self.iterationRange.contains(iterations),
              !parts[2].isEmpty, let hash = Data(base64Encoded: String(parts[3])).map(Array.init)
        else { return nil }
        switch parts[0] {
        case "pbkdf2_sha256" where hash.count == 32: hashFunction = .sha256
        case "pbkdf2_sha1" where hash.count == 20: hashFunction = .insecureSHA1
        default: return nil
        }
        self.iterations = iterations
        self.salt = String(parts[2])
        self.hash = hash
    }

    /// Whether `password` derives the stored hash, compared in constant time.
    func matches(_ password: String) -> Bool {
        guard let key = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: Array(salt.utf8), using: hashFunction,
            outputByteCount: hash.count, unsafeUncheckedRounds: iterations)
        else { return false }
        return SecretToken.constantTimeEquals(key.withUnsafeBytes { Array($0) }, hash)
    }
}

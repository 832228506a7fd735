import Crypto
import _CryptoExtras
import Foundation

/// Hashes and verifies user passwords with scrypt.
///
/// Hashes are PHC strings that carry their own parameters and salt,
/// `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without padding), so the
/// cost can be raised later: `verify` reports `needsRehash` for a hash made
/// with other parameters, and the caller stores a new one after a good login.
public struct PasswordHasher: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// log2 of scrypt's N (CPU/memory cost).
        public var logN: Int
        /// Block size r.
        public var r: Int
        /// Parallelism p.
        public var p: Int

        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }

        /// N = 2^17, r = 8, p = 1: 128 MiB per hash, OWASP's recommended
        /// minimum for scrypt. Hashes made with older parameters are
        /// replaced at the user's next sign-in (`needsRehash`).
        public static let standard = Parameters(logN: 17, r: 8, p: 1)
        /// Cheap parameters for tests only.
        public static let fastForTests = Parameters(logN: 4, r: 1, p: 1)
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case emptyPassword
        case passwordTooLong
        public var description: String {
            switch self {
            case .emptyPassword: "the password is empty"
            case .passwordTooLong: "the password is longer than \(PasswordHasher.maximumLength) bytes"
            }
        }
    }

    public struct Verification: Sendable, Equatable {
        public let matches: Bool
        /// The stored hash used other parameters than the current ones.
        public let needsRehash: Bool

        public init(matches: Bool, needsRehash: Bool) {
            self.matches = matches
            self.needsRehash = needsRehash
        }
    }

    /// Longer passwords are refused so a request cannot make hashing expensive.
    public static let maximumLength = 1024
    static let saltLength = 16
    static let keyLength = 32

    public let parameters: Parameters

    public init(parameters: Parameters = .standard) {
        self.parameters = parameters
    }

    /// A new PHC string for `password`, with a fresh random salt.
    public func hash(_ password: String) throws -> String {
        try Self.check(password)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = try Self.derive(password, salt: salt, parameters: parameters)
        return "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$"
            + Self.b64(salt) + "$" + Self.b64(key)
    }

    /// Checks `password` against a stored PHC string in constant time.
    /// A malformed stored hash never matches. A Django PBKDF2 hash (a user
    /// imported from django-oidc-provider) is verified too, and always asks
    /// for a rehash, so the first sign-in stores scrypt instead.
    public func verify(_ password: String, against stored: String) -> Verification {
        if let django = DjangoPasswordHash(stored) {
            guard (try? Self.check(password)) != nil else { return Verification(matches: false, needsRehash: false) }
            let matches = django.matches(password)
            return Verification(matches: matches, needsRehash: matches)
        }
        guard let phc = PHC(stored) else {
            // An unusable or unverifiable hash (an imported user who must reset)
            // costs what a wrong password does, so timing does not single it out.
            burnVerificationTime(password)
            return Verification(matches: false, needsRehash: false)
        }
        guard (try? Self.check(password)) != nil,
              let key = try? Self.derive(password, salt: phc.salt, parameters: phc.parameters)
        else { return Verification(matches: false, needsRehash: false) }
        let matches = SecretToken.constantTimeEquals(key, phc.key)
        return Verification(matches: matches, needsRehash: matches && phc.parameters != parameters)
    }

    /// Whether `stored` is a hash Gatehouse made (scrypt), as opposed to one
    /// carried over from Django or an unusable marker.
    public static func isNativeHash(_ stored: String) -> Bool {
        PHC(stored) != nil
    }

    /// Spends the time of one verification without a hash to check, so an
    /// unknown username costs what a wrong password does.
    public func burnVerificationTime(_ password: String) {
        _ = try? Self.derive(password.isEmpty ? "x" : password, salt: [UInt8](repeating: 0, count: Self.saltLength), parameters: parameters)
    }

    private static func check(_ password: String) throws {
        if password.isEmpty { throw Failure.emptyPassword }
        if password.utf8.count > maximumLength { throw Failure.passwordTooLong }
    }

    private static func derive(_ password: String, salt: [UInt8], parameters: Parameters) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            outputByteCount: keyLength,
            rounds: 1 << parameters.logN,
            blockSize: parameters.r,
            parallelism: parameters.p
        )
        return key.withUnsafeBytes { Array($0) }
    }

    private static func b64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// A parsed `$scrypt$ln=…,r=…,p=…$salt$hash` string.
    private struct PHC {
        let parameters: Parameters
        let salt: [UInt8]
        let key: [UInt8]

        init?(_ text: String) {
            let parts = text.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
            var values: [Substring: Int] = [:]
            for pair in parts[2].split(separator: ",") {
                let kv = pair.split(separator: "=")
                guard kv.count == 2, let v = Int(kv[1]) else { return nil }
                values[kv[0]] = v
            }
            guard let ln = values["ln"], let r = values["r"], let p = values["p"],
                  (1...24).contains(ln), (1...64).contains(r), (1...16).contains(p),
                  let salt = PHC.unb64(parts[3]), let key = PHC.unb64(parts[4]), key.count == keyLength
            else { return nil }
            self.parameters = Parameters(logN: ln, r: r, p: p)
            self.salt = salt
            self.key = key
        }

        static func unb64(_ s: Substring) -> [UInt8]? {
            let padded = String(s) + String(repeating: "=", count: (4 - s.count % 4) % 4)
            return Data(base64Encoded: padded).map(Array.init)
        }
    }
}

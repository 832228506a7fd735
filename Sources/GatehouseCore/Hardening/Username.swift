import Foundation

/// Usernames compare as people read them.
///
/// NFKC folds compatibility forms (fullwidth `ａｌｉｃｅ`, the `ﬁ` ligature,
/// a precomposed `é` against `e` + U+0301) into one spelling, so two accounts
/// cannot look identical on a page and a user cannot sign in as a look-alike.
/// Case is folded by the database's `lower()` on top of this.
public enum Username {
    public static func normalized(_ name: String) -> String {
        name.precomposedStringWithCompatibilityMapping
    }
}

/// What a new password must be (`OIDC_PASSWORD_MIN_LENGTH`).
public struct PasswordRules: Sendable, Equatable {
    public var minimumLength: Int

    public init(minimumLength: Int) {
        self.minimumLength = minimumLength
    }

    public struct TooShort: Error, CustomStringConvertible, Equatable {
        public let minimumLength: Int
        public init(minimumLength: Int) { self.minimumLength = minimumLength }
        public var description: String { "the password must be at least \(minimumLength) characters" }
    }

    /// Throws `TooShort` for a password of fewer than `minimumLength`
    /// characters (counted as a person sees them), and the hasher's own
    /// refusal for an empty or overlong one.
    public func check(_ password: String) throws {
        guard password.count >= minimumLength else { throw TooShort(minimumLength: minimumLength) }
        guard password.utf8.count <= PasswordHasher.maximumLength else { throw PasswordHasher.Failure.passwordTooLong }
    }
}

import Foundation

/// A person who can sign in, with the standard claims of OIDC Core §5.1.
public struct User: Sendable, Equatable {
    public var id: Int64
    /// The stable `sub` claim.
    public var subject: String
    public var username: String
    public var profile: UserProfile
    public var isActive: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastLoginAt: Date?
    /// The user's own claims (`--claim`), released by custom scopes.
    public var claims: [String: ClaimValue]
    /// May enter the admin console (`user create --admin`, `user set-admin`).
    public var isAdmin: Bool

    public init(id: Int64, subject: String, username: String, profile: UserProfile, isActive: Bool,
                createdAt: Date, updatedAt: Date, lastLoginAt: Date?, claims: [String: ClaimValue] = [:], isAdmin: Bool = false) {
        self.isAdmin = isAdmin
        self.id = id
        self.subject = subject
        self.username = username
        self.profile = profile
        self.isActive = isActive
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastLoginAt = lastLoginAt
        self.claims = claims
    }
}

/// The claim values a user may have; nil means "not set".
public struct UserProfile: Sendable, Equatable {
    public var name: String?
    public var givenName: String?
    public var familyName: String?
    public var preferredUsername: String?
    public var email: String?
    public var emailVerified: Bool = false
    public var phoneNumber: String?
    public var phoneNumberVerified: Bool = false
    /// OIDC Core §5.1.1 address fields (formatted, street_address, locality, …).
    public var address: [String: String]?
    public var picture: String?
    public var locale: String?
    public var zoneinfo: String?

    public init(name: String? = nil, givenName: String? = nil, familyName: String? = nil,
                preferredUsername: String? = nil, email: String? = nil, emailVerified: Bool = false,
                phoneNumber: String? = nil, phoneNumberVerified: Bool = false, address: [String: String]? = nil,
                picture: String? = nil, locale: String? = nil, zoneinfo: String? = nil) {
        self.name = name
        self.givenName = givenName
        self.familyName = familyName
        self.preferredUsername = preferredUsername
        self.email = email
        self.emailVerified = emailVerified
        self.phoneNumber = phoneNumber
        self.phoneNumberVerified = phoneNumberVerified
        self.address = address
        self.picture = picture
        self.locale = locale
        self.zoneinfo = zoneinfo
    }
}

/// What `user create` asks for, checked before anything is stored.
public struct NewUser: Sendable {
    public var username: String
    public var password: String
    public var profile: UserProfile
    /// Custom claims; names checked by `CustomClaims.checkName`.
    public var claims: [String: ClaimValue] = [:]

    public init(username: String, password: String, profile: UserProfile = UserProfile()) {
        self.username = username
        self.password = password
        self.profile = profile
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// Throws `Invalid` for a username or email that cannot be stored as given.
    public func validate() throws {
        let trimmed = username.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed == username else {
            throw Invalid(reason: "the username must be non-empty and not start or end with white space")
        }
        guard username.count <= 150 else { throw Invalid(reason: "the username is longer than 150 characters") }
        guard !username.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Invalid(reason: "the username contains control characters")
        }
        if let email = profile.email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !email.contains(where: \.isWhitespace),
                  email.count <= 254
            else { throw Invalid(reason: "'\(email)' is not an email address") }
        }
    }
}

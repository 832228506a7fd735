import Foundation

/// The claims `/userinfo` returns for a user and a set of granted scopes
/// (OIDC Core §5.4): `sub` always, then each scope's standard claims for
/// which the user has a value.
public enum UserClaims {
    public static let byScope: [String: [String]] = [
        "profile": ["name", "given_name", "family_name", "preferred_username", "picture", "locale", "zoneinfo", "updated_at"],
        "email": ["email", "email_verified"],
        "phone": ["phone_number", "phone_number_verified"],
        "address": ["address"],
    ]

    public static var supported: [String] {
        ["sub"] + ["profile", "email", "phone", "address"].flatMap { byScope[$0]! }
    }

    /// A JSON object of the user's claims for `scopes`: the standard ones,
    /// then the user's own claims that a granted custom scope releases.
    public static func claims(for user: User, scopes: Scopes, catalog: ScopeCatalog = ScopeCatalog()) -> [String: ClaimValue] {
        var claims: [String: ClaimValue] = ["sub": .string(user.subject)]
        let p = user.profile
        if scopes.contains("profile") {
            claims["name"] = p.name.map(ClaimValue.string)
            claims["given_name"] = p.givenName.map(ClaimValue.string)
            claims["family_name"] = p.familyName.map(ClaimValue.string)
            claims["preferred_username"] = .string(p.preferredUsername ?? user.username)
            claims["picture"] = p.picture.map(ClaimValue.string)
            claims["locale"] = p.locale.map(ClaimValue.string)
            claims["zoneinfo"] = p.zoneinfo.map(ClaimValue.string)
            claims["updated_at"] = .number(Int(user.updatedAt.timeIntervalSince1970))
        }
        if scopes.contains("email"), let email = p.email {
            claims["email"] = .string(email)
            claims["email_verified"] = .bool(p.emailVerified)
        }
        if scopes.contains("phone"), let phone = p.phoneNumber {
            claims["phone_number"] = .string(phone)
            claims["phone_number_verified"] = .bool(p.phoneNumberVerified)
        }
        if scopes.contains("address"), let address = p.address, !address.isEmpty {
            claims["address"] = .object(address)
        }
        for name in catalog.customClaimNames(for: scopes) {
            // Reserved names cannot be custom claims, so nothing above is overridden.
            if claims[name] == nil, let value = user.claims[name] { claims[name] = value }
        }
        return claims
    }
}

/// A claim's JSON value.
/// Written by `JSONText`.
public enum ClaimValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case number(Int)
    case object([String: String])
    /// Any JSON value, as canonical JSON text (a custom claim: `["a","b"]`, `{"k":1}`, `4.5`).
    case json(String)
}

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

    /// A JSON object (string/bool/number values) of the user's claims for `scopes`.
    public static func claims(for user: User, scopes: Scopes) -> [String: ClaimValue] {
        var claims: [String: ClaimValue] = ["sub": .string(user.subject.uuidString.lowercased())]
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
        return claims
    }
}

/// A claim's JSON value.
public enum ClaimValue: Sendable, Equatable, Encodable {
    case string(String)
    case bool(Bool)
    case number(Int)
    case object([String: String])

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .object(let o): try c.encode(o)
        }
    }
}

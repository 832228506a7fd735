import Foundation

/// A user's own claims beyond the OIDC profile (groups, roles, an employee
/// number): `gatehouse user create --claim NAME=VALUE`, `user set-claim`.
public enum CustomClaims {
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// Names a custom claim may not take: every claim with a meaning of its
    /// own in an ID token, a userinfo answer or an introspection answer.
    public static let reserved: Set<String> = Set(UserClaims.supported + [
        "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp", "at_hash",
        "c_hash", "sid", "scope", "client_id", "active", "token_type", "username", "typ", "cnf",
        "middle_name", "nickname", "profile", "website", "gender", "birthdate", "_claim_names", "_claim_sources",
    ])

    /// A claim name: 1 to 64 letters, digits, `_`, `-`, `.` or `:`, not reserved.
    public static func checkName(_ name: String) throws {
        guard (1...64).contains(name.count),
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.:".unicodeScalars.contains($0)) })
        else { throw Invalid(reason: "claim name '\(name)' must be 1 to 64 letters, digits, '_', '-', '.' or ':'") }
        guard !reserved.contains(name) else {
            throw Invalid(reason: "'\(name)' is a standard claim; custom claims need names of their own")
        }
    }

    /// The value as given on the command line: JSON when it parses as JSON
    /// (`42`, `true`, `["a","b"]`, `{"k":1}`, `"text"`), else the text itself.
    public static func value(parsing text: String) throws -> ClaimValue {
        guard text.utf8.count <= 4096 else { throw Invalid(reason: "a claim value may be at most 4096 bytes") }
        if let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
           !(object is NSNull) {
            return .json(try canonical(object))
        }
        return .string(text)
    }

    /// `NAME=VALUE`, as `user create --claim` takes it.
    public static func assignment(_ text: String) throws -> (String, ClaimValue) {
        guard let equals = text.firstIndex(of: "=") else { throw Invalid(reason: "--claim takes NAME=VALUE, got '\(text)'") }
        let name = String(text[..<equals])
        try checkName(name)
        return (name, try value(parsing: String(text[text.index(after: equals)...])))
    }

    /// Reads the `users.claims` object: each member as its JSON text.
    public static func decode(objectText: String) throws -> [String: ClaimValue] {
        guard let object = try JSONSerialization.jsonObject(with: Data(objectText.utf8)) as? [String: Any] else {
            throw Invalid(reason: "stored claims are not a JSON object")
        }
        var claims: [String: ClaimValue] = [:]
        for (name, value) in object { claims[name] = .json(try canonical(value)) }
        return claims
    }

    /// The JSON text of a claims map, for storing.
    public static func encode(_ claims: [String: ClaimValue]) -> String {
        JSONText.object(claims)
    }

    static func canonical(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Scope values (RFC 6749 §3.3), in the order first given, without repeats.
public struct Scopes: Sendable, Equatable, CustomStringConvertible {
    public let values: [String]

    public init(_ values: [String]) {
        var seen = Set<String>()
        self.values = values.filter { seen.insert($0).inserted }
    }

    /// The longest `scope` parameter accepted: every scope Gatehouse knows fits
    /// many times over, and a bound keeps hostile input out of the database.
    public static let maximumLength = 1024

    /// invalid_request when a `scope` parameter is longer than `maximumLength`.
    public static func checkLength(_ text: String) throws(OAuthError) {
        guard text.utf8.count <= maximumLength else {
            throw OAuthError.invalidRequest("scope is longer than \(maximumLength) characters")
        }
    }

    /// Parses a space-delimited `scope` parameter; nil when a value is not a scope-token.
    public init?(parsing text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.allSatisfy(ClientRegistration.isScopeToken) else { return nil }
        self.init(parts)
    }

    public var description: String { values.joined(separator: " ") }
    public var isEmpty: Bool { values.isEmpty }
    public func contains(_ scope: String) -> Bool { values.contains(scope) }
    public func isSubset(of other: Scopes) -> Bool { values.allSatisfy(other.values.contains) }

    /// RFC 6749 §6: a refresh may ask for the granted scope or less; "The
    /// requested scope MUST NOT include any scope not originally granted".
    /// nil keeps the granted scope.
    public func narrowed(to requested: Scopes?) throws(OAuthError) -> Scopes {
        guard let requested else { return self }
        guard requested.isSubset(of: self) else {
            throw .invalidScope("the requested scope exceeds the scope originally granted")
        }
        return requested
    }

    /// Only the scopes that `allowed` also has.
    public func intersection(_ allowed: [String]) -> Scopes { Scopes(values.filter(allowed.contains)) }

    /// Plain-words descriptions for the consent page.
    public var descriptions: [String] {
        values.compactMap { Self.plainWords[$0] ?? "Use “\($0)”" }
    }

    public static let plainWords: [String: String] = [
        "openid": "Confirm who you are (your account identifier)",
        "profile": "See your name, username, picture, locale and time zone",
        "email": "See your email address and whether it is verified",
        "phone": "See your phone number and whether it is verified",
        "address": "See your postal address",
        "offline_access": "Stay signed in to the application when you are away",
    ]
}

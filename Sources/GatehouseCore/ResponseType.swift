/// An authorization endpoint `response_type` (OAuth 2.0 Multiple Response
/// Type Encoding Practices §3): a set of space-separated words, so
/// "id_token code" and "code id_token" are one type.
public enum ResponseType: String, Sendable, CaseIterable {
    /// The authorization code flow (RFC 6749 §4.1, OIDC Core §3.1).
    case code

    /// The type a `response_type` parameter names, whatever the order of its
    /// words; nil for a combination Gatehouse does not serve.
    public init?(parameter: String) {
        let words = parameter.split(separator: " ").map(String.init).sorted()
        guard let match = Self.allCases.first(where: { $0.rawValue.split(separator: " ").map(String.init).sorted() == words })
        else { return nil }
        self = match
    }
}

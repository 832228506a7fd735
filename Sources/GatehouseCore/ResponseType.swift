/// An authorization endpoint `response_type` (OAuth 2.0 Multiple Response
/// Type Encoding Practices §3): a set of space-separated words, so
/// "id_token code" and "code id_token" are one type.
public enum ResponseType: String, Sendable, CaseIterable {
    /// The authorization code flow (RFC 6749 §4.1, OIDC Core §3.1).
    case code
    /// The implicit flow, ID token only (OIDC Core §3.2).
    case idToken = "id_token"
    /// The implicit flow with an access token (OIDC Core §3.2).
    case idTokenToken = "id_token token"
    /// Hybrid flows (OIDC Core §3.3).
    case codeIDToken = "code id_token"
    case codeToken = "code token"
    case codeIDTokenToken = "code id_token token"

    /// The type a `response_type` parameter names, whatever the order of its
    /// words; nil for a combination Gatehouse does not serve.
    public init?(parameter: String) {
        let words = Self.words(parameter)
        guard let match = Self.allCases.first(where: { Self.words($0.rawValue) == words }) else { return nil }
        self = match
    }

    private static func words(_ text: String) -> [String] {
        // Extra spaces are forgiven, as they always were: RPs send them.
        text.split(separator: " ").map(String.init).sorted()
    }

    /// Whether the authorization endpoint returns a code.
    public var issuesCode: Bool { rawValue.split(separator: " ").contains("code") }
    /// Whether it returns an ID token in the front channel.
    public var issuesIDToken: Bool { rawValue.split(separator: " ").contains("id_token") }
    /// Whether it returns an access token in the front channel.
    public var issuesAccessToken: Bool { rawValue.split(separator: " ").contains("token") }
    /// Whether anything but a code travels through the browser: such
    /// responses never go in the query (Multiple Response Types §5).
    public var returnsTokensInFrontChannel: Bool { issuesIDToken || issuesAccessToken }

    /// The mode used when the request names none (Multiple Response Types §2.1, §3).
    public var defaultMode: ResponseMode { returnsTokensInFrontChannel ? .fragment : .query }

    /// The grant type that RFC 7591 §2.1 pairs with this response type:
    /// `code` needs authorization_code, `id_token`/`token` alone are implicit.
    public var grantType: String { issuesCode ? "authorization_code" : "implicit" }
}

/// How the authorization response reaches the redirect URI
/// (Multiple Response Types §2.1, OAuth 2.0 Form Post Response Mode).
public enum ResponseMode: String, Sendable, CaseIterable {
    case query, fragment
    case formPost = "form_post"

    /// Whether this mode may carry a response of `type`: the query string
    /// ends up in logs and Referer headers, so only a code may travel there.
    public func isAllowed(for type: ResponseType) -> Bool {
        self != .query || !type.returnsTokensInFrontChannel
    }

    /// The mode an error is sent in, before or after the request is known to
    /// be valid: the requested mode if it is a known one, else the default of
    /// the requested type (or of any type with a token word in it).
    public static func forError(requestedMode: String?, responseType: String?) -> ResponseMode {
        let words = (responseType ?? "").split(separator: " ")
        let tokens = words.contains("token") || words.contains("id_token")
        if let requestedMode, let mode = ResponseMode(rawValue: requestedMode), mode != .query || !tokens {
            return mode
        }
        return tokens ? .fragment : .query
    }
}

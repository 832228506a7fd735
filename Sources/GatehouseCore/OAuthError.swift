/// An OAuth 2.0 / OpenID Connect error: the RFC error code, a description that
/// is safe to show (it never echoes secrets), and the HTTP status it travels
/// with. How it is delivered (redirect, JSON body, bearer challenge or error
/// page) is decided by the endpoint that raises it.
public struct OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let errorDescription: String
    public let status: Int

    public init(_ code: String, _ description: String, status: Int = 400) {
        self.code = code
        self.errorDescription = description
        self.status = status
    }

    public var description: String { "\(code): \(errorDescription)" }

    // RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 6750 §3.1.
    public static func invalidRequest(_ d: String) -> OAuthError { .init("invalid_request", d) }
    public static func invalidClient(_ d: String) -> OAuthError { .init("invalid_client", d, status: 401) }
    public static func invalidGrant(_ d: String) -> OAuthError { .init("invalid_grant", d) }
    public static func unauthorizedClient(_ d: String) -> OAuthError { .init("unauthorized_client", d) }
    public static func unsupportedGrantType(_ d: String) -> OAuthError { .init("unsupported_grant_type", d) }
    public static func unsupportedResponseType(_ d: String) -> OAuthError { .init("unsupported_response_type", d) }
    public static func invalidScope(_ d: String) -> OAuthError { .init("invalid_scope", d) }
    public static func accessDenied(_ d: String) -> OAuthError { .init("access_denied", d) }
    public static func loginRequired(_ d: String) -> OAuthError { .init("login_required", d) }
    public static func consentRequired(_ d: String) -> OAuthError { .init("consent_required", d) }
    public static func invalidToken(_ d: String) -> OAuthError { .init("invalid_token", d, status: 401) }
    public static func insufficientScope(_ d: String) -> OAuthError { .init("insufficient_scope", d, status: 403) }
    public static func temporarilyUnavailable(_ d: String) -> OAuthError { .init("temporarily_unavailable", d, status: 503) }
    public static func serverError(_ d: String) -> OAuthError { .init("server_error", d, status: 500) }
}

/// The grant types `/token` serves (RFC 6749 §4.1.3, §4.4, §6).
public enum GrantType: String, Sendable, CaseIterable, Codable {
    case authorizationCode = "authorization_code"
    case refreshToken = "refresh_token"
    case clientCredentials = "client_credentials"
}

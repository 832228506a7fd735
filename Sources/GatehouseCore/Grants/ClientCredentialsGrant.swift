/// The client credentials grant at `/token` (RFC 6749 §4.4): an access token
/// for the client itself, with no user and no refresh token.
public enum ClientCredentialsGrant {
    /// Scopes that describe a user; with no user they mean nothing here.
    public static let userScopes: Set<String> = ["openid", "offline_access", "profile", "email", "phone", "address"]

    /// The scopes to grant: the requested ones when the client may have them
    /// all, or every non-user scope of the client when none were requested.
    public static func scopes(requested: Scopes?, client: Client) throws(OAuthError) -> Scopes {
        let allowed = client.scopes.filter { !userScopes.contains($0) }
        guard let requested else { return Scopes(allowed) }
        guard requested.values.allSatisfy(allowed.contains) else {
            throw .invalidScope("scope not allowed for client_credentials: \(requested)")
        }
        return requested
    }
}

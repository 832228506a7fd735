import Foundation

/// A validated `/authorize` request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
public struct AuthorizationRequest: Sendable, Equatable {
    public enum Prompt: String, Sendable {
        case none, login, consent, selectAccount = "select_account"
    }

    public let clientID: String
    public let redirectURI: String
    /// The requested scopes; what is granted may be fewer (`OfflineAccess`).
    public var scopes: Scopes
    public let state: String?
    public let nonce: String?
    public let prompt: Set<Prompt>
    public let maxAge: Int?
    public let loginHint: String?
    public let codeChallenge: String?
    public let codeChallengeMethod: PKCE.Method?
    /// The request as received, to carry through the login and consent pages.
    public let parameters: FormParameters

    /// Where an invalid request is answered.
    public enum Failure: Error, Equatable {
        /// client_id or redirect_uri is wrong: show Gatehouse's own error page
        /// and never redirect (RFC 6749 §4.1.2.1: no open redirector).
        case errorPage(OAuthError)
        /// Anything else: back to the client's redirect URI.
        case redirect(OAuthError, redirectURI: String, state: String?)
    }

    public static let maximumStateLength = 2048
    public static let maximumNonceLength = 512
    public static let maximumLoginHintLength = 256

    /// The client_id to look up, or an error page for a missing or repeated one.
    public static func clientID(in parameters: FormParameters) throws(Failure) -> String {
        if parameters.repeated.contains("client_id") {
            throw .errorPage(.invalidRequest("parameter 'client_id' is repeated"))
        }
        guard let id = parameters.value("client_id") else {
            throw .errorPage(.invalidRequest("the client_id parameter is missing"))
        }
        return id
    }

    /// Validates everything once the client is known.
    /// - Parameters:
    ///   - client: the client registered under `client_id`, or nil when there is none.
    ///   - allowPlainPKCE: whether `code_challenge_method=plain` is accepted.
    public static func validate(
        _ p: FormParameters, client: Client?, allowPlainPKCE: Bool
    ) throws(Failure) -> AuthorizationRequest {
        let clientID = try clientID(in: p)
        guard let client else { throw .errorPage(.invalidRequest("the client '\(clientID)' is not registered")) }
        if p.repeated.contains("redirect_uri") {
            throw .errorPage(.invalidRequest("parameter 'redirect_uri' is repeated"))
        }
        guard let redirectURI = p.value("redirect_uri") else {
            throw .errorPage(.invalidRequest("the redirect_uri parameter is missing"))
        }
        // Exact string comparison (RFC 9700 §4.1.3).
        guard client.redirectURIs.contains(redirectURI) else {
            throw .errorPage(.invalidRequest("the redirect_uri is not registered for this client"))
        }

        // From here on errors go back to the client, with its state.
        let state = p.repeated.contains("state") ? nil : p.value("state")
        func fail(_ error: OAuthError) -> Failure {
            .redirect(error, redirectURI: redirectURI, state: state.map { String($0.prefix(maximumStateLength)) })
        }
        do {
            try p.rejectRepeats()
        } catch let error as OAuthError {
            throw fail(error)
        } catch {
            throw fail(.invalidRequest("malformed request"))
        }
        if let state, state.count > maximumStateLength {
            throw fail(.invalidRequest("state is longer than \(maximumStateLength) characters"))
        }
        if p.value("request") != nil { throw fail(OAuthError("request_not_supported", "request objects are not supported")) }
        if p.value("request_uri") != nil { throw fail(OAuthError("request_uri_not_supported", "request_uri is not supported")) }

        guard let responseType = p.value("response_type") else {
            throw fail(.invalidRequest("the response_type parameter is missing"))
        }
        guard ResponseType(parameter: responseType) == .code else {
            throw fail(.unsupportedResponseType("response_type '\(responseType)' is not supported; use 'code'"))
        }
        guard client.responseTypes.contains(.code), client.grantTypes.contains(.authorizationCode) else {
            throw fail(.unauthorizedClient("this client may not use the authorization code flow"))
        }
        if let mode = p.value("response_mode"), mode != "query" {
            throw fail(.invalidRequest("response_mode '\(mode)' is not supported; use 'query'"))
        }

        guard let scopeText = p.value("scope") else { throw fail(.invalidScope("the scope parameter is missing")) }
        do { try Scopes.checkLength(scopeText) } catch { throw fail(error) }
        guard let scopes = Scopes(parsing: scopeText), !scopes.isEmpty else {
            throw fail(.invalidScope("the scope parameter is malformed"))
        }
        let refused = scopes.values.filter { !client.scopes.contains($0) }
        guard refused.isEmpty else {
            throw fail(.invalidScope("scope not allowed for this client: \(refused.joined(separator: " "))"))
        }

        let nonce = p.value("nonce")
        if let nonce, nonce.count > maximumNonceLength {
            throw fail(.invalidRequest("nonce is longer than \(maximumNonceLength) characters"))
        }
        let loginHint = p.value("login_hint")
        if let loginHint, loginHint.count > maximumLoginHintLength {
            throw fail(.invalidRequest("login_hint is longer than \(maximumLoginHintLength) characters"))
        }

        var prompt = Set<Prompt>()
        for value in (p.value("prompt") ?? "").split(separator: " ") {
            guard let known = Prompt(rawValue: String(value)) else {
                throw fail(.invalidRequest("prompt value '\(value)' is not supported"))
            }
            prompt.insert(known)
        }
        // OIDC Core §3.1.2.1: none with any other value is an error.
        if prompt.contains(.none) && prompt.count > 1 {
            throw fail(.invalidRequest("prompt=none cannot be combined with other values"))
        }

        var maxAge: Int?
        if let text = p.value("max_age") {
            guard let value = Int(text), value >= 0 else {
                throw fail(.invalidRequest("max_age must be a non-negative whole number of seconds"))
            }
            maxAge = value
        }

        let challenge = p.value("code_challenge")
        var method: PKCE.Method?
        if let challenge {
            // RFC 7636 §4.3: the method defaults to plain when omitted.
            let name = p.value("code_challenge_method") ?? "plain"
            guard let parsed = PKCE.Method(rawValue: name), parsed == .s256 || allowPlainPKCE else {
                throw fail(.invalidRequest("code_challenge_method must be S256"))
            }
            guard PKCE.isValidChallenge(challenge) else {
                throw fail(.invalidRequest("code_challenge must be 43 to 128 unreserved characters"))
            }
            method = parsed
        } else if p.value("code_challenge_method") != nil {
            throw fail(.invalidRequest("code_challenge_method was sent without code_challenge"))
        }
        do {
            try PKCE.requireForPublicClient(client, hasChallenge: challenge != nil, error: OAuthError.invalidRequest)
        } catch {
            throw fail(error)
        }

        return AuthorizationRequest(
            clientID: clientID, redirectURI: redirectURI, scopes: scopes, state: state, nonce: nonce,
            prompt: prompt, maxAge: maxAge, loginHint: loginHint, codeChallenge: challenge,
            codeChallengeMethod: method, parameters: p
        )
    }
}

/// Adds response parameters to a redirect URI, keeping any query it has
/// (RFC 6749 §3.1.2: "MUST retain the query component").
public enum RedirectResponse {
    public static func url(_ redirectURI: String, _ pairs: [(String, String?)]) -> String {
        let present = pairs.compactMap { pair in pair.1.map { (pair.0, $0) } }
        let query = FormParameters.encode(present)
        guard !query.isEmpty else { return redirectURI }
        return redirectURI + (redirectURI.contains("?") ? "&" : "?") + query
    }

    /// The redirect for an error: error, error_description, state, and the issuer (RFC 9207).
    public static func error(_ error: OAuthError, redirectURI: String, state: String?, issuer: String) -> String {
        url(redirectURI, [("error", error.code), ("error_description", error.errorDescription),
                          ("state", state), ("iss", issuer)])
    }
}

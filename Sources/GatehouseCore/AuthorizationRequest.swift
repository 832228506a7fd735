import Foundation

/// A validated `/authorize` request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1).
public struct AuthorizationRequest: Sendable, Equatable {
    public enum Prompt: String, Sendable {
        case none, login, consent, selectAccount = "select_account"
    }

    public let clientID: String
    public let redirectURI: String
    public var responseType: ResponseType
    /// Where the response goes: the requested mode or the type's default.
    public let responseMode: ResponseMode
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
        /// Anything else: back to the client's redirect URI, in the requested
        /// response mode (or the requested type's default).
        case redirect(OAuthError, redirectURI: String, state: String?, mode: ResponseMode)
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
        let errorMode = ResponseMode.forError(requestedMode: p.repeated.contains("response_mode") ? nil : p.value("response_mode"),
                                              responseType: p.repeated.contains("response_type") ? nil : p.value("response_type"))
        func fail(_ error: OAuthError) -> Failure {
            .redirect(error, redirectURI: redirectURI, state: state.map { String($0.prefix(maximumStateLength)) }, mode: errorMode)
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
        guard let type = ResponseType(parameter: responseType) else {
            throw fail(.unsupportedResponseType("response_type '\(responseType)' is not supported"))
        }
        guard client.responseTypes.contains(type), client.grantTypes.contains(.authorizationCode) else {
            throw fail(.unauthorizedClient("this client is not registered for response_type '\(type.rawValue)'"))
        }
        var mode = type.defaultMode
        if let requested = p.value("response_mode") {
            guard let known = ResponseMode(rawValue: requested) else {
                throw fail(.invalidRequest("response_mode '\(requested)' is not supported"))
            }
            guard known.isAllowed(for: type) else {
                throw fail(.invalidRequest("response_mode 'query' cannot carry tokens; use 'fragment' or 'form_post'"))
            }
            mode = known
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
        // OIDC Core §3.2.2.1, §3.3.2.11: an ID token in the front channel
        // needs a nonce, or a stolen one could be replayed.
        if type.issuesIDToken && (nonce ?? "").isEmpty {
            throw fail(.invalidRequest("nonce is required when response_type includes id_token"))
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
        // PKCE protects a code; a response without one has nothing for it to bind.
        if type.issuesCode {
            do {
                try PKCE.requireForPublicClient(client, hasChallenge: challenge != nil, error: OAuthError.invalidRequest)
            } catch {
                throw fail(error)
            }
        }

        return AuthorizationRequest(
            clientID: clientID, redirectURI: redirectURI, responseType: type, responseMode: mode, scopes: scopes, state: state, nonce: nonce,
            prompt: prompt, maxAge: maxAge, loginHint: loginHint, codeChallenge: challenge,
            codeChallengeMethod: method, parameters: p
        )
    }
}

/// An authorization response (or error) as it leaves for the client.
public enum AuthorizationResponse: Sendable, Equatable {
    /// A 303 to this URL (query or fragment mode).
    case redirect(String)
    /// A page whose form posts `fields` to `action` (Form Post Response Mode §2).
    case formPost(action: String, fields: [FormField])

    public struct FormField: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `pairs` (nil values left out) delivered to `redirectURI` in `mode`.
    /// A query is added to any the URI has (RFC 6749 §3.1.2: "MUST retain
    /// the query component"); registered URIs have no fragment.
    public static func encode(_ redirectURI: String, _ pairs: [(String, String?)], mode: ResponseMode) -> AuthorizationResponse {
        let present = pairs.compactMap { pair in pair.1.map { (pair.0, $0) } }
        switch mode {
        case .formPost:
            return .formPost(action: redirectURI, fields: present.map { FormField(name: $0.0, value: $0.1) })
        case .query, .fragment:
            let encoded = FormParameters.encode(present)
            guard !encoded.isEmpty else { return .redirect(redirectURI) }
            let separator = mode == .fragment ? "#" : (redirectURI.contains("?") ? "&" : "?")
            return .redirect(redirectURI + separator + encoded)
        }
    }

    /// An error: error, error_description, state, and the issuer (RFC 9207).
    public static func error(_ error: OAuthError, redirectURI: String, state: String?, issuer: String,
                             mode: ResponseMode) -> AuthorizationResponse {
        encode(redirectURI, [("error", error.code), ("error_description", error.errorDescription),
                             ("state", state), ("iss", issuer)], mode: mode)
    }
}

/// Adds response parameters to a redirect URI's query.
public enum RedirectResponse {
    public static func url(_ redirectURI: String, _ pairs: [(String, String?)]) -> String {
        guard case .redirect(let url) = AuthorizationResponse.encode(redirectURI, pairs, mode: .query) else { return redirectURI }
        return url
    }

    /// The redirect for an error in the query.
    public static func error(_ error: OAuthError, redirectURI: String, state: String?, issuer: String) -> String {
        url(redirectURI, [("error", error.code), ("error_description", error.errorDescription),
                          ("state", state), ("iss", issuer)])
    }
}

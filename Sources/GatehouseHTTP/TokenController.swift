import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/token` (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3).
struct TokenController {
    let deps: ServerDependencies

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("/token") { request, context in try await token(request, context) }
        for method: HTTPRequest.Method in [.get, .put, .delete, .patch, .head] {
            router.on("/token", method: method) { _, _ in
                var response = HTTPResponses.oauthError(OAuthError("invalid_request", "use POST", status: 405),
                                                        headers: HTTPResponses.noStore)
                response.headers[.allow] = "POST"
                return response
            }
        }
    }

    struct TokenResponse: Encodable {
        let access_token: String
        let token_type = "bearer"
        let expires_in: Int
        let refresh_token: String?
        let id_token: String?
        let scope: String

        var members: [String: ClaimValue] {
            var m: [String: ClaimValue] = [
                "access_token": .string(access_token), "token_type": .string(token_type),
                "expires_in": .number(expires_in), "scope": .string(scope),
            ]
            m["refresh_token"] = refresh_token.map(ClaimValue.string)
            m["id_token"] = id_token.map(ClaimValue.string)
            return m
        }
    }

    func token(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        do {
            let (tokens, grantType) = try await grant(request, context)
            ServerMetrics.tokenIssued(grantType: grantType)
            return HTTPResponses.json(object: tokens.members, headers: HTTPResponses.noStore)
        } catch let error as OAuthError {
            var headers = HTTPResponses.noStore
            if error.code == "invalid_client" {
                headers.append((.wwwAuthenticate, "Basic realm=\"gatehouse\", error=\"invalid_client\""))
            }
            return HTTPResponses.oauthError(error, headers: headers)
        }
    }

    private func grant(_ request: Request, _ context: GatehouseRequestContext) async throws -> (TokenResponse, String) {
        var request = request
        guard request.isFormEncoded else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        guard let form = try await request.formParameters(limit: context.maxUploadSize) else {
            throw OAuthError.invalidRequest("the body's encoding is malformed")
        }
        try form.rejectRepeats()
        let client = try await authenticate(request, form)
        guard let grantType = form.value("grant_type") else { throw OAuthError.invalidRequest("grant_type is missing") }
        guard ClientRegistration.supportedGrantTypes.contains(grantType) else {
            throw OAuthError.unsupportedGrantType("grant_type '\(grantType)' is not supported")
        }
        guard client.grantTypes.contains(grantType) else {
            throw OAuthError.unauthorizedClient("this client may not use \(grantType)")
        }
        let policy = deps.tokenPolicy()
        switch grantType {
        case "authorization_code":
            guard let code = form.value("code") else { throw OAuthError.invalidRequest("code is missing") }
            guard let redirectURI = form.value("redirect_uri") else { throw OAuthError.invalidRequest("redirect_uri is missing") }
            let verifier = form.value("code_verifier")
            if let verifier, !PKCE.isValidVerifier(verifier) {
                throw OAuthError.invalidGrant("code_verifier must be 43 to 128 unreserved characters")
            }
            let tokens = try await deps.grants.redeem(
                CodeRedemption(code: code, redirectURI: redirectURI, codeVerifier: verifier), client: client, policy: policy)
            return (try await response(tokens, client: client, policy: policy), grantType)
        case "refresh_token":
            guard let refreshToken = form.value("refresh_token") else { throw OAuthError.invalidRequest("refresh_token is missing") }
            var scopes: Scopes?
            if let text = form.value("scope") {
                try Self.checkScopeLength(text)
                guard let parsed = Scopes(parsing: text), !parsed.isEmpty else { throw OAuthError.invalidScope("scope is malformed") }
                scopes = parsed
            }
            let tokens = try await deps.grants.refresh(refreshToken, client: client, scopes: scopes, policy: policy)
            return (try await response(tokens, client: client, policy: policy), grantType)
        default:  // client_credentials
            guard client.kind == .confidential else {
                throw OAuthError.unauthorizedClient("public clients cannot use client_credentials")
            }
            // There is no user, so user-related scopes mean nothing here.
            let allowed = client.scopes.filter { !["openid", "offline_access", "profile", "email", "phone", "address"].contains($0) }
            var scopes = Scopes(allowed)
            if let text = form.value("scope") {
                try Self.checkScopeLength(text)
                guard let requested = Scopes(parsing: text) else { throw OAuthError.invalidScope("scope is malformed") }
                guard requested.values.allSatisfy(allowed.contains) else {
                    throw OAuthError.invalidScope("scope not allowed for client_credentials: \(requested)")
                }
                scopes = requested
            }
            let tokens = try await deps.grants.issueClientCredentials(client: client, scopes: scopes, policy: policy)
            return (TokenResponse(access_token: tokens.accessToken, expires_in: tokens.expiresIn, refresh_token: nil,
                                  id_token: nil, scope: tokens.scopes.description), grantType)
        }
    }

    private static func checkScopeLength(_ text: String) throws {
        guard text.utf8.count <= Scopes.maximumLength else {
            throw OAuthError.invalidRequest("scope is longer than \(Scopes.maximumLength) characters")
        }
    }

    /// client_secret_basic, client_secret_post, or none for public clients.
    private func authenticate(_ request: Request, _ form: FormParameters) async throws -> Client {
        let credentials = try ClientCredentials.from(authorization: request.headers[.authorization], body: form)
        guard let (client, secretMatches) = try await deps.clients.find(clientID: credentials.clientID,
                                                                         checkingSecret: credentials.secret) else {
            throw OAuthError.invalidClient("client authentication failed")
        }
        switch client.kind {
        case .confidential:
            guard secretMatches else { throw OAuthError.invalidClient("client authentication failed") }
        case .public:
            guard credentials.secret == nil || credentials.secret == "" else {
                throw OAuthError.invalidClient("public clients have no secret")
            }
        }
        return client
    }

    private func response(_ tokens: IssuedTokens, client: Client, policy: TokenPolicy) async throws -> TokenResponse {
        var idToken: String?
        if tokens.scopes.contains("openid"), let subject = tokens.subject {
            idToken = try await deps.signer.sign(IDTokenClaims(
                issuer: deps.settings.issuer, subject: subject.uuidString.lowercased(), audience: client.clientID,
                issuedAt: policy.now, lifetime: deps.settings.idTokenExpire, authTime: tokens.authTime,
                nonce: tokens.nonce, accessToken: tokens.accessToken
            ))
        }
        return TokenResponse(access_token: tokens.accessToken, expires_in: tokens.expiresIn,
                             refresh_token: tokens.refreshToken, id_token: idToken, scope: tokens.scopes.description)
    }
}

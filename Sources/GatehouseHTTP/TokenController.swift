import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/token` (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3).
struct TokenController {
    let deps: ServerDependencies

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.post("/token") { request, context in try await token(request, context) }
        BackChannelEndpoint.refuseOtherMethods(on: router, path: "/token")
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
            ServerMetrics.tokenIssued(grantType: grantType.rawValue)
            return HTTPResponses.json(object: tokens.members, headers: HTTPResponses.noStore)
        } catch let error as OAuthError {
            return BackChannelEndpoint.error(error)
        }
    }

    private func grant(_ request: Request, _ context: GatehouseRequestContext) async throws -> (TokenResponse, GrantType) {
        let (form, credentials) = try await BackChannelEndpoint.read(request, context)
        guard let name = form.value("grant_type") else { throw OAuthError.invalidRequest("grant_type is missing") }
        guard let grantType = GrantType(rawValue: name) else {
            throw OAuthError.unsupportedGrantType("grant_type '\(name)' is not supported")
        }
        // The store authenticates the client on the grant's own database round trip.
        let client = ClientAuthentication(credentials) { client in try GrantTypePolicy.check(grantType, for: client) }
        let policy = deps.tokenPolicy()
        switch grantType {
        case .authorizationCode:
            guard let code = form.value("code") else { throw OAuthError.invalidRequest("code is missing") }
            guard let redirectURI = form.value("redirect_uri") else { throw OAuthError.invalidRequest("redirect_uri is missing") }
            let verifier = form.value("code_verifier")
            if let verifier, !PKCE.isValidVerifier(verifier) {
                throw OAuthError.invalidGrant("code_verifier must be 43 to 128 unreserved characters")
            }
            let (authenticated, tokens) = try await deps.grants.redeem(
                CodeRedemption(code: code, redirectURI: redirectURI, codeVerifier: verifier), client: client, policy: policy)
            return (try await response(tokens, client: authenticated, policy: policy), grantType)
        case .refreshToken:
            guard let refreshToken = form.value("refresh_token") else { throw OAuthError.invalidRequest("refresh_token is missing") }
            var scopes: Scopes?
            if let text = form.value("scope") {
                try Scopes.checkLength(text)
                guard let parsed = Scopes(parsing: text), !parsed.isEmpty else { throw OAuthError.invalidScope("scope is malformed") }
                scopes = parsed
            }
            let (authenticated, tokens) = try await deps.grants.refresh(refreshToken, client: client, scopes: scopes, policy: policy)
            return (try await response(tokens, client: authenticated, policy: policy), grantType)
        case .clientCredentials:
            var requested: Scopes?
            if let text = form.value("scope") {
                try Scopes.checkLength(text)
                guard let parsed = Scopes(parsing: text) else { throw OAuthError.invalidScope("scope is malformed") }
                requested = parsed
            }
            let (_, tokens) = try await deps.grants.issueClientCredentials(client: client, scopes: { [requested] client in
                try ClientCredentialsGrant.scopes(requested: requested, client: client)
            }, policy: policy)
            return (TokenResponse(access_token: tokens.accessToken, expires_in: tokens.expiresIn, refresh_token: nil,
                                  id_token: nil, scope: tokens.scopes.description), grantType)
        }
    }

    private func response(_ tokens: IssuedTokens, client: Client, policy: TokenPolicy) async throws -> TokenResponse {
        var idToken: String?
        if tokens.scopes.contains("openid"), let subject = tokens.subject {
            var claims = IDTokenClaims(
                issuer: deps.settings.issuer, subject: subject, audience: client.clientID,
                issuedAt: policy.now, lifetime: deps.settings.idTokenExpire, authTime: tokens.authTime,
                nonce: tokens.nonce, accessToken: tokens.accessToken, algorithm: client.idTokenAlgorithm)
            // OIDC_IDTOKEN_INCLUDE_CLAIMS: the granted scopes' claims in the ID token too (one more query).
            if deps.settings.idTokenIncludeClaims, let user = try await deps.users.find(subject: subject) {
                claims.userClaims = UserClaims.claims(for: user, scopes: tokens.scopes, catalog: deps.scopes.current)
            }
            idToken = try deps.signer.sign(claims, for: client)
        }
        return TokenResponse(access_token: tokens.accessToken, expires_in: tokens.expiresIn,
                             refresh_token: tokens.refreshToken, id_token: idToken, scope: tokens.scopes.description)
    }
}

import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// What `/authorize`, the login page and the consent page share: request
/// validation, the answers back to the client, the login page and the code.
struct AuthorizationFlow {
    let deps: ServerDependencies

    enum Validation {
        case success((AuthorizationRequest, Client))
        case failure(Response)
    }

    /// Client and redirect URI first (an error page), then the rest (a redirect to the client).
    func validate(_ parameters: FormParameters) async throws -> Validation {
        let client: Client?
        do {
            client = try await deps.clients.find(clientID: try AuthorizationRequest.clientID(in: parameters))
        } catch let failure as AuthorizationRequest.Failure {
            return .failure(render(failure))
        }
        do {
            let request = try AuthorizationRequest.validate(parameters, client: client, allowPlainPKCE: deps.settings.allowPlainPKCE)
            return .success((request, client!))
        } catch {
            return .failure(render(error))
        }
    }

    func render(_ failure: AuthorizationRequest.Failure) -> Response {
        switch failure {
        case .errorPage(let error):
            // The page never repeats the request (an unknown client_id is attacker text).
            return deps.pages.error(.invalidLink(code: error.code))
        case .redirect(let error, let redirectURI, let state, let mode):
            return respond(.error(error, redirectURI: redirectURI, state: state, issuer: deps.settings.issuer, mode: mode))
        }
    }

    func redirectError(_ error: OAuthError, _ request: AuthorizationRequest) -> Response {
        respond(.error(error, redirectURI: request.redirectURI, state: request.state, issuer: deps.settings.issuer,
                       mode: request.responseMode))
    }

    /// A response on its way to the client: a redirect, or the form-post page.
    func respond(_ response: AuthorizationResponse) -> Response {
        switch response {
        case .redirect(let location):
            return HTTPResponses.redirect(location)
        case .formPost(let action, let fields):
            return deps.pages.formPost(action: action, fields: fields)
        }
    }

    /// Issues what the response type asks for (OIDC Core §3.1.2.5, §3.2.2.5,
    /// §3.3.2.5): a code, an access token, an ID token, in the requested mode.
    func issue(_ request: AuthorizationRequest, client: Client, user: User, authTime: Date) async throws -> Response {
        let now = deps.clock.now
        let type = request.responseType
        var policy = deps.tokenPolicy()
        policy.now = now
        let issued = try await deps.grants.authorize(request, client: client, user: user, authTime: authTime,
                                                     codeLifetime: deps.settings.codeExpire, policy: policy)
        var idToken: String?
        if type.issuesIDToken {
            var claims = IDTokenClaims(
                issuer: deps.settings.issuer, subject: user.subject, audience: client.clientID,
                issuedAt: now, lifetime: deps.settings.idTokenExpire, authTime: authTime, nonce: request.nonce,
                accessToken: issued.accessToken, code: issued.code, algorithm: client.idTokenAlgorithm)
            if type == .idToken || deps.settings.idTokenIncludeClaims {
                // No access token now or later, so no /userinfo: the claims
                // travel in the ID token (OIDC Core §5.4); or the operator asked for them there.
                claims.userClaims = UserClaims.claims(for: user, scopes: request.scopes, catalog: deps.scopes.current)
            }
            idToken = try deps.signer.sign(claims, for: client)
        }
        // RFC 9207: iss lets the client detect a mix-up between providers.
        return respond(.encode(request.redirectURI, [
            ("code", issued.code),
            ("access_token", issued.accessToken),
            ("token_type", issued.accessToken.map { _ in "Bearer" }),
            ("expires_in", issued.expiresIn.map(String.init)),
            ("scope", issued.accessToken.map { _ in request.scopes.description }),
            ("id_token", idToken),
            ("state", request.state),
            ("iss", deps.settings.issuer),
        ], mode: request.responseMode))
    }

    /// The login page. Its CSRF token is bound to the signed sign-in cookie,
    /// which is set here when the browser has no valid one; nothing is stored.
    func loginPage(_ request: Request, next: String, clientName: String?, username: String?, error: String? = nil,
                   status: HTTPResponse.Status = .ok, headers extra: [(HTTPField.Name, String)] = []) -> Response {
        let now = deps.clock.now
        var headers = extra
        let nonce: String
        if let value = deps.loginCookie.read(request), let existing = deps.loginCookie.nonce(of: value, now: now) {
            nonce = existing
        } else {
            let value = deps.loginCookie.issue(now: now)
            nonce = deps.loginCookie.nonce(of: value, now: now)!
            headers.append(deps.loginCookie.set(value))
        }
        var values: [String: Any] = [
            "username": username ?? "", "csrf_token": deps.loginCookie.csrfToken(nonce: nonce), "next": next,
        ]
        values["client_name"] = clientName
        values["error"] = error
        return deps.pages.page("login", values, status: status, headers: headers)
    }

    func currentSession(_ request: Request, now: Date) async throws -> BrowserSession? {
        guard let id = deps.sessionID(request) else { return nil }
        return try await deps.sessions.find(id: id, now: now)
    }

    func clientName(forNext next: String) async throws -> String? {
        guard let query = next.split(separator: "?", maxSplits: 1).dropFirst().first,
              let parameters = FormParameters(encoded: query), let id = parameters.value("client_id")
        else { return nil }
        return try await deps.clients.find(clientID: id)?.name
    }

    /// `/authorize` with `parameters`, less `dropping` (and less `login` in
    /// `prompt` when `droppingLoginPrompt`), plus `adding`.
    static func authorizeURL(_ parameters: FormParameters, droppingLoginPrompt: Bool, dropping: Set<String> = [],
                             adding: [(String, String)] = []) -> String {
        var pairs = parameters.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        pairs = pairs.compactMap { name, value in
            if dropping.contains(name) || adding.contains(where: { $0.0 == name }) { return nil }
            guard droppingLoginPrompt, name == "prompt" else { return (name, value) }
            let rest = value.split(separator: " ").filter { $0 != "login" }.joined(separator: " ")
            return rest.isEmpty ? nil : (name, rest)
        }
        return "/authorize?" + FormParameters.encode(pairs + adding)
    }

    /// Only a relative /authorize URL or the account page may follow sign-in: anything else
    /// would make the login form an open redirector.
    static func safeNext(_ next: String?) -> String {
        guard let next, !next.contains("//"), !next.contains("\\") else { return "" }
        if next == AccountController.path || next == AdminController.path { return next }
        guard next.hasPrefix("/authorize?") else { return "" }
        return next
    }
}

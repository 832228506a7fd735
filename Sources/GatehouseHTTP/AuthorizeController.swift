import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/authorize`, the login page and the consent page (OIDC Core §3.1.2).
struct AuthorizeController {
    let deps: ServerDependencies
    /// Anonymous sessions exist only to bind the login form's CSRF token.
    static let anonymousSessionLifetime = 3600

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("/authorize") { request, context in try await authorize(request, context) }
        router.post("/authorize") { request, context in try await authorize(request, context) }
        router.get("/login") { request, context in try await showLogin(request, context) }
        router.post("/login") { request, context in try await submitLogin(request, context) }
        router.post("/consent") { request, context in try await submitConsent(request, context) }
    }

    // MARK: - /authorize

    func authorize(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        let parameters: FormParameters?
        if request.method == .post {
            guard request.isFormEncoded else {
                return deps.pages.error("Invalid request", "Send the authorization request as a form.", status: .badRequest)
            }
            parameters = try await request.formParameters(limit: context.maxUploadSize)
        } else {
            parameters = request.queryParameters
        }
        guard let parameters else {
            return deps.pages.error("Invalid request", "The request's encoding is malformed.", status: .badRequest)
        }
        return try await continueAuthorization(parameters, request)
    }

    private func continueAuthorization(_ parameters: FormParameters, _ request: Request) async throws -> Response {
        let authorization: AuthorizationRequest
        let client: Client
        switch try await validate(parameters) {
        case .failure(let response): return response
        case .success(let valid): (authorization, client) = valid
        }
        let now = deps.clock.now
        let session = try await currentSession(request, now: now)

        var needsLogin = session?.user == nil || authorization.prompt.contains(.login)
        if let maxAge = authorization.maxAge, let authTime = session?.authTime,
           now.timeIntervalSince(authTime) > TimeInterval(maxAge) {
            needsLogin = true
        }
        if needsLogin {
            if authorization.prompt.contains(.none) {
                return redirectError(.loginRequired("the user is not signed in"), authorization)
            }
            // After signing in the browser comes back without prompt=login,
            // or it would be asked to sign in forever.
            return try await loginPage(next: Self.authorizeURL(authorization.parameters, droppingLoginPrompt: true),
                                       clientName: client.name, loginHint: authorization.loginHint,
                                       session: session, now: now)
        }
        guard let session, let user = session.user else { throw HTTPError(.internalServerError) }

        if client.requireConsent {
            var covered = false
            if client.reuseConsent && !authorization.prompt.contains(.consent),
               let remembered = try await deps.consents.scopes(userID: user.id, clientID: client.id, now: now) {
                covered = authorization.scopes.isSubset(of: remembered)
            }
            if !covered {
                if authorization.prompt.contains(.none) {
                    return redirectError(.consentRequired("the user has not consented to this client"), authorization)
                }
                return deps.pages.page("consent", [
                    "client_name": client.name,
                    "username": user.username,
                    "scopes": authorization.scopes.descriptions,
                    "csrf_token": deps.csrfToken(for: session.id),
                    "request": authorization.parameters.encoded,
                ])
            }
        }
        return try await issueCode(authorization, client: client, user: user, authTime: session.authTime ?? now)
    }

    private enum Validation {
        case success((AuthorizationRequest, Client))
        case failure(Response)
    }

    /// Client and redirect URI first (an error page), then the rest (a redirect to the client).
    private func validate(_ parameters: FormParameters) async throws -> Validation {
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

    private func render(_ failure: AuthorizationRequest.Failure) -> Response {
        switch failure {
        case .errorPage(let error):
            return deps.pages.error("This sign-in link is not valid", error.errorDescription, status: .badRequest)
        case .redirect(let error, let redirectURI, let state):
            return HTTPResponses.redirect(RedirectResponse.error(error, redirectURI: redirectURI, state: state, issuer: deps.settings.issuer))
        }
    }

    private func redirectError(_ error: OAuthError, _ request: AuthorizationRequest) -> Response {
        HTTPResponses.redirect(RedirectResponse.error(error, redirectURI: request.redirectURI, state: request.state,
                                                      issuer: deps.settings.issuer))
    }

    private func issueCode(_ request: AuthorizationRequest, client: Client, user: User, authTime: Date,
                           headers: [(HTTPField.Name, String)] = []) async throws -> Response {
        let code = try await deps.grants.issueCode(for: request, client: client, userID: user.id, authTime: authTime,
                                                   now: deps.clock.now, lifetime: deps.settings.codeExpire)
        // RFC 9207: iss lets the client detect a mix-up between providers.
        let location = RedirectResponse.url(request.redirectURI, [("code", code), ("state", request.state),
                                                                  ("iss", deps.settings.issuer)])
        return HTTPResponses.redirect(location, headers: headers)
    }

    // MARK: - Login

    func showLogin(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let next = Self.safeNext(request.queryParameters?.value("next"))
        return try await loginPage(next: next, clientName: try await clientName(forNext: next), loginHint: nil,
                                   session: try await currentSession(request, now: deps.clock.now), now: deps.clock.now)
    }

    /// A posted form of this browser session: its fields and the session id,
    /// or the error page for a malformed form or a CSRF token that does not
    /// belong to the session's cookie.
    private func sessionForm(_ request: Request, _ context: GatehouseRequestContext) async throws
        -> Result<(form: FormParameters, sessionID: String), PageFailure> {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return .failure(PageFailure(deps.pages.error("Invalid request", "The form could not be read.", status: .badRequest)))
        }
        guard let sessionID = SessionCookie.read(request), deps.isValidCSRF(form["csrf_token"], sessionID: sessionID) else {
            return .failure(PageFailure(deps.pages.error("This form has expired", "Go back, reload the page and try again.",
                                                         status: .forbidden)))
        }
        return .success((form, sessionID))
    }

    struct PageFailure: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }

    func submitLogin(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let form: FormParameters, sessionID: String
        switch try await sessionForm(request, context) {
        case .failure(let failure): return failure.response
        case .success(let posted): (form, sessionID) = posted
        }
        let now = deps.clock.now
        let next = Self.safeNext(form["next"])
        let clientName = try await clientName(forNext: next)
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        func again(_ message: String, status: HTTPResponse.Status, headers: [(HTTPField.Name, String)] = []) -> Response {
            deps.pages.page("login", [
                "client_name": clientName as Any, "error": message, "username": username,
                "csrf_token": deps.csrfToken(for: sessionID), "next": next,
            ], status: status, headers: headers)
        }
        guard !username.isEmpty, !password.isEmpty, username.count <= 150, password.utf8.count <= PasswordHasher.maximumLength else {
            return again("Enter your username and password.", status: .badRequest)
        }
        let keys = ["user:" + username.lowercased(), "addr:" + context.clientAddress]
        if let wait = try await deps.throttle.retryAfter(keys: keys, now: now) {
            return again("Too many failed attempts. Try again in \(wait) seconds.", status: .tooManyRequests,
                         headers: [(.retryAfter, String(wait))])
        }
        guard let user = try await deps.users.authenticate(username: username, password: password) else {
            ServerMetrics.loginFailed()
            try await deps.throttle.recordFailure(keys: keys, now: now, maxFailures: deps.settings.loginMaxFailures,
                                                  lockout: deps.settings.loginLockout)
            // One message for unknown users and wrong passwords.
            return again("The username or password is incorrect.", status: .unauthorized)
        }
        try await deps.throttle.reset(key: keys[0])
        // A new session id at sign-in, so a planted cookie cannot be promoted (session fixation).
        try await deps.sessions.delete(id: sessionID)
        let session = try await deps.sessions.create(userID: user.id, authTime: now, now: now,
                                                     lifetime: deps.settings.sessionExpire)
        let cookie = SessionCookie.set(session.id, maxAge: deps.settings.sessionExpire, secure: deps.settings.issuerIsHTTPS)
        if next.isEmpty {
            return deps.pages.message("Signed in", "You are signed in as \(user.username).", headers: [cookie])
        }
        return HTTPResponses.redirect(next, status: .seeOther, headers: [cookie])
    }

    private func loginPage(next: String, clientName: String?, loginHint: String?, session: BrowserSession?,
                           now: Date) async throws -> Response {
        var headers: [(HTTPField.Name, String)] = []
        let sessionID: String
        if let session {
            sessionID = session.id
        } else {
            let fresh = try await deps.sessions.create(userID: nil, authTime: nil, now: now, lifetime: Self.anonymousSessionLifetime)
            sessionID = fresh.id
            headers.append(SessionCookie.set(fresh.id, maxAge: Self.anonymousSessionLifetime, secure: deps.settings.issuerIsHTTPS))
        }
        return deps.pages.page("login", [
            "client_name": clientName as Any, "username": loginHint ?? "",
            "csrf_token": deps.csrfToken(for: sessionID), "next": next,
        ], headers: headers)
    }

    // MARK: - Consent

    func submitConsent(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let form: FormParameters, sessionID: String
        switch try await sessionForm(request, context) {
        case .failure(let failure): return failure.response
        case .success(let posted): (form, sessionID) = posted
        }
        let now = deps.clock.now
        guard let text = form["request"], let parameters = FormParameters(encoded: text) else {
            return deps.pages.error("Invalid request", "The consent form is incomplete.", status: .badRequest)
        }
        let authorization: AuthorizationRequest
        let client: Client
        switch try await validate(parameters) {
        case .failure(let response): return response
        case .success(let valid): (authorization, client) = valid
        }
        guard let session = try await deps.sessions.find(id: sessionID, now: now), let user = session.user else {
            return try await loginPage(next: Self.authorizeURL(parameters, droppingLoginPrompt: true), clientName: client.name,
                                       loginHint: nil, session: nil, now: now)
        }
        let allowed = form["allow"] != nil && form["deny"] == nil
        guard allowed else {
            guard form["deny"] != nil else {
                return deps.pages.error("Invalid request", "Choose Allow or Deny.", status: .badRequest)
            }
            return redirectError(.accessDenied("the user denied the request"), authorization)
        }
        if client.reuseConsent && deps.settings.skipConsentExpireDays > 0 {
            try await deps.consents.save(userID: user.id, clientID: client.id, scopes: authorization.scopes, now: now,
                                         lifetimeDays: deps.settings.skipConsentExpireDays)
        }
        return try await issueCode(authorization, client: client, user: user, authTime: session.authTime ?? now)
    }

    // MARK: - Helpers

    private func currentSession(_ request: Request, now: Date) async throws -> BrowserSession? {
        guard let id = SessionCookie.read(request) else { return nil }
        return try await deps.sessions.find(id: id, now: now)
    }

    private func clientName(forNext next: String) async throws -> String? {
        guard let query = next.split(separator: "?", maxSplits: 1).dropFirst().first,
              let parameters = FormParameters(encoded: query), let id = parameters.value("client_id")
        else { return nil }
        return try await deps.clients.find(clientID: id)?.name
    }

    static func authorizeURL(_ parameters: FormParameters, droppingLoginPrompt: Bool) -> String {
        var pairs = parameters.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if droppingLoginPrompt {
            pairs = pairs.compactMap { name, value in
                guard name == "prompt" else { return (name, value) }
                let rest = value.split(separator: " ").filter { $0 != "login" }.joined(separator: " ")
                return rest.isEmpty ? nil : (name, rest)
            }
        }
        return "/authorize?" + FormParameters.encode(pairs)
    }

    /// Only a relative /authorize URL may follow sign-in: anything else
    /// would make the login form an open redirector.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/authorize?"), !next.contains("//"), !next.contains("\\") else { return "" }
        return next
    }
}

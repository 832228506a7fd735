import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/authorize` (OIDC Core §3.1.2): validates the request, then asks for a
/// sign-in or consent when a named check says so, else issues the code.
struct AuthorizeController {
    let deps: ServerDependencies
    var flow: AuthorizationFlow { AuthorizationFlow(deps: deps) }

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/authorize") { request, context in try await authorize(request, context) }
        router.post("/authorize") { request, context in try await authorize(request, context) }
    }

    func authorize(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        let parameters: FormParameters?
        if request.method == .post {
            guard request.isFormEncoded else { return deps.pages.error(.malformedRequest) }
            parameters = try await request.formParameters(limit: context.maxUploadSize)
        } else {
            parameters = request.queryParameters
        }
        guard let parameters else { return deps.pages.error(.malformedRequest) }

        let authorization: AuthorizationRequest
        let client: Client
        switch try await flow.validate(parameters) {
        case .failure(let response): return response
        case .success(let valid): (authorization, client) = valid
        }
        var hintSubject: String?
        if let hint = parameters.value("id_token_hint") {
            // OIDC Core §3.1.2.1: a hint must be an ID token this provider issued (expired ones included).
            guard let claims = await deps.signer.verifiedClaims(hint, clients: deps.clients) else {
                return flow.redirectError(.invalidRequest("id_token_hint was not issued by this provider"), authorization)
            }
            hintSubject = claims.sub
        }
        let now = deps.clock.now
        let session = try await flow.currentSession(request, now: now)
        let signedIn = session.flatMap { s in
            s.user.map { SignInCheck.Session(subject: $0.subject, authTime: s.authTime) }
        }
        if let failing = SignInCheck.failing(session: signedIn, prompt: authorization.prompt, maxAge: authorization.maxAge,
                                             hintSubject: hintSubject, now: now) {
            if authorization.prompt.contains(.none) {
                return flow.redirectError(failing.error(), authorization)
            }
            // Back from the sign-in without what asked for it, or it would be asked forever.
            let next = AuthorizationFlow.authorizeURL(authorization.parameters, droppingLoginPrompt: true,
                                                      dropping: SignInCheck.satisfiedBySignIn)
            return flow.loginPage(request, next: next, clientName: client.name, username: authorization.loginHint)
        }
        guard let session, let user = session.user else { throw HTTPError(.internalServerError) }

        let remembered = client.requireConsent && client.reuseConsent && !authorization.prompt.contains(.consent)
            ? try await deps.consents.scopes(userID: user.id, clientID: client.id, now: now) : nil
        switch ConsentCheck.outcome(client: client, prompt: authorization.prompt, scopes: authorization.scopes,
                                    remembered: remembered) {
        case .ask:
            if authorization.prompt.contains(.none) {
                return flow.redirectError(.consentRequired("the user has not consented to this client"), authorization)
            }
            return consentPage(authorization, client: client, user: user, sessionID: session.id)
        case .covered:
            var granted = authorization
            // A remembered consent was given on the consent page; a client without consent never showed one.
            granted.scopes = OfflineAccess.granted(authorization.scopes, consentedOnPage: client.requireConsent)
            return try await flow.issue(granted, client: client, user: user, authTime: session.authTime ?? now)
        }
    }

    private func consentPage(_ authorization: AuthorizationRequest, client: Client, user: User, sessionID: String) -> Response {
        let links = client.links
        let logoOrigin = links.logoURI.flatMap(PageRenderer.imageOrigin)
        var values: [String: Any] = [
            "client_name": client.name,
            "has_links": links.clientURI != nil || links.tosURI != nil || links.contactEmail != nil,
            "username": user.username,
            "scopes": deps.scopes.current.descriptions(for: authorization.scopes),
            "redirect_host": URLComponents(string: authorization.redirectURI)?.host ?? authorization.redirectURI,
            "switch_account": deps.settings.basePath + AuthorizationFlow.authorizeURL(authorization.parameters, droppingLoginPrompt: true,
                                                             dropping: ["id_token_hint", "login_hint"],
                                                             adding: [("prompt", "login")]),
            "csrf_token": deps.csrfToken(for: sessionID),
            "request": authorization.parameters.encoded,
        ]
        // What the client registered about itself, each shown only when present.
        values["client_uri"] = links.clientURI
        values["tos_uri"] = links.tosURI
        values["contact_email"] = links.contactEmail
        if logoOrigin != nil { values["logo_uri"] = links.logoURI }
        return deps.pages.page("consent", values, contentSecurityPolicy: logoOrigin.map(PageRenderer.contentSecurityPolicy(imagesFrom:)) ?? PageRenderer.contentSecurityPolicy)
    }
}

import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/end-session` (OpenID Connect RP-Initiated Logout 1.0): ends the browser
/// session, then returns to the client only to a registered post-logout URI.
///
/// A request with a valid `id_token_hint` for the signed-in user is the RP
/// speaking for that user and signs out at once. Without one (or with a
/// hint for someone else, which anyone holding their own ID token could
/// send), a signed-in browser is first asked to confirm (a form with a CSRF
/// token bound to its session), as RP-Initiated Logout §2 recommends.
struct EndSessionController {
    let deps: ServerDependencies

    /// The parameters the confirmation form carries to its POST.
    static let carried = ["post_logout_redirect_uri", "state", "client_id", "id_token_hint"]

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/end-session") { request, context in try await endSession(request, context) }
        router.post("/end-session") { request, context in try await endSession(request, context) }
    }

    func endSession(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        var parameters = request.queryParameters
        if request.method == .post && request.isFormEncoded {
            parameters = try await request.formParameters(limit: context.maxUploadSize)
        }
        guard let parameters else { return deps.pages.error(.malformedRequest) }
        let hint = parameters.value("id_token_hint")
        var claims: IDTokenClaims?
        if let hint { claims = await deps.signer.verifiedClaims(hint, clients: deps.clients) }
        let sessionID = deps.sessionID(request)

        let confirmed = request.method == .post && sessionID.map { deps.isValidCSRF(parameters["csrf_token"], sessionID: $0) } == true
        if !confirmed, let sessionID, let session = try await deps.sessions.find(id: sessionID, now: deps.clock.now),
           let user = session.user, claims?.sub != user.subject {
            return confirmationPage(parameters, sessionID: sessionID, username: user.username)
        }

        if let sessionID { try await deps.sessions.delete(id: sessionID) }
        let clear = SessionCookie.clear(secure: deps.settings.issuerIsHTTPS)
        if hint != nil && claims == nil {
            return deps.pages.error(.logoutHintInvalid, headers: [clear])
        }
        var clientID = parameters.value("client_id")
        if let claims {
            // When both are sent, the hint must have been issued to that client.
            if let clientID, claims.aud != clientID {
                return deps.pages.error(.logoutHintForOtherClient, headers: [clear])
            }
            clientID = claims.aud
        }
        if let target = parameters.value("post_logout_redirect_uri") {
            if let clientID, let client = try await deps.clients.find(clientID: clientID),
               client.postLogoutRedirectURIs.contains(target) {
                return HTTPResponses.redirect(RedirectResponse.url(target, [("state", parameters.value("state"))]), headers: [clear])
            }
            return deps.pages.error(.logoutTargetNotRegistered, headers: [clear])
        }
        return deps.pages.message("Signed out", "You are signed out.", headers: [clear])
    }

    private func confirmationPage(_ parameters: FormParameters, sessionID: String, username: String?) -> Response {
        let fields: [[String: String]] = Self.carried.compactMap { name in
            parameters.value(name).map { ["name": name, "value": $0] }
        }
        var values: [String: Any] = ["csrf_token": deps.csrfToken(for: sessionID), "fields": fields]
        values["username"] = username
        return deps.pages.page("end-session", values)
    }
}

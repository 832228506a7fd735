import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/end-session` (OpenID Connect RP-Initiated Logout 1.0): ends the browser
/// session, then returns to the client only to a registered post-logout URI.
struct EndSessionController {
    let deps: ServerDependencies

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("/end-session") { request, context in try await endSession(request, context) }
        router.post("/end-session") { request, context in try await endSession(request, context) }
    }

    func endSession(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        var parameters = request.queryParameters
        if request.method == .post && request.isFormEncoded {
            parameters = try await request.formParameters(limit: context.maxUploadSize)
        }
        guard let parameters else {
            return deps.pages.error("Invalid request", "The request's encoding is malformed.", status: .badRequest)
        }
        if let id = SessionCookie.read(request) {
            try await deps.sessions.delete(id: id)
        }
        let clear = SessionCookie.clear(secure: deps.settings.issuerIsHTTPS)

        if let target = parameters.value("post_logout_redirect_uri") {
            var clientID = parameters.value("client_id")
            if let hint = parameters.value("id_token_hint") {
                guard let claims = await deps.signer.verifiedClaims(hint) else {
                    return deps.pages.error("Signed out", "You are signed out, but the id_token_hint was not issued here.",
                                            status: .badRequest, headers: [clear])
                }
                clientID = clientID ?? claims.aud
            }
            if let clientID, let client = try await deps.clients.find(clientID: clientID),
               client.postLogoutRedirectURIs.contains(target) {
                return HTTPResponses.redirect(RedirectResponse.url(target, [("state", parameters.value("state"))]), headers: [clear])
            }
            return deps.pages.error("Signed out", "You are signed out. The return address is not registered, so you stay here.",
                                    status: .badRequest, headers: [clear])
        }
        return deps.pages.message("Signed out", "You are signed out.", headers: [clear])
    }
}

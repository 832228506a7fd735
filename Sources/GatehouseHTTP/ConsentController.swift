import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// The consent page's form (`POST /consent`): Allow issues the code, Deny
/// answers `access_denied`. The form's CSRF token is bound to the session.
struct ConsentController {
    let deps: ServerDependencies
    var flow: AuthorizationFlow { AuthorizationFlow(deps: deps) }

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.post("/consent") { request, context in try await submitConsent(request, context) }
    }

    func submitConsent(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return deps.pages.error(.malformedRequest)
        }
        guard let sessionID = deps.sessionID(request), deps.isValidCSRF(form["csrf_token"], sessionID: sessionID) else {
            return deps.pages.error(.formExpired)
        }
        let now = deps.clock.now
        guard let text = form["request"], let parameters = FormParameters(encoded: text) else {
            return deps.pages.error(.malformedRequest)
        }
        let authorization: AuthorizationRequest
        let client: Client
        switch try await flow.validate(parameters) {
        case .failure(let response): return response
        case .success(let valid): (authorization, client) = valid
        }
        guard let session = try await deps.sessions.find(id: sessionID, now: now), let user = session.user else {
            let next = AuthorizationFlow.authorizeURL(parameters, droppingLoginPrompt: true, dropping: SignInCheck.satisfiedBySignIn)
            return flow.loginPage(request, next: next, clientName: client.name, username: nil)
        }
        let allowed = form["allow"] != nil && form["deny"] == nil
        guard allowed else {
            guard form["deny"] != nil else { return deps.pages.error(.chooseAllowOrDeny) }
            return flow.redirectError(.accessDenied("the user denied the request"), authorization)
        }
        if client.reuseConsent && deps.settings.skipConsentExpire > .zero {
            try await deps.consents.save(userID: user.id, clientID: client.id, scopes: authorization.scopes, now: now,
                                         lifetime: deps.settings.skipConsentExpire)
        }
        // Allowed on the page: offline_access included (OIDC Core §11).
        return try await flow.issue(authorization, client: client, user: user, authTime: session.authTime ?? now)
    }
}

import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/revoke` (RFC 7009): a client gives a token back. A refresh token ends
/// its whole grant; an access token ends alone.
struct RevocationController {
    let deps: ServerDependencies

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.post("/revoke") { request, context in try await revoke(request, context) }
        BackChannelEndpoint.refuseOtherMethods(on: router, path: "/revoke")
    }

    func revoke(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        do {
            let (form, credentials) = try await BackChannelEndpoint.read(request, context)
            try BackChannelEndpoint.checkHint(form)
            guard let token = form.value("token") else { throw OAuthError.invalidRequest("token is missing") }
            // Confidential clients authenticate; a public client sends its client_id (§2.1).
            let decision = try await deps.tokens.revoke(token, client: ClientAuthentication(credentials), now: deps.clock.now)
            if case .refuse(let error) = decision { throw error }
            // §2.2: 200 whether or not there was anything to revoke.
            var headers = HTTPFields()
            for (name, value) in HTTPResponses.noStore { headers.append(HTTPField(name: name, value: value)) }
            return Response(status: .ok, headers: headers)
        } catch let error as OAuthError {
            return BackChannelEndpoint.error(error)
        }
    }
}

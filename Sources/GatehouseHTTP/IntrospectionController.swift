import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/introspect` (RFC 7662): whether a token is active, for the client it
/// was issued to and for resource servers. One database round trip.
struct IntrospectionController {
    let deps: ServerDependencies

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.post("/introspect") { request, context in try await introspect(request, context) }
        BackChannelEndpoint.refuseOtherMethods(on: router, path: "/introspect")
    }

    func introspect(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        do {
            let (form, credentials) = try await BackChannelEndpoint.read(request, context)
            try BackChannelEndpoint.checkHint(form)
            guard let token = form.value("token") else { throw OAuthError.invalidRequest("token is missing") }
            // A public client has no credentials to prove it is the caller (§2.1).
            let client = ClientAuthentication(credentials) { client in
                guard client.kind == .confidential else {
                    throw OAuthError.invalidClient("introspection needs a confidential client")
                }
            }
            let (caller, found) = try await deps.tokens.find(token, client: client)
            let answer = TokenIntrospection.answer(found, caller: caller, issuer: deps.settings.issuer, now: deps.clock.now)
            ServerMetrics.introspected(active: answer["active"] == .bool(true))
            return HTTPResponses.json(object: answer, headers: HTTPResponses.noStore)
        } catch let error as OAuthError {
            return BackChannelEndpoint.error(error)
        }
    }
}

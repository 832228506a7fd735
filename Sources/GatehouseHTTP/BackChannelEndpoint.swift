import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// What the back-channel endpoints a client authenticates to share
/// (`/token`, `/introspect`, `/revoke`): POST only, a form body with no
/// repeated parameter, the client's credentials, and JSON errors that are
/// never cached, with a Basic challenge for `invalid_client` (RFC 6749 §5.2).
enum BackChannelEndpoint {
    /// 405 with `Allow: POST` for every other method (HEAD and OPTIONS too:
    /// these endpoints answer no CORS preflight; they are called by servers).
    static func refuseOtherMethods(on router: some RouterMethods<GatehouseRequestContext>, path: RouterPath) {
        for method: HTTPRequest.Method in [.get, .put, .delete, .patch, .head, .options] {
            router.on(path, method: method) { _, _ in
                var response = HTTPResponses.oauthError(OAuthError("invalid_request", "use POST", status: 405),
                                                        headers: HTTPResponses.noStore)
                response.headers[.allow] = "POST"
                return response
            }
        }
    }

    /// The form and the client's credentials, or an `OAuthError`.
    static func read(_ request: Request, _ context: GatehouseRequestContext) async throws -> (FormParameters, ClientCredentials) {
        var request = request
        guard request.isFormEncoded else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        guard let form = try await request.formParameters(limit: context.maxUploadSize) else {
            throw OAuthError.invalidRequest("the body's encoding is malformed")
        }
        try form.rejectRepeats()
        guard request.headers[values: .authorization].count <= 1 else {
            throw OAuthError.invalidRequest("send one Authorization header")
        }
        return (form, try ClientCredentials.from(authorization: request.headers[.authorization], body: form))
    }

    /// The JSON error answer.
    static func error(_ error: OAuthError) -> Response {
        var headers = HTTPResponses.noStore
        if error.code == "invalid_client" {
            headers.append((.wwwAuthenticate, "Basic realm=\"gatehouse\", error=\"invalid_client\""))
        }
        return HTTPResponses.oauthError(error, headers: headers)
    }

    /// `token_type_hint` (RFC 7009 §2.1, RFC 7662 §2.1): only a value this
    /// server knows; it is a hint, so the lookup searches both tables anyway.
    static func checkHint(_ form: FormParameters) throws {
        if let hint = form.value("token_type_hint"), TokenKind(rawValue: hint) == nil {
            throw OAuthError("unsupported_token_type", "token_type_hint must be access_token or refresh_token")
        }
    }
}

import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/userinfo` (OIDC Core §5.3, RFC 6750).
struct UserInfoController {
    let deps: ServerDependencies

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/userinfo") { request, context in try await userInfo(request, context) }
        router.post("/userinfo") { request, context in try await userInfo(request, context) }
        router.on("/userinfo", method: .options) { _, _ in CORS.preflight(methods: "GET, POST") }
    }

    func userInfo(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        do {
            var body: FormParameters?
            if request.method == .post && request.isFormEncoded {
                guard let form = try await request.formParameters(limit: context.maxUploadSize) else {
                    throw OAuthError.invalidRequest("the body's encoding is malformed")
                }
                body = form
            }
            guard let query = request.queryParameters else { throw OAuthError.invalidRequest("the query's encoding is malformed") }
            guard request.headers[values: .authorization].count <= 1 else {
                throw OAuthError.invalidRequest("send one Authorization header")
            }
            guard let token = try BearerToken.extract(authorization: request.headers[.authorization], body: body, query: query) else {
                throw OAuthError.invalidToken("no access token was sent")
            }
            guard let (user, scopes) = try await deps.grants.owner(ofAccessToken: token, now: deps.clock.now) else {
                throw OAuthError.invalidToken("the access token is invalid, expired or revoked")
            }
            guard scopes.contains("openid") else {
                throw OAuthError.insufficientScope("the access token does not hold the openid scope")
            }
            return HTTPResponses.json(object: UserClaims.claims(for: user, scopes: scopes, catalog: deps.scopes.current),
                                      headers: HTTPResponses.noStore + CORS.headers)
        } catch let error as OAuthError {
            // RFC 6750 §3: the challenge names the error.
            let challenge = "Bearer realm=\"gatehouse\", error=\(HTTPResponses.quoted(error.code)), error_description=\(HTTPResponses.quoted(error.errorDescription))"
            return HTTPResponses.oauthError(error, headers: HTTPResponses.noStore + CORS.headers + [(.wwwAuthenticate, challenge)])
        }
    }
}

/// CORS for the endpoints browsers' scripts may call: userinfo, discovery, JWKS. Never /authorize.
enum CORS {
    static let headers: [(HTTPField.Name, String)] = [(.accessControlAllowOrigin, "*")]

    static func preflight(methods: String) -> Response {
        var fields = HTTPFields()
        fields[.accessControlAllowOrigin] = "*"
        fields[.accessControlAllowMethods] = methods
        fields[.accessControlAllowHeaders] = "Authorization, Content-Type"
        fields[.accessControlMaxAge] = "86400"
        return Response(status: .noContent, headers: fields)
    }
}

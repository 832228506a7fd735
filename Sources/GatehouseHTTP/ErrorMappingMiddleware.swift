import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Turns errors that escape the endpoints into answers in the right format:
/// a database that cannot be reached is 503 (JSON for API routes, an HTML page
/// for browser routes), anything unexpected a generic 500. Never a crash,
/// never a hang, never an internal detail in the body.
///
/// Every answer leaves with `X-Content-Type-Options: nosniff` (errors the
/// router raises, such as 404 and 413, included) and, with an https issuer,
/// `Strict-Transport-Security`.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let pages: PageRenderer
    let hsts: Bool

    static let browserPrefixes = ["/authorize", "/login", "/consent", "/end-session"]
    /// Two years, subdomains included: an https issuer is https for good.
    static let hstsValue = "max-age=63072000; includeSubDomains"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = await answer(request, context: context, next: next)
        response.headers[.xContentTypeOptions] = "nosniff"
        if hsts { response.headers[.strictTransportSecurity] = Self.hstsValue }
        return response
    }

    private func answer(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            // Raised while collecting the body; answer in the endpoint's format.
            if isBrowserRoute(request) { return pages.error(.tooLarge) }
            let reason = "the request body is larger than \(context.maxUploadSize / 1024) KiB"
            return HTTPResponses.oauthError(OAuthError("invalid_request", reason, status: 413), headers: HTTPResponses.noStore)
        } catch let error as HTTPResponseError {
            // The router's own answers (404, 405): kept, with the headers every answer carries.
            return (try? error.response(from: request, context: context)) ?? Response(status: error.status)
        } catch is HTTPParserError {
            // A body the HTTP parser rejected (broken chunking, an unknown Transfer-Encoding).
            return badRequest(request, "the request body is malformed")
        } catch StoreFailure.rejectedInput {
            // Text the database cannot hold (a NUL) that got past the parameter checks.
            return badRequest(request, "the request contains a character that is not allowed")
        } catch let error as StoreFailure {
            context.logger.error("database unavailable", metadata: ["error": "\(error)"])
            return unavailable(request)
        } catch let error as OAuthError {
            return HTTPResponses.oauthError(error, headers: HTTPResponses.noStore)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            if isBrowserRoute(request) { return pages.error(.internalError) }
            return HTTPResponses.oauthError(.serverError("the request could not be completed"), headers: HTTPResponses.noStore)
        }
    }

    private func badRequest(_ request: Request, _ reason: String) -> Response {
        if isBrowserRoute(request) { return pages.error(.malformedRequest) }
        return HTTPResponses.oauthError(.invalidRequest(reason), headers: HTTPResponses.noStore)
    }

    private func unavailable(_ request: Request) -> Response {
        let retry: [(HTTPField.Name, String)] = [(.retryAfter, "5")]
        if isBrowserRoute(request) { return pages.error(.unavailable, headers: retry) }
        return HTTPResponses.oauthError(.temporarilyUnavailable("the database is unavailable; try again shortly"),
                                        headers: HTTPResponses.noStore + retry)
    }

    private func isBrowserRoute(_ request: Request) -> Bool {
        Self.browserPrefixes.contains { request.uri.path.hasPrefix($0) }
    }
}

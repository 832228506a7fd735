import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOHTTP1
import PGClient

/// Turns errors that escape the endpoints into answers in the right format:
/// a database that cannot be reached is 503 (JSON for API routes, an HTML page
/// for browser routes), anything unexpected a generic 500. Never a crash,
/// never a hang, never an internal detail in the body.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let pages: PageRenderer

    static let browserPrefixes = ["/authorize", "/login", "/consent", "/end-session"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.xContentTypeOptions] = "nosniff"
            return response
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            // Raised while collecting the body; answer in the endpoint's format.
            let reason = "the request body is larger than \(context.maxUploadSize / 1024) KiB"
            if isBrowserRoute(request) {
                return pages.error("Request too large", reason, status: .contentTooLarge)
            }
            return HTTPResponses.oauthError(OAuthError("invalid_request", reason, status: 413), headers: HTTPResponses.noStore)
        } catch let error as HTTPResponseError {
            throw error
        } catch is HTTPParserError {
            // A body the HTTP parser rejected (broken chunking, an unknown Transfer-Encoding).
            return badRequest(request, "the request body is malformed")
        } catch let error as PGError where error.kind == .invalidParameter {
            // Text Postgres cannot hold (a NUL) that got past the parameter checks.
            return badRequest(request, "the request contains a character that is not allowed")
        } catch let error as PGError where error.isUnavailable {
            context.logger.error("database unavailable", metadata: ["error": "\(error)"])
            return unavailable(request)
        } catch let error as OAuthError {
            return HTTPResponses.oauthError(error, headers: HTTPResponses.noStore)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            if isBrowserRoute(request) {
                return pages.error("Something went wrong", "Please try again.", status: .internalServerError)
            }
            return HTTPResponses.oauthError(.serverError("the request could not be completed"), headers: HTTPResponses.noStore)
        }
    }

    private func badRequest(_ request: Request, _ reason: String) -> Response {
        if isBrowserRoute(request) {
            return pages.error("Bad request", reason, status: .badRequest)
        }
        return HTTPResponses.oauthError(.invalidRequest(reason), headers: HTTPResponses.noStore)
    }

    private func unavailable(_ request: Request) -> Response {
        let retry: [(HTTPField.Name, String)] = [(.retryAfter, "5")]
        if isBrowserRoute(request) {
            return pages.error("Temporarily unavailable", "Gatehouse cannot reach its database. Please try again shortly.",
                               status: .serviceUnavailable, headers: retry)
        }
        return HTTPResponses.oauthError(.temporarilyUnavailable("the database is unavailable; try again shortly"),
                                        headers: HTTPResponses.noStore + retry)
    }

    private func isBrowserRoute(_ request: Request) -> Bool {
        Self.browserPrefixes.contains { request.uri.path.hasPrefix($0) }
    }
}

import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// The two families of endpoints. Each answers every error in its own
/// format: the JSON APIs as RFC 6749 §5.2 objects, the browser pages as an
/// error page. The family is chosen by the route group an endpoint is
/// registered in (`GatehouseServer.makeRouter`), not by its path.
enum EndpointFamily: Sendable {
    case api
    case browser
}

/// Turns any error that escapes an endpoint into its family's answer: a
/// database that cannot be reached is 503, a body over the limit 413, an
/// `OAuthError` its own status and code, anything unexpected a generic 500.
/// Never a crash, never a hang, never an internal detail in the body.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let family: EndpointFamily
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError where error.status != .contentTooLarge {
            // The router's own answers (404, 405): SecurityHeadersMiddleware renders them.
            throw error
        } catch {
            return answer(Failure(error, context: context), context: context)
        }
    }

    /// What went wrong, in the terms both families answer.
    enum Failure {
        case tooLarge(limitKiB: Int)
        case malformed(String)
        case unavailable(StoreFailure)
        case oauth(OAuthError)
        case unexpected(any Error)

        init(_ error: any Error, context: Context) {
            switch error {
            // Raised while collecting the body.
            case let error as HTTPResponseError where error.status == .contentTooLarge:
                self = .tooLarge(limitKiB: context.maxUploadSize / 1024)
            // A body the HTTP parser rejected (broken chunking, an unknown Transfer-Encoding).
            case is HTTPParserError: self = .malformed("the request body is malformed")
            // Text the database cannot hold (a NUL) that got past the parameter checks.
            case StoreFailure.rejectedInput: self = .malformed("the request contains a character that is not allowed")
            case let error as StoreFailure: self = .unavailable(error)
            case let error as OAuthError: self = .oauth(error)
            default: self = .unexpected(error)
            }
        }
    }

    func answer(_ failure: Failure, context: Context) -> Response {
        switch failure {
        case .unavailable(let error):
            context.logger.error("database unavailable", metadata: ["error": "\(error)"])
        case .unexpected(let error):
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        default:
            break
        }
        switch family {
        case .api: return json(failure, context: context)
        case .browser: return page(failure, context: context)
        }
    }

    private func json(_ failure: Failure, context: Context) -> Response {
        let retry: [(HTTPField.Name, String)] = [(.retryAfter, "5")]
        switch failure {
        case .tooLarge(let limit):
            return HTTPResponses.oauthError(OAuthError("invalid_request", "the request body is larger than \(limit) KiB", status: 413),
                                            headers: HTTPResponses.noStore)
        case .malformed(let reason):
            return HTTPResponses.oauthError(.invalidRequest(reason), headers: HTTPResponses.noStore)
        case .unavailable:
            return HTTPResponses.oauthError(.temporarilyUnavailable("the database is unavailable; try again shortly"),
                                            headers: HTTPResponses.noStore + retry)
        case .oauth(let error):
            return HTTPResponses.oauthError(error, headers: HTTPResponses.noStore)
        case .unexpected:
            return HTTPResponses.oauthError(.serverError("the request could not be completed"), headers: HTTPResponses.noStore)
        }
    }

    private func page(_ failure: Failure, context: Context) -> Response {
        switch failure {
        case .tooLarge: return pages.error(.tooLarge)
        case .malformed: return pages.error(.malformedRequest)
        case .unavailable: return pages.error(.unavailable, headers: [(.retryAfter, "5")])
        case .oauth(let error): return pages.error(.oauth(error))
        case .unexpected: return pages.error(.internalError)
        }
    }
}

/// The headers every answer leaves with, errors the router raises itself
/// (404, 405) included: `X-Content-Type-Options: nosniff` and, with an
/// https issuer, `Strict-Transport-Security`.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let hsts: Bool

    /// Two years, subdomains included: an https issuer is https for good.
    static let hstsValue = "max-age=63072000; includeSubDomains"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPResponseError {
            response = (try? error.response(from: request, context: context)) ?? Response(status: error.status)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        if hsts { response.headers[.strictTransportSecurity] = Self.hstsValue }
        return response
    }
}

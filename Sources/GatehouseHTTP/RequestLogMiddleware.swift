import GatehouseCore
import Hummingbird
import Logging

/// One log line per request: method, route template, status, duration and
/// request id. Never the query string (it can carry `access_token`), never a
/// header or body (cookies, credentials).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    /// Behind these, the client address logged is the forwarded one (`ClientAddress`).
    let trustedProxies: [IPNetwork]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            context.logger.info("request", metadata: [
                "method": "\(request.method.rawValue)",
                "route": "\(context.endpointPath ?? "unmatched")",
                "status": "\(status)",
                "duration_ms": "\((milliseconds * 100).rounded() / 100)",
                "request_id": "\(context.id)",
                "client": "\(ClientAddress.resolve(peer: context.clientAddress, forwardedFor: request.headers[values: .xForwardedFor], trustedProxies: trustedProxies))",
            ])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}

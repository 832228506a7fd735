import HTTPTypes
import Hummingbird

/// Serves every route under the issuer's path too: with `OIDC_ISSUER`
/// `https://example.com/openid`, `/openid/authorize/` is `/authorize`, as
/// django-oidc-provider mounted its URLs, so relying parties configured for
/// it need no change. It wraps the router's responder, since the path must
/// change before the router matches it. Paths outside the prefix are routed
/// as they are (health checks and metrics scrapers call the server directly,
/// not through the proxy that maps the prefix).
public struct IssuerPathRouting<Builder: HTTPResponderBuilder>: HTTPResponderBuilder {
    /// The issuer's path without its trailing slash (`/openid`); "" leaves paths alone.
    let base: String
    let router: Builder

    public init(base: String, router: Builder) {
        self.base = base
        self.router = router
    }

    public func buildResponder() -> Responder {
        Responder(base: base, inner: router.buildResponder())
    }

    public struct Responder: HTTPResponder {
        public typealias Context = Builder.Responder.Context
        let base: String
        let inner: Builder.Responder

        public func respond(to request: Request, context: Context) async throws -> Response {
            guard let rest = IssuerPathRouting.path(request.uri.path, under: base) else {
                return try await inner.respond(to: request, context: context)
            }
            var head = request.head
            head.path = rest + (request.uri.query.map { "?" + $0 } ?? "")
            return try await inner.respond(to: Request(head: head, body: request.body), context: context)
        }
    }

    /// The path within `base` (`/openid/token/` → `/token/`), or nil when
    /// `path` is not under it.
    static func path(_ path: String, under base: String) -> String? {
        guard !base.isEmpty, path.hasPrefix(base) else { return nil }
        let rest = path.dropFirst(base.count)
        guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        return rest.isEmpty ? "/" : String(rest)
    }
}

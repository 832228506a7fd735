import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Synchronization

/// `/.well-known/openid-configuration` (OIDC Discovery §3) and `/jwks`.
/// Discovery is serialised once per scope catalog (it lists the operator's
/// scopes and claims); the JWKS once per set of keys (`KeyRing`).
struct DiscoveryController {
    let settings: Settings
    let scopes: ScopeRegistry
    let keyRing: KeyRing
    /// The document of the last catalog seen.
    let cache: DiscoveryCache

    init(deps: ServerDependencies) {
        settings = deps.settings
        scopes = deps.scopes
        keyRing = deps.keyRing
        cache = DiscoveryCache()
    }

    /// The discovery document for `catalog`.
    static func document(settings: Settings, catalog: ScopeCatalog) -> ByteBuffer {
        let issuer = settings.issuer
        let document: [String: DiscoveryValue] = [
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "/authorize"),
            "token_endpoint": .string(issuer + "/token"),
            "userinfo_endpoint": .string(issuer + "/userinfo"),
            "jwks_uri": .string(issuer + "/jwks"),
            "end_session_endpoint": .string(issuer + "/end-session"),
            "introspection_endpoint": .string(issuer + "/introspect"),
            "revocation_endpoint": .string(issuer + "/revoke"),
            // Introspection needs a confidential client; a public client may revoke with its client_id.
            "introspection_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post"]),
            "revocation_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post", "none"]),
            "scopes_supported": .strings(catalog.supportedScopes),
            "claims_supported": .strings(catalog.supportedClaims + ["iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash"]),
            "response_types_supported": .strings(ResponseType.allCases.map(\.rawValue)),
            "response_modes_supported": .strings(ResponseMode.allCases.map(\.rawValue)),
            // implicit: the response types without a code (OAuth 2.0 Dynamic Registration §2.1).
            "grant_types_supported": .strings(ClientRegistration.supportedGrantTypes + ["implicit"]),
            "subject_types_supported": .strings(["public"]),
            "id_token_signing_alg_values_supported": .strings(SigningAlgorithm.allCases.map(\.rawValue)),
            "token_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post", "none"]),
            "code_challenge_methods_supported": .strings(settings.allowPlainPKCE ? ["S256", "plain"] : ["S256"]),
            "prompt_values_supported": .strings(["none", "login", "consent", "select_account"]),
            "claims_parameter_supported": .bool(false),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(false),
            "authorization_response_iss_parameter_supported": .bool(true),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ByteBuffer(bytes: (try? encoder.encode(document)) ?? Data())
    }

    var discoveryJSON: ByteBuffer {
        let catalog = scopes.current
        return cache.document(for: catalog) { Self.document(settings: settings, catalog: catalog) }
    }

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/.well-known/openid-configuration") { _, _ in document(discoveryJSON) }
        router.on("/.well-known/openid-configuration", method: .options) { _, _ in CORS.preflight(methods: "GET") }
        router.get("/jwks") { _, _ in document(ByteBuffer(string: keyRing.current.jwksJSON), contentType: "application/jwk-set+json") }
        router.on("/jwks", method: .options) { _, _ in CORS.preflight(methods: "GET") }
    }

    private func document(_ body: ByteBuffer, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.accessControlAllowOrigin] = "*"
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

/// The serialised discovery document and the catalog it was made for.
final class DiscoveryCache: Sendable {
    private let state = Mutex<(ScopeCatalog, ByteBuffer)?>(nil)

    func document(for catalog: ScopeCatalog, make: () -> ByteBuffer) -> ByteBuffer {
        if let (cached, buffer) = state.withLock({ $0 }), cached == catalog { return buffer }
        let buffer = make()
        state.withLock { $0 = (catalog, buffer) }
        return buffer
    }
}

enum DiscoveryValue: Encodable {
    case string(String)
    case strings([String])
    case bool(Bool)

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .strings(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        }
    }
}

import Foundation

/// A request to register a client, as `gatehouse client create` takes it.
///
/// `validated(policy:)` applies the defaults and every rule, so what reaches
/// the store is always a client Gatehouse can serve.
public struct ClientRegistration: Sendable {
    public var name: String
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String] = []
    public var kind: Client.Kind = .confidential
    /// Empty means the default: authorization_code and refresh_token.
    public var grantTypes: [String] = []
    /// Empty means the default: code.
    public var responseTypes: [String] = []
    /// Empty means the default: every scope Gatehouse knows.
    public var scopes: [String] = []
    public var requireConsent = true
    public var reuseConsent = true
    /// `client_secret_basic` or `client_secret_post` to accept only that
    /// method at `/token`; nil accepts either (public clients: `none`).
    public var authMethod: String?
    /// `id_token_signed_response_alg`; nil means RS256.
    public var idTokenAlgorithm: String?
    /// May introspect every client's tokens; needs no redirect URI.
    public var resourceServer = false
    /// `opaque` (nil) or `jwt`.
    public var accessTokenFormat: String?

    public init(name: String, redirectURIs: [String]) {
        self.name = name
        self.redirectURIs = redirectURIs
    }

    public static let supportedGrantTypes = GrantType.allCases.map(\.rawValue)
    public static let supportedResponseTypes = ResponseType.allCases.map(\.rawValue)
    public static let supportedAlgorithms = SigningAlgorithm.allCases.map(\.rawValue)
    public static let defaultScopes = ["openid", "profile", "email", "phone", "address", "offline_access"]

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// The registration with defaults filled in; throws `Invalid` or
    /// `RedirectURIPolicy.Violation` for anything Gatehouse could not honour.
    public func validated(policy: RedirectURIPolicy) throws -> ClientRegistration {
        var r = self
        r.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !r.name.isEmpty, r.name.count <= 200 else {
            throw Invalid(reason: "the client name must be 1 to 200 characters")
        }
        guard !redirectURIs.isEmpty || resourceServer else { throw Invalid(reason: "at least one --redirect-uri is required") }
        if resourceServer && kind == .public {
            throw Invalid(reason: "a resource server authenticates to introspect: it cannot be a public client")
        }
        for uri in redirectURIs + postLogoutRedirectURIs {
            try policy.check(uri, isPublicClient: kind == .public)
        }
        r.redirectURIs = Self.unique(redirectURIs)
        r.postLogoutRedirectURIs = Self.unique(postLogoutRedirectURIs)

        // A resource server without redirect URIs has no browser flow: no grant unless asked for.
        let defaultGrants = redirectURIs.isEmpty ? [] : ["authorization_code", "refresh_token"]
        r.grantTypes = Self.unique(grantTypes.isEmpty ? defaultGrants : grantTypes)
        if redirectURIs.isEmpty && r.grantTypes.contains("authorization_code") {
            throw Invalid(reason: "the authorization_code grant needs a --redirect-uri")
        }
        for grant in r.grantTypes where !Self.supportedGrantTypes.contains(grant) {
            throw Invalid(reason: "unsupported grant type '\(grant)' (supported: \(Self.supportedGrantTypes.joined(separator: ", ")))")
        }
        if r.grantTypes.contains("refresh_token") && !r.grantTypes.contains("authorization_code") {
            throw Invalid(reason: "grant type refresh_token needs authorization_code as well")
        }
        if kind == .public && r.grantTypes.contains("client_credentials") {
            throw Invalid(reason: "a public client cannot use client_credentials: it has no secret")
        }

        // Every front-channel response starts at /authorize, which needs the
        // authorization_code grant: a client_credentials-only client gets no
        // response type, so neither a code nor a token can reach a browser.
        let hasFrontChannel = r.grantTypes.contains("authorization_code")
        var types: [String] = []
        for text in responseTypes {
            guard let type = ResponseType(parameter: text) else {
                throw Invalid(reason: "unsupported response type '\(text)' (supported: \(Self.supportedResponseTypes.joined(separator: ", ")))")
            }
            types.append(type.rawValue)
        }
        if !types.isEmpty && !hasFrontChannel {
            throw Invalid(reason: "response types need the authorization_code grant type; this client cannot use /authorize")
        }
        r.responseTypes = Self.unique(types.isEmpty && hasFrontChannel ? ["code"] : types)

        let algorithm = idTokenAlgorithm ?? SigningAlgorithm.rs256.rawValue
        guard let parsed = SigningAlgorithm(rawValue: algorithm) else {
            throw Invalid(reason: "unsupported ID token algorithm '\(algorithm)' (supported: \(Self.supportedAlgorithms.joined(separator: ", ")))")
        }
        if parsed == .hs256 && kind == .public {
            throw Invalid(reason: "HS256 signs with the client's secret; a public client has none")
        }
        r.idTokenAlgorithm = parsed.rawValue

        let format = accessTokenFormat ?? AccessTokenFormat.opaque.rawValue
        guard AccessTokenFormat(rawValue: format) != nil else {
            throw Invalid(reason: "--access-token-format must be opaque or jwt, got '\(format)'")
        }
        r.accessTokenFormat = format

        if let method = authMethod {
            switch kind {
            case .confidential where !Self.secretAuthMethods.contains(method):
                throw Invalid(reason: "--token-endpoint-auth-method must be client_secret_basic or client_secret_post for a confidential client, got '\(method)'")
            case .public where method != "none":
                throw Invalid(reason: "a public client has no secret: its token endpoint auth method is none")
            default: break
            }
        }

        r.scopes = Self.unique(scopes.isEmpty ? Self.defaultScopes : scopes)
        for scope in r.scopes where !Self.isScopeToken(scope) {
            throw Invalid(reason: "'\(scope)' is not a valid scope (RFC 6749 §3.3)")
        }
        return r
    }

    /// The validated access-token format (opaque unless jwt was given).
    public var tokenFormat: AccessTokenFormat {
        accessTokenFormat.flatMap(AccessTokenFormat.init(rawValue:)) ?? .opaque
    }

    /// The validated algorithm (RS256 unless another was given).
    public var signingAlgorithm: SigningAlgorithm {
        idTokenAlgorithm.flatMap(SigningAlgorithm.init(rawValue:)) ?? .rs256
    }

    /// The method this client must use at /token; nil: either secret method.
    public var tokenEndpointAuthMethod: String? {
        kind == .public ? "none" : authMethod
    }

    public static let secretAuthMethods = ["client_secret_basic", "client_secret_post"]

    /// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    public static func isScopeToken(_ scope: String) -> Bool {
        !scope.isEmpty && scope.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}

import Foundation

/// A relying party registered with Gatehouse.
public struct Client: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Can keep a secret (a server-side app).
        case confidential
        /// Cannot (a browser or native app); must use PKCE.
        case `public`
    }

    public var id: Int64
    public var clientID: String
    public var name: String
    public var kind: Kind
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]
    public var responseTypes: [ResponseType]
    public var grantTypes: [GrantType]
    public var scopes: [String]
    public var requireConsent: Bool
    public var reuseConsent: Bool
    /// The one method the client registered for `/token`, enforced; nil for a
    /// confidential client that may use either `client_secret_basic` or
    /// `client_secret_post` (as django-oidc-provider accepts both).
    public var tokenEndpointAuthMethod: String?
    public var createdAt: Date
    /// How its ID tokens are signed (`id_token_signed_response_alg`).
    public var idTokenAlgorithm: SigningAlgorithm
    /// For an HS256 client only: its secret, sealed with the server's secret,
    /// since HMAC signing needs the secret itself. Every other client has a digest only.
    public var sealedSecret: [UInt8]?
    /// A resource server (`client create --resource-server`): may introspect
    /// any token, not only its own (RFC 7662 §2.1).
    public var isResourceServer: Bool
    /// Opaque (default) or RFC 9068 JWT access tokens.
    public var accessTokenFormat: AccessTokenFormat
    /// Home page, terms, logo and contact the consent page shows when present.
    public var links: ClientLinks

    public init(id: Int64, clientID: String, name: String, kind: Kind, redirectURIs: [String],
                postLogoutRedirectURIs: [String], responseTypes: [ResponseType], grantTypes: [GrantType],
                scopes: [String], requireConsent: Bool, reuseConsent: Bool,
                tokenEndpointAuthMethod: String?, createdAt: Date,
                idTokenAlgorithm: SigningAlgorithm = .rs256, sealedSecret: [UInt8]? = nil, isResourceServer: Bool = false,
                accessTokenFormat: AccessTokenFormat = .opaque, links: ClientLinks = ClientLinks()) {
        self.id = id
        self.clientID = clientID
        self.name = name
        self.kind = kind
        self.redirectURIs = redirectURIs
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.responseTypes = responseTypes
        self.grantTypes = grantTypes
        self.scopes = scopes
        self.requireConsent = requireConsent
        self.reuseConsent = reuseConsent
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.createdAt = createdAt
        self.idTokenAlgorithm = idTokenAlgorithm
        self.sealedSecret = sealedSecret
        self.isResourceServer = isResourceServer
        self.accessTokenFormat = accessTokenFormat
        self.links = links
    }

    /// The methods `/token` accepts from this client (RFC 7591 §2 names).
    public var allowedAuthMethods: [String] {
        if let tokenEndpointAuthMethod { return [tokenEndpointAuthMethod] }
        return kind == .public ? ["none"] : ["client_secret_basic", "client_secret_post"]
    }
}

/// What a consent page may show about a client beyond its name (OIDC
/// Dynamic Client Registration §2 names): all optional, all shown escaped.
public struct ClientLinks: Sendable, Equatable {
    /// The client's home page (`client_uri`).
    public var clientURI: String?
    /// Its terms of service (`tos_uri`).
    public var tosURI: String?
    /// Its logo (`logo_uri`).
    public var logoURI: String?
    public var contactEmail: String?

    public init(clientURI: String? = nil, tosURI: String? = nil, logoURI: String? = nil, contactEmail: String? = nil) {
        self.clientURI = clientURI
        self.tosURI = tosURI
        self.logoURI = logoURI
        self.contactEmail = contactEmail
    }

    public var isEmpty: Bool { clientURI == nil && tosURI == nil && logoURI == nil && contactEmail == nil }
}

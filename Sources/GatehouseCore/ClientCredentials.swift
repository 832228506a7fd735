import Foundation

/// How a client identified itself at the token endpoint (RFC 6749 §2.3.1).
public struct ClientCredentials: Sendable, Equatable {
    public enum Method: String, Sendable { case basic = "client_secret_basic", post = "client_secret_post", none }

    public let clientID: String
    public let secret: String?
    public let method: Method

    public init(clientID: String, secret: String?, method: Method) {
        self.clientID = clientID
        self.secret = secret
        self.method = method
    }

    /// Reads HTTP Basic credentials or the client_id/client_secret body
    /// parameters. Using both at once is an error (RFC 6749 §2.3: "MUST NOT
    /// use more than one authentication method in each request").
    public static func from(authorization: String?, body: FormParameters) throws -> ClientCredentials {
        let bodyID = body.value("client_id")
        let bodySecret = body.value("client_secret")
        if let authorization, let encoded = AuthorizationHeader.credentials(in: authorization, scheme: "basic") {
            if bodySecret != nil {
                throw OAuthError.invalidRequest("use one client authentication method, not both")
            }
            guard let data = Data(base64Encoded: String(encoded)), let pair = String(validating: data, as: UTF8.self),
                  let colon = pair.firstIndex(of: ":")
            else { throw OAuthError.invalidClient("malformed Basic credentials") }
            // Both halves are form-urlencoded before base64 (RFC 6749 §2.3.1).
            guard let id = FormParameters.decode(pair[..<colon]),
                  let secret = FormParameters.decode(pair[pair.index(after: colon)...]), !id.isEmpty
            else { throw OAuthError.invalidClient("malformed Basic credentials") }
            if let bodyID, bodyID != id {
                throw OAuthError.invalidRequest("client_id in the body differs from the Basic credentials")
            }
            return ClientCredentials(clientID: id, secret: secret, method: .basic)
        }
        guard let id = bodyID else { throw OAuthError.invalidClient("client authentication is missing") }
        return ClientCredentials(clientID: id, secret: bodySecret, method: bodySecret == nil ? .none : .post)
    }
}

/// Where a bearer token came from (RFC 6750 §2).
public enum BearerToken {
    /// The token in `Authorization: Bearer`, the form body or the query
    /// (`?access_token=`, kept for django-oidc-provider compatibility).
    /// More than one method at once is invalid_request (RFC 6750 §2).
    public static func extract(authorization: String?, body: FormParameters?, query: FormParameters) throws -> String? {
        var found: [String] = []
        if let authorization, let token = AuthorizationHeader.credentials(in: authorization, scheme: "bearer") {
            guard !token.isEmpty else { throw OAuthError.invalidRequest("the Bearer authorization header is empty") }
            found.append(String(token))
        }
        for source in [body, query].compactMap({ $0 }) {
            if source.repeated.contains("access_token") { throw OAuthError.invalidRequest("access_token is repeated") }
            if let token = source.value("access_token") { found.append(token) }
        }
        guard found.count <= 1 else { throw OAuthError.invalidRequest("send the access token one way only") }
        return found.first
    }
}

/// A token-endpoint caller to authenticate on the same database round trip as
/// its grant: the store looks the client up, `verify`s the secret against the
/// stored digest, then applies `authorize` (the grant's rules for this client).
public struct ClientAuthentication: Sendable {
    public let credentials: ClientCredentials
    public let authorize: @Sendable (Client) throws -> Void

    public init(_ credentials: ClientCredentials, authorize: @escaping @Sendable (Client) throws -> Void = { _ in }) {
        self.credentials = credentials
        self.authorize = authorize
    }

    /// Checks the presented secret against the stored digest (nil: no client
    /// found, or a client without a secret) in constant time, then `authorize`.
    /// - Parameter client: nil when no client has the presented client_id.
    public func verify(_ client: Client?, storedDigest: [UInt8]?) throws -> Client {
        let presented = credentials.secret.map(SecretToken.digest(of:))
        // An unknown client pays for a comparison too.
        let matches = SecretToken.constantTimeEquals(presented ?? [], storedDigest ?? [UInt8](repeating: 0, count: presented?.count ?? 0))
            && presented != nil && storedDigest != nil
        guard let client else { throw OAuthError.invalidClient("client authentication failed") }
        switch client.kind {
        case .confidential:
            guard matches else { throw OAuthError.invalidClient("client authentication failed") }
            try Self.checkMethod(credentials.method, allowedBy: client)
        case .public:
            guard credentials.secret == nil || credentials.secret == "" else {
                throw OAuthError.invalidClient("public clients have no secret")
            }
        }
        try authorize(client)
        return client
    }

    /// A client registered with one authentication method must use it
    /// (RFC 7591 §2 `token_endpoint_auth_method`); one registered with none
    /// in particular may use `client_secret_basic` or `client_secret_post`.
    public static func checkMethod(_ method: ClientCredentials.Method, allowedBy client: Client) throws {
        guard client.allowedAuthMethods.contains(method.rawValue) else {
            throw OAuthError.invalidClient("this client must authenticate with \(client.allowedAuthMethods.joined(separator: " or "))")
        }
    }
}

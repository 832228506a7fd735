import Foundation

/// A django-oidc-provider deployment's data, as read from its database
/// (`oidc_provider_*` and Django's `auth_user`), before any rule is applied.
public struct DjangoSource: Sendable {
    public struct User: Sendable, Equatable {
        public var id: Int64
        /// `sub` as the deployment sends it: `str(id)` unless told otherwise.
        public var subject: String
        public var username: String
        /// Django's `password` column: `algorithm$…`, or `!…` when unusable.
        public var passwordHash: String
        public var email: String
        public var firstName: String
        public var lastName: String
        public var isActive: Bool
        public var dateJoined: Date
        public var lastLogin: Date?

        public init(id: Int64, subject: String, username: String, passwordHash: String, email: String = "",
                    firstName: String = "", lastName: String = "", isActive: Bool = true,
                    dateJoined: Date, lastLogin: Date? = nil) {
            self.id = id
            self.subject = subject
            self.username = username
            self.passwordHash = passwordHash
            self.email = email
            self.firstName = firstName
            self.lastName = lastName
            self.isActive = isActive
            self.dateJoined = dateJoined
            self.lastLogin = lastLogin
        }
    }

    public struct Client: Sendable, Equatable {
        public var id: Int64
        public var clientID: String
        /// Plain text in Django; empty for public clients.
        public var secret: String
        public var name: String
        /// `confidential` or `public`.
        public var clientType: String
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String]
        public var responseTypes: [String]
        /// `RS256` or `HS256`.
        public var jwtAlgorithm: String
        public var requireConsent: Bool
        public var reuseConsent: Bool
        /// Limits client_credentials and introspection only (not /authorize).
        public var scopes: [String]
        public var websiteURL: String
        public var termsURL: String
        public var contactEmail: String
        /// A path relative to Django's MEDIA_URL, not a URL.
        public var logo: String
        public var dateCreated: Date?

        public init(id: Int64, clientID: String, secret: String, name: String, clientType: String,
                    redirectURIs: [String], postLogoutRedirectURIs: [String] = [], responseTypes: [String],
                    jwtAlgorithm: String = "RS256", requireConsent: Bool = true, reuseConsent: Bool = true,
                    scopes: [String] = [], websiteURL: String = "", termsURL: String = "", contactEmail: String = "",
                    logo: String = "", dateCreated: Date? = nil) {
            self.id = id
            self.clientID = clientID
            self.secret = secret
            self.name = name
            self.clientType = clientType
            self.redirectURIs = redirectURIs
            self.postLogoutRedirectURIs = postLogoutRedirectURIs
            self.responseTypes = responseTypes
            self.jwtAlgorithm = jwtAlgorithm
            self.requireConsent = requireConsent
            self.reuseConsent = reuseConsent
            self.scopes = scopes
            self.websiteURL = websiteURL
            self.termsURL = termsURL
            self.contactEmail = contactEmail
            self.logo = logo
            self.dateCreated = dateCreated
        }
    }

    /// `oidc_provider_rsakey`: the private key as PEM text.
    public struct Key: Sendable, Equatable {
        public var id: Int64
        public var pem: String

        public init(id: Int64, pem: String) {
            self.id = id
            self.pem = pem
        }
    }

    /// `oidc_provider_userconsent`.
    public struct Consent: Sendable, Equatable {
        public var userID: Int64
        public var clientID: Int64
        public var scopes: [String]
        public var dateGiven: Date
        public var expiresAt: Date

        public init(userID: Int64, clientID: Int64, scopes: [String], dateGiven: Date, expiresAt: Date) {
            self.userID = userID
            self.clientID = clientID
            self.scopes = scopes
            self.dateGiven = dateGiven
            self.expiresAt = expiresAt
        }
    }

    /// `oidc_provider_token`: plain-text access and refresh tokens.
    public struct Token: Sendable, Equatable {
        public var id: Int64
        /// Nil for client_credentials tokens.
        public var userID: Int64?
        public var clientID: Int64
        public var accessToken: String
        public var refreshToken: String
        public var scopes: [String]
        /// The access token's expiry; the refresh token never expires there.
        public var expiresAt: Date

        public init(id: Int64, userID: Int64?, clientID: Int64, accessToken: String, refreshToken: String,
                    scopes: [String], expiresAt: Date) {
            self.id = id
            self.userID = userID
            self.clientID = clientID
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.scopes = scopes
            self.expiresAt = expiresAt
        }
    }

    public var users: [User]
    public var clients: [Client]
    public var keys: [Key]
    public var consents: [Consent]
    public var tokens: [Token]
    /// Authorization codes are counted, never carried over.
    public var codeCount: Int

    public init(users: [User] = [], clients: [Client] = [], keys: [Key] = [], consents: [Consent] = [],
                tokens: [Token] = [], codeCount: Int = 0) {
        self.users = users
        self.clients = clients
        self.keys = keys
        self.consents = consents
        self.tokens = tokens
        self.codeCount = codeCount
    }
}

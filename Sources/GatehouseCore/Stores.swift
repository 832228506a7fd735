import Foundation

/// Where users live. GatehouseStore implements it over Postgres.
public protocol UserStore: Sendable {
    /// Stores a new user; throws `StoreError.duplicate` when the username is taken.
    func create(_ user: NewUser) async throws -> User
    func find(username: String) async throws -> User?
    func find(subject: String) async throws -> User?
    func list() async throws -> [User]
    /// Returns false when there was no such user.
    func delete(username: String) async throws -> Bool
    /// Returns false when there was no such user. Ends the user's sessions
    /// and revokes their grants.
    func setPassword(username: String, to password: String) async throws -> Bool
    /// Enables or disables the account; disabling ends its sessions and
    /// revokes its grants. Returns false when there was no such user.
    func setActive(username: String, active: Bool) async throws -> Bool
    /// The active user whose password matches, or nil. Unknown usernames cost
    /// the same time as wrong passwords.
    func authenticate(username: String, password: String) async throws -> User?
    /// Sets (a value) or removes (nil) one custom claim. Returns false when there was no such user.
    func setClaim(username: String, name: String, value: ClaimValue?) async throws -> Bool
    /// Grants or removes entry to the admin console. Returns false when there was no such user.
    func setAdmin(username: String, admin: Bool) async throws -> Bool
    /// Replaces the editable profile claims (names, email and its verified
    /// flag, phone number). Returns false when there was no such user.
    func updateProfile(username: String, to profile: UserProfile) async throws -> Bool
}

/// Where the operator's scopes live.
public protocol ScopeStore: Sendable {
    func list() async throws -> [ScopeDefinition]
    /// Stores a validated definition; `StoreError.duplicate` when the name is taken.
    func create(_ scope: ScopeDefinition) async throws
    /// Returns false when there was no such scope.
    func delete(name: String) async throws -> Bool
}

/// Where clients live.
public protocol ClientStore: Sendable {
    /// Stores a validated registration and returns the client and, for a
    /// confidential client, its secret, which is not kept and cannot be shown again.
    func create(_ registration: ClientRegistration) async throws -> (client: Client, secret: String?)
    func find(clientID: String) async throws -> Client?
    func list() async throws -> [Client]
    func delete(clientID: String) async throws -> Bool
    /// A new secret for a confidential client; the old one stops working at once.
    func rotateSecret(clientID: String) async throws -> String
    /// Replaces what a validated registration says (URIs, grant and response
    /// types, scopes, consent flags, authentication method, ID-token
    /// algorithm); the client_id, type and secret stay. Nil when there is no
    /// such client; `StoreError.invalid` when the change needs the secret
    /// itself (a switch to HS256: rotate the secret after it).
    func update(clientID: String, to registration: ClientRegistration) async throws -> Client?
}

/// Errors a store reports in domain terms.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case duplicate(String)
    case notFound(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .duplicate(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .invalid(let why): why
        }
    }
}

/// A store could not do its work for a reason outside the protocol: the
/// driver's errors in Core's terms, so the HTTP layer needs no driver.
public enum StoreFailure: Error, CustomStringConvertible, Equatable {
    /// The database cannot be reached or is too slow now; retry later (503).
    case unavailable(String)
    /// The input holds something the database cannot store (a NUL byte).
    case rejectedInput

    public var description: String {
        switch self {
        case .unavailable(let reason): "the database is unavailable: \(reason)"
        case .rejectedInput: "the input holds a character that cannot be stored"
        }
    }
}

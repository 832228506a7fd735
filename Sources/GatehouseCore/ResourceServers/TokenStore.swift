import Foundation

/// Tokens looked up by their value for resource servers and clients:
/// introspection and revocation. Each call authenticates its caller on the
/// same database round trip as the lookup.
public protocol TokenStore: Sendable {
    /// The authenticated caller and the token, if it exists (in either table).
    func find(_ token: String, client: ClientAuthentication) async throws -> (caller: Client, token: StoredToken?)
    /// Decides with `TokenRevocation.decide` and carries it out, in one transaction.
    func revoke(_ token: String, client: ClientAuthentication, now: Date) async throws -> TokenRevocation.Decision
}

import Foundation

/// Remembered consents (`OIDC_SKIP_CONSENT_EXPIRE`).
public protocol ConsentStore: Sendable {
    /// The scopes of the user's unexpired consent to the client, if any.
    func scopes(userID: Int64, clientID: Int64, now: Date) async throws -> Scopes?
    func save(userID: Int64, clientID: Int64, scopes: Scopes, now: Date, lifetime: Duration) async throws
}

import Foundation

/// A signed-in (or not yet signed-in) browser.
public struct BrowserSession: Sendable {
    /// The cookie value; the database keeps only its digest.
    public let id: String
    public let user: User?
    public let authTime: Date?

    public init(id: String, user: User?, authTime: Date?) {
        self.id = id
        self.user = user
        self.authTime = authTime
    }
}

public protocol SessionStore: Sendable {
    func create(userID: Int64?, authTime: Date?, now: Date, lifetime: Duration) async throws -> BrowserSession
    func find(id: String, now: Date) async throws -> BrowserSession?
    func delete(id: String) async throws
}

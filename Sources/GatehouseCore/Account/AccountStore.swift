import Foundation

/// An application a user has let in: a remembered consent, live grants, or both.
public struct AuthorizedApplication: Sendable, Equatable {
    public var clientID: String
    public var clientName: String
    /// The remembered consent's scopes, or the scopes of the live grants.
    public var scopes: [String]
    public var consentExpiresAt: Date?
    /// Grants not revoked and not yet expired.
    public var liveGrants: Int
    public var lastGrantAt: Date?

    public init(clientID: String, clientName: String, scopes: [String], consentExpiresAt: Date?, liveGrants: Int, lastGrantAt: Date?) {
        self.clientID = clientID
        self.clientName = clientName
        self.scopes = scopes
        self.consentExpiresAt = consentExpiresAt
        self.liveGrants = liveGrants
        self.lastGrantAt = lastGrantAt
    }
}

/// One of a user's signed-in browsers.
public struct SessionSummary: Sendable, Equatable {
    /// Names the session in a form: the hex of its id's digest, from which
    /// the cookie cannot be recovered.
    public var handle: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var expiresAt: Date
    public var isCurrent: Bool

    public init(handle: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date, isCurrent: Bool) {
        self.handle = handle
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.isCurrent = isCurrent
    }
}

/// The second factor as the account page shows it.
public struct SecondFactorStatus: Sendable, Equatable {
    public var enabledAt: Date?
    public var recoveryCodesLeft: Int

    public init(enabledAt: Date?, recoveryCodesLeft: Int) {
        self.enabledAt = enabledAt
        self.recoveryCodesLeft = recoveryCodesLeft
    }
}

/// What the account page reads and changes for the signed-in user. Every
/// call names the user, so one user can never reach another's rows.
public protocol AccountStore: Sendable {
    func applications(userID: Int64, now: Date) async throws -> [AuthorizedApplication]
    /// Revokes every grant of the user for the client and forgets the consent; false when there was nothing.
    func withdraw(userID: Int64, clientID: String, now: Date) async throws -> Bool
    func sessions(userID: Int64, currentSessionID: String?, now: Date) async throws -> [SessionSummary]
    /// Ends one of the user's sessions; false when it is not theirs or is gone.
    func endSession(userID: Int64, handle: String) async throws -> Bool
    func secondFactor(userID: Int64) async throws -> SecondFactorStatus
    /// Stores a new, not yet enabled TOTP secret (sealed), replacing an unconfirmed one.
    func beginTOTP(userID: Int64, sealedSecret: [UInt8]) async throws
    /// The sealed secret (enabled or pending) and the last step used.
    func totpSecret(userID: Int64) async throws -> (sealed: [UInt8], enabled: Bool, lastStep: Int64?)?
    /// Enables TOTP (or records a use) at `step`, only if `step` is after the
    /// last one used; with `recoveryCodeDigests`, replaces the recovery codes.
    func useTOTP(userID: Int64, step: Int64, enable: Bool, recoveryCodeDigests: [[UInt8]], now: Date) async throws -> Bool
    /// Marks one unused recovery code used; false when it does not match one.
    func useRecoveryCode(userID: Int64, digest: [UInt8], now: Date) async throws -> Bool
    func removeTOTP(userID: Int64) async throws

    /// The console state of a session: when it passed the second factor and last used the console.
    func consoleState(sessionID: String) async throws -> (secondFactorAt: Date?, consoleSeenAt: Date?)
    /// Records a passed second factor (and console use) on the session.
    func markSecondFactor(sessionID: String, now: Date) async throws
    /// Records console use, keeping the console session alive.
    func touchConsole(sessionID: String, now: Date) async throws
    /// Records a fresh password check: the session's sign-in time becomes `now`.
    func reauthenticated(sessionID: String, now: Date) async throws
}

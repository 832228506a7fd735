import Foundation

/// Who may use the admin console now, decided from what the session and
/// the user are; the HTTP layer only renders the answer.
public enum ConsoleAccess {
    public struct State: Sendable, Equatable {
        public var user: User?
        public var totpEnabled: Bool
        /// When this session last passed the second factor.
        public var secondFactorAt: Date?
        /// When this session last used the console.
        public var consoleSeenAt: Date?

        public init(user: User?, totpEnabled: Bool, secondFactorAt: Date?, consoleSeenAt: Date?) {
            self.user = user
            self.totpEnabled = totpEnabled
            self.secondFactorAt = secondFactorAt
            self.consoleSeenAt = consoleSeenAt
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Not signed in: the login page, then back.
        case signIn
        /// Signed in but not an admin (or disabled): 403 on every console path.
        case forbidden
        /// An admin without an authenticator: set one up on /account first.
        case enrollSecondFactor
        /// An admin whose session has not passed the second factor, or whose
        /// console session lapsed: the code form (a POST, never a GET, upgrades it).
        case verifySecondFactor
        case allow
    }

    public static func decide(_ state: State, now: Date, inactivity: Duration) -> Decision {
        guard let user = state.user else { return .signIn }
        guard user.isActive, user.isAdmin else { return .forbidden }
        guard state.totpEnabled else { return .enrollSecondFactor }
        guard let verified = state.secondFactorAt else { return .verifySecondFactor }
        let lastUse = max(verified, state.consoleSeenAt ?? verified)
        guard now.timeIntervalSince(lastUse) <= inactivity.timeInterval else { return .verifySecondFactor }
        return .allow
    }

    /// Sensitive actions (rotating a secret, deleting) ask for the password
    /// again when the sign-in is older than this.
    public static let recentSignIn: Duration = .seconds(300)

    public static func needsPassword(authTime: Date?, now: Date) -> Bool {
        guard let authTime else { return true }
        return now.timeIntervalSince(authTime) > recentSignIn.timeInterval
    }
}

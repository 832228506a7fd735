import Foundation

/// Counts failed sign-ins per account and per client address across replicas.
public protocol LoginThrottle: Sendable {
    /// Seconds until any of `keys` may try again, or nil when none is throttled.
    func retryAfter(keys: [String], now: Date) async throws -> Int?
    /// Counts a failure against the account (a growing delay, `LoginDelay`)
    /// and the address (a windowed counter, `AddressThrottle`).
    func recordFailure(accountKey: String, addressKey: String, now: Date, delay: LoginDelay,
                       address: AddressThrottle) async throws
    func reset(key: String) async throws
}

/// The keys failed sign-ins are counted under.
public enum LoginThrottleKey {
    /// Per account, as the user would type it: NFKC and lower case.
    public static func account(_ username: String) -> String {
        "user:" + Username.normalized(username).lowercased()
    }

    public static func address(_ address: String) -> String { "addr:" + address }
}

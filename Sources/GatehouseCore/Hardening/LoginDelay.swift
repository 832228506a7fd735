/// How long an account waits after failed sign-ins.
///
/// The first `freeFailures` failures cost nothing (typos happen). Each
/// failure after that doubles the wait, from `baseDelay` up to `maximumDelay`
/// seconds. Failures are not forgotten when a wait ends: a hard lock that
/// resets to zero lets an attacker guess a fixed number of times per lockout
/// forever, or keep an account locked forever. Here the count only ever grows
/// until a correct sign-in (or `gatehouse user unlock`) clears it, or a day
/// passes without a failure, so guessing slows down to one try per
/// `maximumDelay`, and the owner waits at most that long.
public struct LoginDelay: Sendable, Equatable {
    public var freeFailures: Int
    public var baseDelay: Int
    public var maximumDelay: Int

    /// A day without failures forgets them.
    public static let forgetAfter = 86_400

    public init(freeFailures: Int, baseDelay: Int, maximumDelay: Int) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maximumDelay = max(maximumDelay, baseDelay)
    }

    /// Seconds the account must wait after its `failures`-th failure (0: none).
    public func delay(afterFailures failures: Int) -> Int {
        guard failures >= freeFailures else { return 0 }
        let doublings = failures - freeFailures
        guard doublings < 31 else { return maximumDelay }
        return min(maximumDelay, baseDelay << doublings)
    }

    /// The most wrong passwords an attacker can try against one account in
    /// `seconds`, starting from a clean slate, waiting out every delay.
    public func worstCaseGuesses(in seconds: Int) -> Int {
        var elapsed = 0
        var guesses = 0
        while true {
            guesses += 1
            elapsed += delay(afterFailures: guesses)
            if elapsed >= seconds { return guesses }
        }
    }
}

/// A per-address counter: many failures from one address within a window
/// throttle that address's wrong guesses, never a correct password
/// (behind a shared address, one person's typos must not lock out the rest).
public struct AddressThrottle: Sendable, Equatable {
    public var maxFailures: Int
    public var lockout: Int

    public init(maxFailures: Int, lockout: Int) {
        self.maxFailures = maxFailures
        self.lockout = lockout
    }

    /// The window failures are counted in.
    public var window: Int { lockout * 10 }
}

import Foundation

extension Duration {
    /// Whole seconds, for the wire (`expires_in`, `Max-Age`, `Retry-After`).
    public var wholeSeconds: Int { Int(components.seconds) }

    /// Seconds as Foundation counts them, for `Date` arithmetic.
    public var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }

    public static func days(_ days: Int) -> Duration { .seconds(days * 86_400) }
}

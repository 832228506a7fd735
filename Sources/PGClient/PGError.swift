/// An error from the database layer.
///
/// `description` is deliberately generic: it names the kind of failure and the
/// SQLSTATE, never the server's message, because Postgres messages can quote
/// the values that were bound (`invalid input syntax for type uuid: "…"`), and
/// those values may be secrets. The server's words are in `debugDescription`.
public struct PGError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A new connection could not be opened.
        case connectionFailed
        /// An open connection broke while it was in use.
        case connectionLost
        /// No worker picked the request up within the pool's wait timeout.
        case poolTimeout
        /// The worker's connection is down and waiting for its next reconnect attempt.
        case backingOff
        /// The pool was shut down.
        case poolClosed
        /// The server answered a statement with an error.
        case server
        /// A column could not be decoded as the requested type.
        case decoding
        /// A text parameter held a NUL byte, which Postgres text cannot store.
        case invalidParameter
    }

    public let kind: Kind
    public let sqlState: SQLState?
    /// The constraint a violation names (`PG_DIAG_CONSTRAINT_NAME`), when there is one.
    public let constraint: String?
    let detail: String?

    init(_ kind: Kind, sqlState: SQLState? = nil, constraint: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.detail = detail
    }

    /// True when the database could not be used at all; the HTTP layer answers 503.
    public var isUnavailable: Bool {
        switch kind {
        case .connectionFailed, .connectionLost, .poolTimeout, .backingOff, .poolClosed: true
        // A statement cancelled by statement_timeout: the database is too slow now.
        case .server: (sqlState?.isConnectionClass ?? false) || sqlState == .queryCanceled
        case .decoding, .invalidParameter: false
        }
    }

    public var isUniqueViolation: Bool { sqlState == .uniqueViolation }

    public var description: String {
        switch kind {
        case .connectionFailed:
            // libpq's connection messages name the host and the reason, never a password.
            "could not connect to the database" + (detail.map { ": \($0)" } ?? "")
        case .connectionLost: "the database connection was lost"
        case .poolTimeout: "the database is busy: no connection became free in time"
        case .backingOff: "the database is unavailable; reconnecting"
        case .poolClosed: "the database pool is shut down"
        case .server: "database error \(sqlState?.rawValue ?? "?????")" + (constraint.map { " on \($0)" } ?? "")
        case .invalidParameter: "a text value contains a NUL byte"
        case .decoding: "could not decode a database value" + (detail.map { ": \($0)" } ?? "")
        }
    }

    public var debugDescription: String {
        switch kind {
        case .server: description + (detail.map { " (\($0))" } ?? "")
        default: description
        }
    }
}

/// A five-character Postgres error code.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let queryCanceled = SQLState(rawValue: "57014")

    /// Class 08 (connection exception) and the shutdown codes of class 57P.
    public var isConnectionClass: Bool {
        rawValue.hasPrefix("08") || rawValue == "57P01" || rawValue == "57P02" || rawValue == "57P03"
    }

    public var description: String { rawValue }
}

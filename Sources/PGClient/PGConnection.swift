internal import CLibPQ
import Foundation

/// One libpq connection.
///
/// Not thread-safe: a connection belongs to one `PGWorker`, and only that
/// worker's serial queue calls into it. It is handed to the closures the pool
/// runs, on that queue, and must not escape them.
public final class PGConnection {
    private var handle: OpaquePointer?
    /// Statement text → server-side prepared statement name, for this session.
    private var prepared: [String: String] = [:]

    /// Opens a connection.
    /// - Parameters:
    ///   - conninfo: a libpq URI (`postgresql://…`) or keyword string
    ///     (`host=… dbname=…`); nil or empty uses the standard `PG*` variables.
    ///   - database: a database name that overrides the one in `conninfo`.
    public init(conninfo: String?, database: String? = nil, applicationName: String = "gatehouse") throws {
        var keywords = ["fallback_application_name", "connect_timeout", "client_encoding"]
        var values = [applicationName, "5", "UTF8"]
        if let conninfo, !conninfo.isEmpty {
            // expand_dbname turns this one value into its parameters, which
            // override the defaults above (so a URI's connect_timeout wins).
            keywords.append("dbname")
            values.append(conninfo)
        }
        if let database {
            // Only the first dbname is expanded; a later one is a plain name.
            keywords.append("dbname")
            values.append(database)
        }
        let conn = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.flatMap { Self.firstLine(PQerrorMessage($0)) }
            if let conn { PQfinish(conn) }
            throw PGError(.connectionFailed, detail: message)
        }
        self.handle = conn
        // Notices (e.g. "relation already exists, skipping") would go to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        // Fixed session settings so timestamptz text is always ISO 8601 in UTC.
        try executeScript("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'")
    }

    deinit { close() }

    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared.removeAll()
    }

    /// Runs one statement with bound parameters and returns its rows.
    ///
    /// The statement is prepared on first use and the prepared form reused for
    /// the life of the connection: Postgres then plans it once, which doubles
    /// throughput on hot paths. Parameter values never enter the SQL text.
    @discardableResult
    public func query(_ sql: String, _ params: [any PGEncodable] = []) throws -> PGResult {
        let conn = try liveHandle()
        let name = try preparedName(for: sql, paramCount: params.count, conn: conn)
        let bound = params.map(\.pgParam)
        // libpq reads text parameters up to their first NUL; refuse rather than truncate.
        if bound.contains(where: { $0.format == .text && $0.bytes?.contains(0) == true }) {
            throw PGError(.invalidParameter)
        }
        let result = withParams(bound) { values, lengths, formats in
            PQexecPrepared(conn, name, Int32(bound.count), values, lengths, formats, 0)
        }
        return try consume(result, conn: conn)
    }

    /// `query` with the parameters written inline.
    @discardableResult
    public func query(_ sql: String, _ params: any PGEncodable...) throws -> PGResult {
        try query(sql, params)
    }

    /// Runs trusted SQL that takes no parameters, possibly several statements
    /// (a migration file, `SET …`). Never pass text that came from a request.
    public func executeScript(_ sql: String) throws {
        let conn = try liveHandle()
        _ = try consume(PQexec(conn, sql), conn: conn)
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back and rethrows when it throws.
    public func transaction<T>(
        isolation: PGIsolation = .readCommitted,
        _ body: (PGConnection) throws -> T
    ) throws -> T {
        try executeScript(isolation.beginStatement)
        do {
            let value = try body(self)
            try executeScript("COMMIT")
            return value
        } catch {
            rollbackIfNeeded()
            throw error
        }
    }

    /// Whether the connection is open and usable.
    ///
    /// Checks without a round trip. An idle connection that never LISTENs has
    /// nothing to read unless the server is going away: when a session is
    /// ended (restart, `pg_terminate_backend`) the server sends a FATAL error
    /// and then closes the socket, and the close may not have arrived yet. So
    /// anything readable on an idle connection means it should be replaced;
    /// the rare harmless case (an unsolicited ParameterStatus) costs a reconnect.
    public var isHealthy: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        var fd = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&fd, 1, 0) == 0
    }

    /// Leaves the connection outside any transaction, whatever a caller did.
    func rollbackIfNeeded() {
        guard let handle, PQstatus(handle) == CONNECTION_OK,
              PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    /// The backend process id, for tests and logs.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    // MARK: - Internals

    private func liveHandle() throws -> OpaquePointer {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { throw PGError(.connectionLost) }
        return handle
    }

    private func preparedName(for sql: String, paramCount: Int, conn: OpaquePointer) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "gh\(prepared.count + 1)"
        _ = try consume(PQprepare(conn, name, sql, Int32(paramCount), nil), conn: conn)
        prepared[sql] = name
        return name
    }

    /// Copies a result into Swift values, frees it, and turns failures into `PGError`.
    private func consume(_ result: OpaquePointer?, conn: OpaquePointer) throws -> PGResult {
        guard let result else {
            throw PQstatus(conn) == CONNECTION_BAD ? PGError(.connectionLost) : PGError(.server)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return Self.copy(result)
        default:
            let state = Self.field(result, "C").map(SQLState.init(rawValue:))
            if PQstatus(conn) == CONNECTION_BAD || state?.isConnectionClass == true {
                throw PGError(.connectionLost, sqlState: state)
            }
            throw PGError(
                .server,
                sqlState: state,
                constraint: Self.field(result, "n"),
                detail: Self.field(result, "M")
            )
        }
    }

    private static func copy(_ result: OpaquePointer) -> PGResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [PGRow] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<Int32(rowCount) {
            var cells: [String?] = []
            cells.reserveCapacity(columnCount)
            for c in 0..<Int32(columnCount) {
                cells.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            rows.append(PGRow(columns: columns, cells: cells))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PGResult(columns: columns, rows: rows, affectedRows: affected)
    }

    private static func field(_ result: OpaquePointer, _ code: Character) -> String? {
        PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
    }

    private static func firstLine(_ message: UnsafePointer<CChar>?) -> String? {
        guard let message else { return nil }
        return String(cString: message)
            .split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Transaction isolation levels.
public enum PGIsolation: Sendable {
    case readCommitted, repeatableRead, serializable

    var beginStatement: String {
        switch self {
        case .readCommitted: "BEGIN"
        case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        }
    }
}

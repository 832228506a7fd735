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
    /// The BEGIN of a transaction not yet sent: it travels with the
    /// transaction's first statement, saving a round trip.
    private var pendingBegin: String?

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
        try run(sql, params, thenCommit: false)
    }

    /// Runs the last statement of a `transaction` and its COMMIT in one round
    /// trip. The transaction is over when this returns: the body must do
    /// nothing after it that could fail. If the statement fails, nothing commits.
    @discardableResult
    public func queryThenCommit(_ sql: String, _ params: [any PGEncodable] = []) throws -> PGResult {
        try run(sql, params, thenCommit: true)
    }

    /// `queryThenCommit` with the parameters written inline.
    @discardableResult
    public func queryThenCommit(_ sql: String, _ params: any PGEncodable...) throws -> PGResult {
        try queryThenCommit(sql, params)
    }

    private func run(_ sql: String, _ params: [any PGEncodable], thenCommit: Bool) throws -> PGResult {
        let conn = try liveHandle()
        let name = try preparedName(for: sql, paramCount: params.count, conn: conn)
        let bound = params.map(\.pgParam)
        // libpq reads text parameters up to their first NUL; refuse rather than truncate.
        if bound.contains(where: { $0.format == .text && $0.bytes?.contains(0) == true }) {
            throw PGError(.invalidParameter)
        }
        let begin = pendingBegin
        pendingBegin = nil
        if begin == nil && !thenCommit {
            let result = withParams(bound) { values, lengths, formats in
                PQexecPrepared(conn, name, Int32(bound.count), values, lengths, formats, 0)
            }
            return try consume(result, conn: conn)
        }
        return try pipeline(before: begin, name: name, bound: bound, after: thenCommit ? "COMMIT" : nil, conn: conn)
    }

    /// Sends `before`, the prepared statement and `after` at once (libpq
    /// pipeline mode) and reads their results: one round trip instead of up
    /// to three. After a failure the server skips the rest until the sync, so
    /// a failed statement is never followed by its COMMIT.
    private func pipeline(before: String?, name: String, bound: [PGParam], after: String?,
                          conn: OpaquePointer) throws -> PGResult {
        guard PQenterPipelineMode(conn) == 1 else { throw PGError(.connectionLost) }
        var sent = 0
        var ok = true
        if let before {
            ok = ok && PQsendQueryParams(conn, before, 0, nil, nil, nil, nil, 0) == 1
            sent += 1
        }
        ok = ok && withParams(bound) { values, lengths, formats in
            PQsendQueryPrepared(conn, name, Int32(bound.count), values, lengths, formats, 0)
        } == 1
        sent += 1
        if let after {
            ok = ok && PQsendQueryParams(conn, after, 0, nil, nil, nil, nil, 0) == 1
            sent += 1
        }
        ok = ok && PQpipelineSync(conn) == 1
        // Each command's results end with a NULL; the sync's result comes last.
        var results: [OpaquePointer?] = []
        if ok {
            for _ in 0..<sent {
                var first: OpaquePointer?
                while let next = PQgetResult(conn) {
                    if first == nil { first = next } else { PQclear(next) }
                }
                results.append(first)
            }
            while let next = PQgetResult(conn) {
                let status = PQresultStatus(next)
                PQclear(next)
                if status == PGRES_PIPELINE_SYNC { break }
            }
        }
        guard ok, PQexitPipelineMode(conn) == 1 else {
            // A connection left mid-pipeline cannot be trusted again.
            results.forEach { $0.map(PQclear) }
            close()
            throw PGError(.connectionLost)
        }
        // The first failure is the real one; the commands after it were skipped.
        var failure: Error?
        var statementResult: PGResult?
        let statementIndex = before == nil ? 0 : 1
        for (index, result) in results.enumerated() {
            guard failure == nil else {
                result.map(PQclear)
                continue
            }
            do {
                let copied = try consume(result, conn: conn)
                if index == statementIndex { statementResult = copied }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        guard let statementResult else { throw PGError(.server) }
        return statementResult
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
        if let begin = pendingBegin {
            pendingBegin = nil
            _ = try consume(PQexec(conn, begin), conn: conn)
        }
        _ = try consume(PQexec(conn, sql), conn: conn)
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back and rethrows when it throws.
    ///
    /// BEGIN is sent with the body's first statement, and `queryThenCommit`
    /// sends COMMIT with its last, so a read-then-write transaction costs two
    /// round trips rather than four.
    public func transaction<T>(
        _ body: (PGConnection) throws -> T
    ) throws -> T {
        pendingBegin = "BEGIN"
        do {
            let value = try body(self)
            if pendingBegin != nil {
                pendingBegin = nil  // the body sent nothing: there is nothing to commit
            } else if PQtransactionStatus(try liveHandle()) != PQTRANS_IDLE {
                // Not yet committed by `queryThenCommit`. A lost connection
                // throws above rather than passing for a commit.
                try executeScript("COMMIT")
            }
            return value
        } catch {
            pendingBegin = nil
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

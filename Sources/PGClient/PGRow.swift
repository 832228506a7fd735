/// The rows a statement returned, copied out of libpq's result.
public struct PGResult: Sendable {
    public let columns: [String]
    public let rows: [PGRow]
    /// Rows changed by INSERT/UPDATE/DELETE (`PQcmdTuples`), 0 otherwise.
    public let affectedRows: Int

    public var first: PGRow? { rows.first }
    public var isEmpty: Bool { rows.isEmpty }
}

/// One row: its cells in Postgres' text format, decoded on demand.
public struct PGRow: Sendable {
    let columns: [String]
    let cells: [String?]

    /// Decodes the cell at `index`.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard index >= 0, index < cells.count else {
            throw PGError(.decoding, detail: "no column at index \(index)")
        }
        return try T.decode(pgText: cells[index], column: columns[index])
    }

    /// Decodes the cell of the column named `name`.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, column name: String) throws -> T {
        guard let index = columns.firstIndex(of: name) else {
            throw PGError(.decoding, detail: "no column named \(name)")
        }
        return try T.decode(pgText: cells[index], column: name)
    }

    public subscript(_ name: String) -> String? {
        columns.firstIndex(of: name).flatMap { cells[$0] }
    }
}

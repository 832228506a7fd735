import Crypto
import Foundation

/// One numbered file in `sql/`: `0001_initial.sql` is version 1, named "initial".
public struct MigrationFile: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// SHA-256 of the file's bytes, hex: recorded when applied, checked ever after.
    public let checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `0001_initial`, as the file is named.
    public var fileName: String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }

    /// Reads every `NNNN_name.sql` file of `directory`, in version order.
    public static func load(from directory: String) throws -> [MigrationFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MigrationError.missingDirectory(directory)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".sql") }
        var files: [MigrationFile] = []
        for fileName in names {
            let stem = fileName.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"),
                  let version = Int(stem[..<underscore]), version > 0
            else { throw MigrationError.badFileName(fileName) }
            let path = (directory as NSString).appendingPathComponent(fileName)
            guard let data = FileManager.default.contents(atPath: path),
                  let sql = String(data: data, encoding: .utf8)
            else { throw MigrationError.unreadable(fileName) }
            files.append(MigrationFile(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        files.sort { $0.version < $1.version }
        for (a, b) in zip(files, files.dropFirst()) where a.version == b.version {
            throw MigrationError.duplicateVersion(a.version)
        }
        return files
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case missingDirectory(String)
    case badFileName(String)
    case unreadable(String)
    case duplicateVersion(Int)
    case changedAfterApply(version: Int, name: String)

    public var description: String {
        switch self {
        case .missingDirectory(let dir):
            "migration directory '\(dir)' not found (run from the checkout, or set --sql-dir / GATEHOUSE_SQL_DIR)"
        case .badFileName(let name): "migration file '\(name)' is not named NNNN_name.sql"
        case .unreadable(let name): "migration file '\(name)' cannot be read as UTF-8"
        case .duplicateVersion(let v): "two migration files have version \(v)"
        case .changedAfterApply(let v, let name):
            "migration \(v) (\(name)) was changed after it was applied; restore the original file and add a new migration instead"
        }
    }
}

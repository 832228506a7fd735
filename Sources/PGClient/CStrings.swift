#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Calls `body` with a NULL-terminated C array of the strings, valid only inside it.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicated.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!)) }
}

/// Lays out bound parameters as libpq's three parallel arrays.
func withParams<R>(
    _ params: [PGParam],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) -> R {
    if params.isEmpty { return body(nil, nil, nil) }
    // One contiguous buffer holds every value; NUL-terminated for text params.
    var storage: [UInt8] = []
    var offsets: [Int?] = []
    for param in params {
        guard let bytes = param.bytes else { offsets.append(nil); continue }
        offsets.append(storage.count)
        storage.append(contentsOf: bytes)
        storage.append(0)
    }
    let lengths = params.map { Int32($0.bytes?.count ?? 0) }
    let formats = params.map { $0.format.rawValue }
    return storage.withUnsafeBufferPointer { buffer in
        let base = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        let values: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.flatMap { o in base.map { $0.advanced(by: o) } }
        }
        return values.withUnsafeBufferPointer { v in
            body(v.baseAddress, lengths, formats)
        }
    }
}

/// Reads an HTTP `Authorization` header: a scheme, matched without regard to
/// case, then the credentials (RFC 9110 §11.6.2). Works on UTF-8 bytes: the
/// Foundation lowercasing and CharacterSet trimming it replaces took 3–4% of
/// the CPU of a client_credentials request (`perf record`, `make bench`).
public enum AuthorizationHeader {
    /// The credentials after `scheme` (lowercase ASCII), without the spaces
    /// and tabs around them; "" when the scheme stands alone; nil when the
    /// header uses another scheme.
    public static func credentials(in header: String, scheme: String) -> Substring? {
        let bytes = header.utf8
        var index = bytes.startIndex
        for expected in scheme.utf8 {
            guard index != bytes.endIndex else { return nil }
            let byte = bytes[index]
            // Setting bit 0x20 lowercases an ASCII letter; `scheme` is lowercase letters.
            guard byte | 0x20 == expected else { return nil }
            index = bytes.index(after: index)
        }
        guard index != bytes.endIndex else { return "" }
        // "Bearerx" is another scheme, not Bearer.
        guard isSpaceOrTab(bytes[index]) else { return nil }
        var start = index
        var end = bytes.endIndex
        while start != end, isSpaceOrTab(bytes[start]) { start = bytes.index(after: start) }
        while start != end, isSpaceOrTab(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return header[start..<end]
    }

    private static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}

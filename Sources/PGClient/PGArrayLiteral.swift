/// Parses the text output of a one-dimensional `text[]` column.
///
/// Postgres quotes an element when it is empty, is `NULL`, or holds a comma,
/// brace, quote, backslash or white space; inside quotes `\` escapes the next
/// character. NULL elements are not supported (our columns never hold them).
///
/// Works on UTF-8 bytes: every delimiter is ASCII, so cutting at them keeps
/// each element valid UTF-8. (Walking unicode scalars, it took about 2.5% of
/// a client_credentials request's CPU, decoding the client row's arrays.)
enum PGArrayLiteral {
    static func parse(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            guard bytes.count >= 2, bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return nil }
            let body = UnsafeBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
            if body.isEmpty { return [] }
            var elements: [String] = []
            var current: [UInt8] = []
            var quoted = false
            var wasQuoted = false
            var index = 0
            while index < body.count {
                let byte = body[index]
                if quoted {
                    if byte == UInt8(ascii: "\\") {
                        index += 1
                        guard index < body.count else { return nil }
                        current.append(body[index])
                    } else if byte == UInt8(ascii: "\"") {
                        quoted = false
                    } else {
                        current.append(byte)
                    }
                } else if byte == UInt8(ascii: "\"") {
                    quoted = true
                    wasQuoted = true
                } else if byte == UInt8(ascii: ",") {
                    guard let element = finish(current, wasQuoted) else { return nil }
                    elements.append(element)
                    current.removeAll(keepingCapacity: true)
                    wasQuoted = false
                } else {
                    current.append(byte)
                }
                index += 1
            }
            guard !quoted, let last = finish(current, wasQuoted) else { return nil }
            elements.append(last)
            return elements
        }
    }

    private static func finish(_ bytes: [UInt8], _ wasQuoted: Bool) -> String? {
        let element = String(decoding: bytes, as: UTF8.self)
        if !wasQuoted && element == "NULL" { return nil }
        return element
    }
}

/// Writes the flat JSON objects the hot endpoints answer with (claims, token
/// and error responses): keys sorted, nothing escaped that RFC 8259 does not
/// require. Foundation's JSONEncoder spent more time on a /userinfo answer
/// than the database did.
public enum JSONText {
    public static func object(_ members: [String: ClaimValue]) -> String {
        var out = "{"
        out.reserveCapacity(64 * members.count + 2)
        var first = true
        for key in members.keys.sorted() {
            if !first { out.append(",") }
            first = false
            appendString(key, to: &out)
            out.append(":")
            append(members[key]!, to: &out)
        }
        out.append("}")
        return out
    }

    /// A JSON array of strings.
    public static func stringArray(_ values: [String]) -> String {
        var out = "["
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(",") }
            appendString(value, to: &out)
        }
        return out + "]"
    }

    /// One value as JSON text.
    public static func value(_ value: ClaimValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    static func append(_ value: ClaimValue, to out: inout String) {
        switch value {
        case .string(let s): appendString(s, to: &out)
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let n): out.append(String(n))
        case .object(let o): out.append(object(o.mapValues(ClaimValue.string)))
        // Canonical JSON text made by JSONSerialization (CustomClaims): written as it is.
        case .json(let text): out.append(text)
        }
    }

    static func appendString(_ s: String, to out: inout String) {
        out.append("\"")
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(s)
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

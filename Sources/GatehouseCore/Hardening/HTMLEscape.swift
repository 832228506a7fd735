/// HTML escaping per Unicode scalar.
///
/// Escaping per `Character` (grapheme cluster) misses a `"` followed by a
/// combining mark (U+0301): the pair is one Character that equals no entry of
/// a replacement table, and the quote reaches the page raw, closing the
/// attribute it stood in. Every scalar is looked at on its own here.
public enum HTMLEscape {
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

/// Parses the text output of a one-dimensional `text[]` column.
///
/// Postgres quotes an element when it is empty, is `NULL`, or holds a comma,
/// brace, quote, backslash or white space; inside quotes `\` escapes the next
/// character. NULL elements are not supported (our columns never hold them).
enum PGArrayLiteral {
    static func parse(_ text: String) -> [String]? {
        var scalars = Substring(text).unicodeScalars[...]
        guard scalars.first == "{", scalars.last == "}" else { return nil }
        scalars = scalars.dropFirst().dropLast()
        if scalars.isEmpty { return [] }

        var elements: [String] = []
        var current = String.UnicodeScalarView()
        var index = scalars.startIndex
        var quoted = false
        var wasQuoted = false
        while index < scalars.endIndex {
            let ch = scalars[index]
            if quoted {
                if ch == "\\" {
                    index = scalars.index(after: index)
                    guard index < scalars.endIndex else { return nil }
                    current.append(scalars[index])
                } else if ch == "\"" {
                    quoted = false
                } else {
                    current.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
                wasQuoted = true
            } else if ch == "," {
                guard let element = finish(current, wasQuoted) else { return nil }
                elements.append(element)
                current = String.UnicodeScalarView()
                wasQuoted = false
            } else {
                current.append(ch)
            }
            index = scalars.index(after: index)
        }
        guard !quoted, let last = finish(current, wasQuoted) else { return nil }
        elements.append(last)
        return elements
    }

    private static func finish(_ scalars: String.UnicodeScalarView, _ wasQuoted: Bool) -> String? {
        let element = String(scalars)
        if !wasQuoted && element == "NULL" { return nil }
        return element
    }
}

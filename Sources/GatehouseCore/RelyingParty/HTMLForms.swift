/// The forms of an HTML page, as a relying party's test walk needs them
/// (`gatehouse selftest` signs in through a provider's real pages): each
/// form's action, method, fields and submit buttons. A small tolerant
/// scanner, not an HTML parser: it reads start tags and attribute values,
/// which is all a sign-in or consent form is made of.
public struct HTMLForm: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        /// `text`, `password`, `hidden`, `email`, `submit`, … (lower-case).
        public var type: String
    }

    public var action: String
    public var method: String
    public var fields: [Field]
    /// Named submit buttons and inputs: `(name, value, label)`.
    public var buttons: [Field]

    public var hasPassword: Bool { fields.contains { $0.type == "password" } }

    /// Every form of `html`, in document order.
    public static func all(in html: String) -> [HTMLForm] {
        var forms: [HTMLForm] = []
        var current: HTMLForm?
        for tag in Tag.scan(html) {
            switch tag.name {
            case "form":
                if let open = current { forms.append(open) }
                current = HTMLForm(action: tag["action"] ?? "", method: (tag["method"] ?? "get").lowercased(),
                                   fields: [], buttons: [])
            case "/form":
                if let open = current { forms.append(open) }
                current = nil
            case "input":
                guard current != nil, let name = tag["name"], !name.isEmpty, tag["disabled"] == nil else { continue }
                let type = (tag["type"] ?? "text").lowercased()
                let field = Field(name: name, value: tag["value"] ?? "", type: type)
                if type == "submit" || type == "image" {
                    current?.buttons.append(field)
                } else if (type == "checkbox" || type == "radio") && tag["checked"] == nil {
                    continue
                } else {
                    current?.fields.append(field)
                }
            case "button":
                guard current != nil, let name = tag["name"], !name.isEmpty else { continue }
                let type = (tag["type"] ?? "submit").lowercased()
                if type == "submit" { current?.buttons.append(Field(name: name, value: tag["value"] ?? "", type: "submit")) }
            default:
                continue
            }
        }
        if let open = current { forms.append(open) }
        return forms
    }

    /// One start or end tag with its attributes (names lower-cased, values unescaped).
    struct Tag {
        var name: String
        var attributes: [String: String]
        subscript(_ key: String) -> String? { attributes[key] }

        static func scan(_ html: String) -> [Tag] {
            var tags: [Tag] = []
            let s = Array(html.unicodeScalars)
            var i = 0
            func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\u{0C}" }
            while i < s.count {
                guard s[i] == "<" else { i += 1; continue }
                // Comments and scripts hold no forms.
                if s.count > i + 3, s[i + 1] == "!", s[i + 2] == "-", s[i + 3] == "-" {
                    i = indexAfter("-->", in: s, from: i + 4)
                    continue
                }
                var j = i + 1
                var name = ""
                while j < s.count, !isSpace(s[j]), s[j] != ">", !(s[j] == "/" && !name.isEmpty) {
                    name.unicodeScalars.append(s[j]); j += 1
                }
                name = name.lowercased()
                var attributes: [String: String] = [:]
                while j < s.count, s[j] != ">" {
                    if isSpace(s[j]) || s[j] == "/" { j += 1; continue }
                    var key = ""
                    while j < s.count, !isSpace(s[j]), s[j] != "=", s[j] != ">", s[j] != "/" { key.unicodeScalars.append(s[j]); j += 1 }
                    while j < s.count, isSpace(s[j]) { j += 1 }
                    var value = ""
                    if j < s.count, s[j] == "=" {
                        j += 1
                        while j < s.count, isSpace(s[j]) { j += 1 }
                        if j < s.count, s[j] == "\"" || s[j] == "'" {
                            let quote = s[j]; j += 1
                            while j < s.count, s[j] != quote { value.unicodeScalars.append(s[j]); j += 1 }
                            j += 1
                        } else {
                            while j < s.count, !isSpace(s[j]), s[j] != ">" { value.unicodeScalars.append(s[j]); j += 1 }
                        }
                    }
                    if !key.isEmpty, attributes[key.lowercased()] == nil { attributes[key.lowercased()] = unescape(value) }
                }
                tags.append(Tag(name: name, attributes: attributes))
                i = j + 1
                if name == "script" || name == "style" { i = indexAfter("</\(name)", in: s, from: i) }
            }
            return tags
        }

        static func indexAfter(_ marker: String, in s: [Unicode.Scalar], from start: Int) -> Int {
            let m = Array(marker.unicodeScalars)
            var k = start
            while k + m.count <= s.count {
                if (0..<m.count).allSatisfy({ String(s[k + $0]).lowercased() == String(m[$0]) }) { return k }
                k += 1
            }
            return s.count
        }

        static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "#39": "'", "nbsp": "\u{A0}"]

        /// Character references: the named ones forms use, and numeric ones.
        static func unescape(_ text: String) -> String {
            guard text.contains("&") else { return text }
            var out = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                out += rest[..<amp]
                let after = rest[rest.index(after: amp)...]
                if let semi = after.prefix(12).firstIndex(of: ";") {
                    let entity = String(after[..<semi])
                    var decoded: String?
                    if let known = named[entity] { decoded = known }
                    else if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let v = UInt32(entity.dropFirst(2), radix: 16) { decoded = Unicode.Scalar(v).map(String.init) }
                    else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()) { decoded = Unicode.Scalar(v).map(String.init) }
                    if let decoded {
                        out += decoded
                        rest = after[after.index(after: semi)...]
                        continue
                    }
                }
                out += "&"
                rest = after
            }
            return out + rest
        }
    }
}

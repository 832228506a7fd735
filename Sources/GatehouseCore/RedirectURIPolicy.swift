import Foundation

/// What a registered redirect URI must look like (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252).
public struct RedirectURIPolicy: Sendable {
    /// Whether plain-http URIs on hosts other than loopback are accepted: only
    /// when the operator asks for it (`client create --allow-insecure-redirect`,
    /// for local experiments), never because of the issuer's own scheme.
    public var allowsInsecureHTTP: Bool

    public init(allowsInsecureHTTP: Bool) {
        self.allowsInsecureHTTP = allowsInsecureHTTP
    }

    public struct Violation: Error, CustomStringConvertible, Equatable {
        public let uri: String
        public let reason: String
        public var description: String { "redirect URI '\(uri)' \(reason)" }
    }

    /// Throws a `Violation` naming the URI and what is wrong with it.
    public func check(_ uri: String, isPublicClient: Bool) throws {
        func fail(_ reason: String) -> Violation { Violation(uri: uri, reason: reason) }
        guard uri.count <= 2000 else { throw fail("is longer than 2000 characters") }
        guard !uri.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw fail("contains white space or control characters")
        }
        // RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component."
        guard !uri.contains("#") else { throw fail("must not contain a fragment (#)") }
        guard let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased() else {
            throw fail("is not an absolute URI")
        }
        switch scheme {
        case "https":
            guard let host = components.host, !host.isEmpty else { throw fail("has no host") }
        case "http":
            guard let host = components.host, !host.isEmpty else { throw fail("has no host") }
            if !Self.isLoopback(host) && !allowsInsecureHTTP {
                throw fail("uses plain http on a host other than loopback; use https")
            }
        default:
            // Private-use schemes (com.example.app:/cb) are for native apps,
            // which are public clients (RFC 8252 §7.1).
            guard isPublicClient else {
                throw fail("must use https (or http on loopback) for a confidential client")
            }
            guard scheme.contains("."), !["javascript", "data", "file", "vbscript"].contains(scheme) else {
                throw fail("uses scheme '\(scheme)'; native apps must use a reverse-domain scheme")
            }
        }
    }

    /// `localhost`, `[::1]` or a numeric IPv4 address in 127.0.0.0/8. A host
    /// name that merely starts with "127." (`127.attacker.example`) is not.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "[::1]" || h == "::1" || isLoopbackIPv4(h)
    }

    /// Four dotted decimal octets, each 0-255, the first being 127.
    static func isLoopbackIPv4(_ host: String) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            (1...3).contains(octet.count) && octet.allSatisfy { $0.isASCII && $0.isNumber }
                && Int(octet).map { $0 <= 255 } == true
        }
    }
}

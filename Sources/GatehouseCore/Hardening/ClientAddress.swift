import Foundation

/// A block of IP addresses (`10.0.0.0/8`, `2001:db8::/32`, or one address).
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    public let address: [UInt8]
    public let prefixLength: Int

    /// Parses CIDR notation; a bare address is a /32 or /128. Nil when malformed.
    public init?(cidr: String) {
        let parts = cidr.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPNetwork.bytes(of: String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...maximum).contains(n), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = n
        }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ other: [UInt8]) -> Bool {
        guard other.count == address.count else { return false }
        var remaining = prefixLength
        for i in address.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address[i] & mask != other[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text; an IPv4-mapped
    /// IPv6 address (`::ffff:10.0.0.1`) becomes its IPv4 bytes. Nil when malformed.
    public static func bytes(of text: String) -> [UInt8]? {
        var host = text.trimmingCharacters(in: .whitespaces)
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 64, !host.contains("%") else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return Array(bytes[12...])
        }
        return bytes
    }
}

/// The address of the client behind any trusted proxies (`OIDC_TRUSTED_PROXIES`).
///
/// `X-Forwarded-For` is a list each proxy appends the address it received
/// the request from to. Only hops added by a trusted proxy can be believed,
/// so the list is read from the right: the first address that is not a
/// trusted proxy is the client. A client can write anything at the left end,
/// which is why the left-most hop is never taken on trust.
public enum ClientAddress {
    /// - Parameters:
    ///   - peer: the TCP peer's address as text.
    ///   - forwardedFor: every `X-Forwarded-For` header value, in order.
    ///   - trustedProxies: the networks whose forwarded headers are believed.
    public static func resolve(peer: String, forwardedFor: [String], trustedProxies: [IPNetwork]) -> String {
        guard !trustedProxies.isEmpty, isTrusted(peer, trustedProxies) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let bytes = IPNetwork.bytes(of: hop) else {
                // A hop that is not an address cannot be checked against the
                // trusted list; what lies to its left is not to be believed either.
                return peer
            }
            if !trustedProxies.contains(where: { $0.contains(bytes) }) { return canonical(bytes) }
        }
        // Every hop was a trusted proxy: the left-most one is the client.
        return hops.first.flatMap(IPNetwork.bytes(of:)).map(canonical) ?? peer
    }

    static func isTrusted(_ address: String, _ networks: [IPNetwork]) -> Bool {
        guard let bytes = IPNetwork.bytes(of: address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The address as text, in the form the logs and throttle keys use.
    static func canonical(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    /// Parses `OIDC_TRUSTED_PROXIES`: comma-separated CIDRs; nil names the bad entry.
    public static func parseNetworks(_ text: String) -> Result<[IPNetwork], ParseFailure> {
        var networks: [IPNetwork] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let network = IPNetwork(cidr: entry) else { return .failure(ParseFailure(entry: entry)) }
            networks.append(network)
        }
        return .success(networks)
    }

    public struct ParseFailure: Error, Equatable {
        public let entry: String
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// HTTP as a browser and a relying party make it: redirects seen one by one
/// (never followed by the library), cookies kept per host, bodies bounded.
final class BrowserSession: @unchecked Sendable {
    struct Answer {
        let status: Int
        let headers: HTTPHeaders
        let body: String
        let url: URL

        var location: URL? { headers.first(name: "location").flatMap { URL(string: $0, relativeTo: url)?.absoluteURL } }
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
        /// `401 invalid_client: description` for an OAuth error body, else the status and a short excerpt.
        var summary: String {
            if let json, let error = json["error"] as? String {
                return "HTTP \(status) \(error)" + ((json["error_description"] as? String).map { ": \($0)" } ?? "")
            }
            let excerpt = body.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(120)
            return "HTTP \(status)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
        }
    }

    private let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(60))))
    /// host → cookie name → value. Only touched by the one task walking the flow.
    private var cookies: [String: [String: String]] = [:]

    func shutdown() async {
        try? await client.shutdown()
    }

    func get(_ url: URL, headers: [(String, String)] = []) async throws -> Answer {
        try await send("GET", url, headers: headers, body: nil)
    }

    func postForm(_ url: URL, _ fields: [(String, String)], headers: [(String, String)] = []) async throws -> Answer {
        try await send("POST", url, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                       body: Self.formEncode(fields))
    }

    private func send(_ method: String, _ url: URL, headers: [(String, String)], body: String?) async throws -> Answer {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "User-Agent", value: "gatehouse-selftest")
        request.headers.add(name: "Accept", value: "text/html, application/json;q=0.9")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let host = url.host, let jar = cookies[host], !jar.isEmpty {
            request.headers.add(name: "Cookie", value: jar.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        if let host = url.host {
            for header in response.headers["set-cookie"] { store(cookie: header, host: host) }
        }
        return Answer(status: Int(response.status.code), headers: response.headers,
                      body: String(decoding: bytes.readableBytesView, as: UTF8.self), url: url)
    }

    private func store(cookie header: String, host: String) {
        let attributes = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let pair = attributes.first, let eq = pair.firstIndex(of: "=") else { return }
        let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
        let expired = attributes.dropFirst().contains { $0.lowercased() == "max-age=0" || $0.lowercased().hasPrefix("max-age=-") }
        if expired || value.isEmpty {
            cookies[host]?[name] = nil
        } else {
            cookies[host, default: [:]][name] = value
        }
    }

    /// application/x-www-form-urlencoded (HTML's serialisation: space as +).
    static func formEncode(_ fields: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")
        func encode(_ s: String) -> String {
            (s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s).replacingOccurrences(of: "%20", with: "+")
        }
        return fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// RFC 6749 §2.3.1: client_id and secret form-encoded, then joined for Basic.
    static func basic(_ clientID: String, _ secret: String) -> String {
        let pair = formEncode([(clientID, "")]).dropLast() + ":" + formEncode([(secret, "")]).dropLast()
        return "Basic " + Data(pair.utf8).base64EncodedString()
    }
}

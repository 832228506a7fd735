import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// Response builders shared by the endpoints.
enum HTTPResponses {
    static let noStore: [(HTTPField.Name, String)] = [(.cacheControl, "no-store"), (HTTPField.Name("Pragma")!, "no-cache")]

    /// A JSON object written by `JSONText`, for the answers served most often.
    static func json(object members: [String: ClaimValue], status: HTTPResponse.Status = .ok,
                     headers extra: [(HTTPField.Name, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in extra { headers.append(HTTPField(name: name, value: value)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONText.object(members))))
    }

    /// RFC 6749 §5.2 error response.
    static func oauthError(_ error: OAuthError, headers: [(HTTPField.Name, String)] = []) -> Response {
        json(object: ["error": .string(error.code), "error_description": .string(error.errorDescription)],
             status: .init(code: error.status), headers: headers)
    }

    /// A 302 to `location` (RFC 6749 §4.1.2 uses 302; never 307, which would re-post the form).
    static func redirect(_ location: String, status: HTTPResponse.Status = .found,
                         headers extra: [(HTTPField.Name, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        for (name, value) in extra { headers.append(HTTPField(name: name, value: value)) }
        return Response(status: status, headers: headers)
    }

    /// Quotes a value for a `WWW-Authenticate` auth-param (RFC 7235 §2.2).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

public extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

extension Request {
    /// The query string's parameters; nil when its encoding is malformed.
    var queryParameters: FormParameters? {
        FormParameters(encoded: uri.query ?? "")
    }

    /// The form body's parameters; nil when the encoding is malformed.
    /// Throws 413 when the body exceeds the context's limit.
    mutating func formParameters(limit: Int) async throws -> FormParameters? {
        let buffer = try await collectBody(upTo: limit)
        // Invalid UTF-8 makes the body malformed, rather than turning into U+FFFD.
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { return nil }
        return FormParameters(encoded: text)
    }

    /// The media type is exactly application/x-www-form-urlencoded (parameters such as charset allowed).
    var isFormEncoded: Bool {
        guard let type = headers[.contentType]?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
        else { return false }
        return type.trimmingCharacters(in: .whitespaces).lowercased() == "application/x-www-form-urlencoded"
    }

    /// Every value the `Cookie` headers give the cookie `name`, in order.
    func cookies(named name: String) -> [String] {
        var values: [String] = []
        for header in headers[values: .cookie] {
            // Unicode scalars, not Characters, as in FormParameters.
            for part in header.unicodeScalars.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(Substring.init)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                    values.append(pair[1].trimmingCharacters(in: .whitespaces))
                }
            }
        }
        return values
    }
}

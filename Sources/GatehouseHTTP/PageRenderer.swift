import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the HTML pages from Mustache templates: the built-in ones, each
/// replaceable by a file of the same name in `OIDC_TEMPLATES_DIR`.
/// Mustache's `{{name}}` HTML-escapes every value.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary

    public static let templateNames = ["login", "consent", "error", "message"]

    public init(overridesDirectory: String?) async throws {
        var library = MustacheLibrary()
        for (name, text) in DefaultTemplates.all {
            try library.register(text, named: name)
        }
        if let directory = overridesDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw TemplateError(description: "OIDC_TEMPLATES_DIR '\(directory)' is not a directory")
            }
            for name in Self.templateNames {
                let path = (directory as NSString).appendingPathComponent("\(name).mustache")
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    try library.register(text, named: name)
                }
            }
        }
        self.library = library
    }

    struct TemplateError: Error, CustomStringConvertible {
        let description: String
    }

    /// An HTML response with the headers every page carries: no framing, no
    /// caching, no referrer (so codes and states in URLs do not leak).
    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok,
              headers extra: [(HTTPField.Name, String)] = []) -> Response {
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Error</title>"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xFrameOptions] = "DENY"
        // No form-action: Chrome and Safari apply it to the redirect after a form POST, which would block the redirect to the client.
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        headers[.referrerPolicy] = "no-referrer"
        for (name, value) in extra { headers.append(HTTPField(name: name, value: value)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func error(_ title: String, _ message: String, status: HTTPResponse.Status,
               headers: [(HTTPField.Name, String)] = []) -> Response {
        page("error", ["title": title, "message": message, "status": status.code], status: status, headers: headers)
    }

    func message(_ title: String, _ message: String, headers: [(HTTPField.Name, String)] = []) -> Response {
        page("message", ["title": title, "message": message], headers: headers)
    }
}

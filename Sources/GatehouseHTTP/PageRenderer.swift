import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the HTML pages from Mustache templates: the built-in ones, each
/// replaceable by a file of the same name in `OIDC_TEMPLATES_DIR`.
///
/// Every `{{value}}` is escaped per Unicode scalar (`HTMLEscape`), in the
/// built-in pages and in overrides alike: swift-mustache's own HTML escaping
/// works per grapheme and lets a `"` followed by a combining mark through.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let siteName: String
    /// The issuer's path (`Settings.basePath`): pages link under it.
    let basePath: String

    public static let templateNames = ["login", "consent", "error", "message", "end-session", "form-post",
                                       "account", "account-totp", "recovery-codes",
                                       "admin-verify", "admin-overview", "admin-clients", "admin-client-new", "admin-client-created",
                                       "admin-client", "admin-users", "admin-user-new", "admin-user", "admin-keys", "admin-audit"]

    /// The content type every template is rendered with.
    static let contentTypeName = "GATEHOUSE_HTML"
    /// Put in front of every template, so no template can render unescaped by default.
    static let pragma = "{{% CONTENT_TYPE: \(contentTypeName)}}"

    struct ScalarHTML: MustacheContentType {
        func escapeText(_ text: String) -> String { HTMLEscape.escape(text) }
    }

    public init(overridesDirectory: String?, siteName: String = Settings.defaults.siteName, basePath: String = "") async throws {
        // Registered under HTML too, so an override that names the HTML content type gets the same escaping.
        MustacheContentTypes.register(ScalarHTML(), named: Self.contentTypeName)
        MustacheContentTypes.register(ScalarHTML(), named: "HTML")
        var library = MustacheLibrary()
        for (name, text) in DefaultTemplates.all {
            try library.register(Self.pragma + text, named: name)
        }
        if let directory = overridesDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw TemplateError(description: "OIDC_TEMPLATES_DIR '\(directory)' is not a directory")
            }
            for name in Self.templateNames {
                let path = (directory as NSString).appendingPathComponent("\(name).mustache")
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    try library.register(Self.pragma + text, named: name)
                }
            }
        }
        self.library = library
        self.siteName = siteName
        self.basePath = basePath
    }

    struct TemplateError: Error, CustomStringConvertible {
        let description: String
    }

    /// The content security policy of every page: nothing inline, nothing
    /// from elsewhere, no framing. No form-action: Chrome and Safari apply it
    /// to the redirect after a form POST, which would block the redirect to the client.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

    /// The policy of a consent page that shows the client's logo: images
    /// from the logo's origin too, nothing else loosened.
    static func contentSecurityPolicy(imagesFrom origin: String) -> String {
        contentSecurityPolicy.replacingOccurrences(of: "img-src 'self' data:", with: "img-src 'self' data: \(origin)")
    }

    /// `https://host[:port]` of an image URL, or nil when it is not one a
    /// policy can safely name (only https, and only host characters).
    static func imageOrigin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "https",
              let host = components.host?.lowercased(), !host.isEmpty,
              host.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" })
        else { return nil }
        return "https://" + host + (components.port.map { ":\($0)" } ?? "")
    }

    /// An HTML response with the headers every page carries: no framing, no
    /// caching, no referrer (so codes and states in URLs do not leak).
    /// The form-post page's policy: the same, plus its one script from here.
    static let formPostContentSecurityPolicy = contentSecurityPolicy + "; script-src 'self'"

    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok,
              headers extra: [(HTTPField.Name, String)] = [],
              contentSecurityPolicy: String = PageRenderer.contentSecurityPolicy) -> Response {
        var values = values
        values["site_name"] = siteName
        values["stylesheet"] = basePath + StaticAssets.stylesheetURL
        values["base"] = basePath
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Error</title>"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xFrameOptions] = "DENY"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.referrerPolicy] = "no-referrer"
        for (name, value) in extra { headers.append(HTTPField(name: name, value: value)) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// An error page. Its words are fixed (`PageError`): nothing from the
    /// request is shown, so a crafted link cannot put its own sentence on
    /// the provider's page.
    func error(_ error: PageError, headers: [(HTTPField.Name, String)] = []) -> Response {
        page("error", ["title": error.title, "message": error.message, "next_step": error.nextStep,
                       "code": error.code, "status": error.status.code],
             status: error.status, headers: headers)
    }

    /// An authorization response in form_post mode: a page whose form posts `fields` to `action`.
    func formPost(action: String, fields: [AuthorizationResponse.FormField]) -> Response {
        page("form-post", ["action": action, "fields": fields.map { ["name": $0.name, "value": $0.value] },
                           "form_post_script": basePath + StaticAssets.formPostScriptURL],
             contentSecurityPolicy: Self.formPostContentSecurityPolicy)
    }

    func message(_ title: String, _ message: String, headers: [(HTTPField.Name, String)] = []) -> Response {
        page("message", ["title": title, "message": message], headers: headers)
    }
}

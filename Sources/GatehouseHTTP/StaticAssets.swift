import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The stylesheet and the icon. Served as files so the pages' CSP needs no
/// `'unsafe-inline'`; the stylesheet's URL carries a digest of its content,
/// so it can be cached for a year and still change with a new release.
enum StaticAssets {
    static let stylesheet = """
        body { font-family: system-ui, sans-serif; background: #f5f5f7; color: #1d1d1f; margin: 0; }
        main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 12px;
               box-shadow: 0 1px 4px rgba(0,0,0,.1); }
        h1 { font-size: 1.4rem; margin-top: 0; }
        .site { margin: 0 0 1rem; font-weight: 700; color: #0058b0; letter-spacing: .02em; }
        label { display: block; margin-top: 1rem; font-weight: 600; }
        input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem;
               margin-top: .3rem; border: 1px solid #888; border-radius: 6px; font-size: 1rem; }
        button { margin-top: 1.5rem; margin-right: .5rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 6px;
                 border: 1px solid #0058b0; background: #0066cc; color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: #0058b0; }
        a { color: #0058b0; }
        .error { color: #b00020; font-weight: 600; }
        .note { color: #555; font-size: .9rem; }
        .client-links { margin-top: .75rem; line-height: 1.6; }
        .client-links > a, .client-links > span { display: inline-block; white-space: nowrap; margin-right: .75rem; }
        .client-logo { display: block; width: 64px; height: 64px; object-fit: contain; margin-bottom: .5rem; }
        .code { color: #777; font-size: .75rem; font-family: ui-monospace, monospace; margin-top: 2rem; }
        ul { padding-left: 1.2rem; }
        h2 { font-size: 1.05rem; margin: 1.75rem 0 .5rem; }
        section { border-top: 1px solid #e5e5ea; margin-top: 1.25rem; }
        .notice { background: #eef6ee; border-left: 3px solid #2e7d32; padding: .5rem .75rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
        .facts dt { color: #555; } .facts dd { margin: 0; overflow-wrap: anywhere; }
        .row { display: flex; justify-content: space-between; align-items: center; gap: 1rem; padding: .5rem 0; }
        .row + .row { border-top: 1px solid #f0f0f2; }
        .row .note { margin: .2rem 0 0; } .row form button { margin-top: 0; white-space: nowrap; }
        .secret code, .codes code { font-family: ui-monospace, monospace; font-size: 1.05rem; letter-spacing: .05em; overflow-wrap: anywhere; }
        .codes { columns: 2; list-style: none; padding: 0; }
        .uri { overflow-wrap: anywhere; word-break: break-all; }
        main.wide { max-width: 64rem; }
        .admin-nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: -.5rem 0 1.5rem; padding-bottom: .75rem; border-bottom: 1px solid #e5e5ea; }
        table { width: 100%; border-collapse: collapse; font-size: .9rem; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; overflow-wrap: break-word; }
        td code { word-break: break-all; }
        td.time { white-space: nowrap; } .facts code { font-size: 1em; }
        code { font-size: .95em; }
        th { color: #555; font-weight: 600; }
        textarea, select { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .3rem; border: 1px solid #888; border-radius: 6px; font: inherit; }
        label.check { font-weight: 400; } label.check input { margin-right: .4rem; }
        .search, .filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
        .filters { align-items: end; } .filters label { flex: 1 1 9rem; }
        .search input { flex: 1; min-width: 12rem; } .search button, .filters button { margin-top: 0; }
        .filters label { margin-top: 0; font-weight: 400; font-size: .85rem; }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; } .actions form button { margin-top: 1rem; }
        button.danger { background: #b00020; border-color: #b00020; }

        """

    static let stylesheetPath = "/static/gatehouse.css"
    /// The URL pages link: the path plus a digest of the content.
    static let stylesheetURL = stylesheetPath + "?v=" + SHA256.hash(data: Data(stylesheet.utf8))
        .prefix(6).map { String(format: "%02x", $0) }.joined()

    /// Submits the form-post page's form (Form Post Response Mode §2). The
    /// prototype's submit, so no field named "submit" can shadow it.
    static let formPostScript = """
        HTMLFormElement.prototype.submit.call(document.getElementById("response"));

        """
    static let formPostScriptPath = "/static/form-post.js"
    static let formPostScriptURL = formPostScriptPath + "?v=" + digest(formPostScript)

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// A 16×16 icon (a PNG inside an ICO container, which every browser reads).
    static let favicon: [UInt8] = Array(Data(base64Encoded: faviconBase64)!)

    static func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get(.init(stringLiteral: stylesheetPath)) { _, _ in
            asset(ByteBuffer(string: stylesheet), type: "text/css; charset=utf-8")
        }
        router.get(.init(stringLiteral: formPostScriptPath)) { _, _ in
            asset(ByteBuffer(string: formPostScript), type: "text/javascript; charset=utf-8")
        }
        router.get("/favicon.ico") { _, _ in
            asset(ByteBuffer(bytes: favicon), type: "image/x-icon")
        }
    }

    private static func asset(_ body: ByteBuffer, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

private let faviconBase64 = "AAABAAEAEBAAAAEAIABkAAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAQAAAAEAgGAAAAH/P/YQAAACtJREFUeNpjYKAaSDvznyRMkWYMQ6hpACEwkgxAD7BRA2huAJIhRBtALQAAEqMQc/TB+y4AAAAASUVORK5CYII="

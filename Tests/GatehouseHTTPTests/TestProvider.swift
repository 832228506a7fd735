import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PGClient
import TestSupport
import Testing

/// A Gatehouse on a fresh database, with a clock the test moves, a user and
/// helpers to drive the browser flow.
struct TestProvider {
    let db: TestDatabase
    let pool: WorkerPool
    let deps: ServerDependencies
    let clock: FixedClock
    let settings: Settings

    static let password = "correct horse battery staple"

    static func make(_ configure: (inout Settings) -> Void = { _ in }) async throws -> TestProvider {
        let db = try await TestDatabase.create()
        let pool = db.makePool(size: 4)
        var settings = Settings.defaults
        settings.secretKey = SecretToken.generate() + SecretToken.generate()
        settings.loginLockout = .seconds(60)
        configure(&settings)
        let clock = FixedClock(Date())
        let deps = try await ServerDependencies.live(settings: settings, pool: pool, clock: clock,
                                                     passwordHasher: PasswordHasher(parameters: .fastForTests))
        return TestProvider(db: db, pool: pool, deps: deps, clock: clock, settings: settings)
    }

    /// A provider for the length of `body`, shut down afterwards whether
    /// `body` returns or throws, so no test can leak its pool.
    @discardableResult
    static func with<T>(_ configure: (inout Settings) -> Void = { _ in },
                        _ body: (TestProvider) async throws -> T) async throws -> T {
        let op = try await make(configure)
        do {
            let result = try await body(op)
            await op.shutdown()
            return result
        } catch {
            await op.shutdown()
            throw error
        }
    }

    var router: IssuerPathRouting<Router<GatehouseRequestContext>> { GatehouseServer.makeRouting(dependencies: deps) }

    func app() -> some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @discardableResult
    func createUser(_ username: String = "alice", email: String? = "alice@example.com") async throws -> User {
        try await deps.users.create(NewUser(username: username, password: Self.password, profile: UserProfile(
            name: "Alice Liddell", givenName: "Alice", familyName: "Liddell", email: email, phoneNumber: "+1 555 0100"
        )))
    }

    func createClient(_ configure: (inout ClientRegistration) -> Void = { _ in }) async throws -> (client: Client, secret: String?) {
        var registration = ClientRegistration(name: "Demo RP", redirectURIs: ["http://example.org/", "https://rp.example/cb"])
        registration.postLogoutRedirectURIs = ["https://rp.example/bye"]
        configure(&registration)
        return try await deps.clients.create(try registration.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: true)))
    }

    func shutdown() async { await pool.shutdown() }
}

/// A minimal browser: keeps its cookies (by name) between requests.
final class Browser: @unchecked Sendable {
    let client: any TestClientProtocol
    var jar: [(name: String, value: String)] = []

    /// The `Cookie` header this browser sends; setting it replaces the jar.
    var cookie: String? {
        get { jar.isEmpty ? nil : jar.map { "\($0.name)=\($0.value)" }.joined(separator: "; ") }
        set {
            jar = (newValue ?? "").split(separator: ";").compactMap { part in
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
            }
        }
    }

    /// The value of the cookie `name`, if the browser holds it.
    func cookie(_ name: String) -> String? { jar.first { $0.name == name }?.value }

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    struct Page {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: String
        var location: String? { headers[.location] }

        func field(_ name: String) -> String? { HTML.field(name, in: body) }
    }

    func get(_ uri: String, headers extra: HTTPFields = [:]) async throws -> Page {
        try await send(uri, method: .get, body: nil, headers: extra)
    }

    func post(_ uri: String, form: [(String, String)], headers extra: HTTPFields = [:]) async throws -> Page {
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(uri, method: .post, body: FormParameters.encode(form), headers: headers)
    }

    func send(_ uri: String, method: HTTPRequest.Method, body: String?, headers extra: HTTPFields) async throws -> Page {
        var headers = extra
        if let cookie { headers[.cookie] = cookie }
        let response = try await client.execute(uri: uri, method: method, headers: headers,
                                                body: body.map { ByteBuffer(string: $0) })
        for setCookie in response.headers[values: .setCookie] {
            let pair = setCookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0])
            jar.removeAll { $0.name == name }
            if !setCookie.contains("Max-Age=0") { jar.append((name, String(pair[1]))) }
        }
        return Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
    }
}

enum HTML {
    /// The value of the input named `name`, unescaped.
    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return unescape(String(rest[..<end]))
    }

    static func unescape(_ text: String) -> String {
        var s = text
        for (entity, char) in [("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&#x2F;", "/"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            s = s.replacingOccurrences(of: entity, with: char)
        }
        return s
    }
}

extension FormParameters {
    /// The query parameters of a URL.
    static func ofQuery(_ url: String) -> FormParameters {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return FormParameters() }
        return FormParameters(encoded: query) ?? FormParameters()
    }

    /// The parameters in a URL's fragment (response_mode=fragment).
    static func ofFragment(_ url: String) -> FormParameters {
        guard let fragment = url.split(separator: "#", maxSplits: 1).dropFirst().first else { return FormParameters() }
        return FormParameters(encoded: fragment) ?? FormParameters()
    }

    /// The response parameters of a redirect, wherever its mode put them.
    static func ofResponse(_ url: String) -> FormParameters {
        url.contains("#") ? ofFragment(url) : ofQuery(url)
    }
}

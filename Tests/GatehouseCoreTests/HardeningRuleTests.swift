import Foundation
import GatehouseCore
import Testing

/// The security review's rules that need no database, each named after its rule.
@Suite("Hardening rules without a database")
struct HardeningRuleTests {
    // MARK: 1. Escaping

    @Test("1. template values are escaped per Unicode scalar: a quote followed by a combining mark cannot close an attribute")
    func escapingPerScalar() {
        let hostile = "\"\u{301} onmouseover=alert(1) x=\"\u{338}<b>&'\u{20D2}"
        let escaped = HTMLEscape.escape(hostile)
        #expect(!escaped.unicodeScalars.contains("\""))
        #expect(!escaped.unicodeScalars.contains("<"))
        #expect(!escaped.unicodeScalars.contains("'"))
        #expect(escaped.hasPrefix("&quot;\u{301}"))
        #expect(escaped.contains("&lt;b&gt;&amp;&#39"))
        // The combining marks survive, so legitimate text reads the same.
        #expect(escaped.unicodeScalars.contains("\u{301}") && escaped.unicodeScalars.contains("\u{20D2}"))
        #expect(HTMLEscape.escape("plain text é") == "plain text é")
    }

    // MARK: 5. Trusted proxies

    @Test("5. the client address is the right-most X-Forwarded-For hop that is not a trusted proxy; an untrusted peer's header is ignored")
    func trustedProxies() throws {
        let trusted = try ClientAddress.parseNetworks("10.0.0.0/8, 192.168.1.5, 2001:db8::/32").get()
        func resolve(_ peer: String, _ xff: [String]) -> String {
            ClientAddress.resolve(peer: peer, forwardedFor: xff, trustedProxies: trusted)
        }
        // A trusted load balancer: the hop it appended is the client.
        #expect(resolve("10.1.2.3", ["198.51.100.7"]) == "198.51.100.7")
        // A client writing its own header cannot choose its address: only the right-most untrusted hop counts.
        #expect(resolve("10.1.2.3", ["1.2.3.4, 198.51.100.7"]) == "198.51.100.7")
        #expect(resolve("10.1.2.3", ["1.2.3.4", "203.0.113.9, 10.9.9.9"]) == "203.0.113.9")
        // An untrusted peer's header is not believed at all.
        #expect(resolve("203.0.113.50", ["198.51.100.7"]) == "203.0.113.50")
        // Garbage in a hop stops the walk at the peer.
        #expect(resolve("10.1.2.3", ["<script>"]) == "10.1.2.3")
        #expect(resolve("10.1.2.3", []) == "10.1.2.3")
        // IPv6 and IPv4-mapped forms.
        #expect(resolve("2001:db8::1", ["2001:db9::5"]) == "2001:db9:0:0:0:0:0:5")
        #expect(resolve("::ffff:10.0.0.1", ["198.51.100.7"]) == "198.51.100.7")
        // No trusted proxies: the peer, whatever the header says.
        #expect(ClientAddress.resolve(peer: "10.1.2.3", forwardedFor: ["1.1.1.1"], trustedProxies: []) == "10.1.2.3")
        #expect(IPNetwork(cidr: "10.0.0.0/33") == nil)
        #expect(IPNetwork(cidr: "example.com") == nil)
        #expect(IPNetwork(cidr: "10.0.0.0/8")?.contains([11, 0, 0, 1]) == false)
    }

    @Test("5. OIDC_TRUSTED_PROXIES takes comma-separated CIDRs and names a bad entry")
    func trustedProxiesSetting() throws {
        let s = try Settings.load(from: ["OIDC_TRUSTED_PROXIES": "10.0.0.0/8,::1"])
        #expect(s.trustedProxies.count == 2)
        #expect(try Settings.load(from: [:]).trustedProxies.isEmpty)
        #expect(throws: Settings.Invalid(variable: "OIDC_TRUSTED_PROXIES",
                                        reason: "must be comma-separated CIDRs such as 10.0.0.0/8, got 'nonsense'")) {
            try Settings.load(from: ["OIDC_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"])
        }
    }

    // MARK: 6. Throttling

    @Test("6. an account's wait doubles with each failure past the free ones, is capped, and never resets on its own within a day")
    func progressiveDelay() {
        let delay = LoginDelay(freeFailures: 5, baseDelay: 60, maximumDelay: 3600)
        #expect((1...4).map(delay.delay(afterFailures:)) == [0, 0, 0, 0])
        #expect((5...12).map(delay.delay(afterFailures:)) == [60, 120, 240, 480, 960, 1920, 3600, 3600])
        #expect(delay.delay(afterFailures: 10_000) == 3600)
    }

    @Test("6. worst case with the defaults: 33 guesses against one account in its first day, 24 a day after that")
    func worstCaseGuesses() throws {
        let delay = try Settings.load(from: [:]).loginDelay
        #expect(delay == LoginDelay(freeFailures: 5, baseDelay: 60, maximumDelay: 3600))
        #expect(delay.worstCaseGuesses(in: 86_400) == 33)
        // Once at the cap, one guess per OIDC_LOGIN_DELAY_MAX seconds.
        #expect(86_400 / delay.maximumDelay == 24)
    }

    @Test("6. OIDC_LOGIN_DELAY_MAX must be at least OIDC_LOGIN_LOCKOUT")
    func delaySetting() throws {
        #expect(try Settings.load(from: ["OIDC_LOGIN_DELAY_MAX": "900"]).loginDelayMax == .seconds(900))
        #expect(throws: Settings.Invalid.self) {
            try Settings.load(from: ["OIDC_LOGIN_DELAY_MAX": "30", "OIDC_LOGIN_LOCKOUT": "60"])
        }
    }

    // MARK: 8. Passwords and usernames

    @Test("8. usernames are NFKC-normalised: fullwidth and decomposed spellings are the same account")
    func usernamesNFKC() {
        #expect(Username.normalized("ａｌｉｃｅ") == "alice")
        #expect(Username.normalized("e\u{301}mile") == "\u{E9}mile")
        #expect(LoginThrottleKey.account("ＡＬＩＣＥ") == LoginThrottleKey.account("alice"))
    }

    @Test("8. a new password must have OIDC_PASSWORD_MIN_LENGTH characters (default 8)")
    func passwordMinimumLength() throws {
        let rules = PasswordRules(minimumLength: try Settings.load(from: [:]).passwordMinLength)
        #expect(throws: PasswordRules.TooShort(minimumLength: 8)) { try rules.check("1234567") }
        try rules.check("12345678")
        #expect(try Settings.load(from: ["OIDC_PASSWORD_MIN_LENGTH": "12"]).passwordMinLength == 12)
    }

    // MARK: 9, 10. Sign-in checks

    @Test("9. max_age=0 asks for a sign-in whatever the session's age, like prompt=login; the sign-in satisfies it")
    func maxAgeZero() {
        let now = Date()
        let fresh = SignInCheck.Session(subject: "s", authTime: now)
        #expect(SignInCheck.failing(session: fresh, prompt: [], maxAge: 0, hintSubject: nil, now: now) == .maxAge)
        #expect(SignInCheck.failing(session: fresh, prompt: [], maxAge: 60, hintSubject: nil, now: now.addingTimeInterval(30)) == nil)
        #expect(SignInCheck.failing(session: fresh, prompt: [], maxAge: 60, hintSubject: nil, now: now.addingTimeInterval(61)) == .maxAge)
        #expect(SignInCheck.satisfiedBySignIn.contains("max_age"))
        #expect(SignInCheck.failing(session: nil, prompt: [], maxAge: nil, hintSubject: nil, now: now) == .noSession)
        #expect(SignInCheck.failing(session: fresh, prompt: [.login], maxAge: nil, hintSubject: nil, now: now) == .promptLogin)
    }

    @Test("10. an id_token_hint naming another user than the signed-in one asks for a sign-in (login_required with prompt=none)")
    func idTokenHint() {
        let session = SignInCheck.Session(subject: "alice-sub", authTime: Date())
        #expect(SignInCheck.failing(session: session, prompt: [], maxAge: nil, hintSubject: "bob-sub", now: Date()) == .idTokenHintMismatch)
        #expect(SignInCheck.failing(session: session, prompt: [], maxAge: nil, hintSubject: "alice-sub", now: Date()) == nil)
        #expect(SignInCheck.idTokenHintMismatch.error().code == "login_required")
    }

    // MARK: 12. Client authentication method

    @Test("12. a client registered with one auth method must use it; one registered with none may use basic or post")
    func authMethod() throws {
        func client(_ method: String?) -> Client {
            Client(id: 1, clientID: "c", name: "C", kind: .confidential, redirectURIs: ["https://rp/cb"], postLogoutRedirectURIs: [],
                   responseTypes: [.code], grantTypes: [.authorizationCode], scopes: ["openid"], requireConsent: true,
                   reuseConsent: true, tokenEndpointAuthMethod: method, createdAt: Date())
        }
        try ClientAuthentication.checkMethod(.basic, allowedBy: client(nil))
        try ClientAuthentication.checkMethod(.post, allowedBy: client(nil))
        try ClientAuthentication.checkMethod(.basic, allowedBy: client("client_secret_basic"))
        #expect(throws: OAuthError.self) { try ClientAuthentication.checkMethod(.post, allowedBy: client("client_secret_basic")) }
        #expect(throws: OAuthError.self) { try ClientAuthentication.checkMethod(.basic, allowedBy: client("client_secret_post")) }
        var registration = ClientRegistration(name: "X", redirectURIs: ["https://rp.example/cb"])
        registration.authMethod = "private_key_jwt"
        #expect(throws: ClientRegistration.Invalid.self) { try registration.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false)) }
    }

    // MARK: 13. Consent and offline_access

    @Test("13. prompt=consent asks even a client registered without consent; offline_access needs consent given on the page")
    func consentAndOfflineAccess() {
        let noConsent = Client(id: 1, clientID: "c", name: "C", kind: .confidential, redirectURIs: ["https://rp/cb"],
                               postLogoutRedirectURIs: [], responseTypes: [.code], grantTypes: [.authorizationCode],
                               scopes: ["openid"], requireConsent: false, reuseConsent: true, tokenEndpointAuthMethod: nil,
                               createdAt: Date())
        let scopes = Scopes(["openid", "offline_access"])
        #expect(ConsentCheck.outcome(client: noConsent, prompt: [], scopes: scopes, remembered: nil) == .covered)
        #expect(ConsentCheck.outcome(client: noConsent, prompt: [.consent], scopes: scopes, remembered: nil) == .ask)
        #expect(OfflineAccess.granted(scopes, consentedOnPage: false) == Scopes(["openid"]))
        #expect(OfflineAccess.granted(scopes, consentedOnPage: true) == scopes)
    }

    // MARK: 17. The server secret

    @Test("17. GATEHOUSE_SECRET_KEY must decode to 32 bytes of non-repeating data, and the refusal says how to make one")
    func secretKeyPolicy() throws {
        #expect(try SecretKeyPolicy.check(SecretToken.generate() + SecretToken.generate()).count == 64)  // base64url
        #expect(try SecretKeyPolicy.check(Data((0..<48).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()).count == 48)
        #expect(try SecretKeyPolicy.check(String(repeating: "0123456789abcdef", count: 2).reversed().map(String.init).joined()
                                            + "9f3a1c7e5b2d4f6a8c0e1b3d5f7a9c2e").count == 32)  // hex
        for weak in [String(repeating: "x", count: 48), String(repeating: "ab", count: 32), String(repeating: "abcd1234", count: 8),
                     "c2hvcnQ=", "not base64 at all, has spaces!!", String(repeating: "A", count: 64)] {
            #expect(throws: SecretKeyPolicy.Refused.self, "\(weak)") { try SecretKeyPolicy.check(weak) }
        }
        do {
            try SecretKeyPolicy.check(String(repeating: "x", count: 48))
        } catch {
            #expect(error.reason.contains("openssl rand -base64 48"))
        }
    }

    @Test("17. GATEHOUSE_SECRET_KEY_FILE reads the key from a file, and cannot be combined with GATEHOUSE_SECRET_KEY")
    func secretKeyFile() throws {
        let key = SecretToken.generate() + SecretToken.generate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-secret-\(UUID().uuidString)").path
        try (key + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Settings.load(from: ["GATEHOUSE_SECRET_KEY_FILE": path]).secretKey == key)
        #expect(throws: Settings.Invalid.self) {
            try Settings.load(from: ["GATEHOUSE_SECRET_KEY_FILE": path, "GATEHOUSE_SECRET_KEY": key])
        }
        #expect(throws: Settings.Invalid.self) { try Settings.load(from: ["GATEHOUSE_SECRET_KEY_FILE": "/nonexistent/key"]) }
        try "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: Settings.Invalid.self) { try Settings.load(from: ["GATEHOUSE_SECRET_KEY_FILE": path]) }
    }

    // MARK: 19. Redirect URIs

    @Test("19. client registration refuses plain-http redirect URIs off loopback unless insecure redirects are allowed")
    func httpsRedirects() throws {
        let strict = RedirectURIPolicy(allowsInsecureHTTP: false)
        #expect(throws: RedirectURIPolicy.Violation.self) {
            try ClientRegistration(name: "X", redirectURIs: ["http://rp.example/cb"]).validated(policy: strict)
        }
        _ = try ClientRegistration(name: "X", redirectURIs: ["http://127.0.0.1:8080/cb"]).validated(policy: strict)
        _ = try ClientRegistration(name: "X", redirectURIs: ["http://rp.example/cb"]).validated(policy: RedirectURIPolicy(allowsInsecureHTTP: true))
    }
}

/// Form parsing against text that only looks like separators.
@Suite("Form parsing splits on Unicode scalars")
struct FormParsingTests {
    @Test("a raw & or = followed by a combining mark still separates, so names and repeats cannot hide behind it")
    func combiningMarksDoNotGlueSeparators() throws {
        let parsed = try #require(FormParameters(encoded: "token=\u{0301}x&\u{0301}a=1&a=2"))
        #expect(parsed.values["token"] == "\u{0301}x")
        #expect(parsed.values["\u{0301}a"] == "1")
        let repeated = try #require(FormParameters(encoded: "a=1&\u{0301}&a=2"))
        #expect(repeated.repeated.contains("a"))
        let glued = try #require(FormParameters(encoded: "a=\u{0301}&b=2"))
        #expect(glued.values["b"] == "2")
    }
}

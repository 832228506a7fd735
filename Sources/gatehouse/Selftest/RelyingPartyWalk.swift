import Crypto
import Foundation
import GatehouseCore
import JWTKit

/// A walk through a live OpenID provider as a relying party makes it:
/// discovery, JWKS, the sign-in through the provider's own pages, the code
/// exchange, the ID token's checks, /userinfo, a refresh, and introspection
/// and revocation where the provider offers them. Each check reports one
/// `PASS …` or `FAIL …: reason` line; a failure stops the checks that need
/// what it should have given.
final class RelyingPartyWalk {
    struct Options {
        var issuer: String
        var clientID: String
        var clientSecret: String
        var redirectURI: String?
        var username: String?
        var password: String?
        var scope: String
    }

    struct Stop: Error {}

    let options: Options
    let session = BrowserSession()
    let report: (String) -> Void
    private(set) var failures = 0

    init(options: Options, report: @escaping (String) -> Void) {
        self.options = options
        self.report = report
    }

    func pass(_ check: String, _ detail: String = "") {
        report("PASS \(check)" + (detail.isEmpty ? "" : ": \(detail)"))
    }

    func fail(_ check: String, _ reason: String) -> Stop {
        failures += 1
        report("FAIL \(check): \(reason)")
        return Stop()
    }

    /// Runs every check; returns the number of failures.
    func run() async -> Int {
        do {
            try await walk()
        } catch is Stop {
        } catch {
            failures += 1
            report("FAIL selftest: \(error)")
        }
        await session.shutdown()
        return failures
    }

    private func walk() async throws {
        // Discovery (OIDC Discovery §4).
        let issuer = options.issuer.hasSuffix("/") ? String(options.issuer.dropLast()) : options.issuer
        guard let discoveryURL = URL(string: issuer + "/.well-known/openid-configuration") else {
            throw fail("discovery", "--issuer '\(options.issuer)' is not a URL")
        }
        let discovery = try await fetch("discovery") { try await session.get(discoveryURL) }
        guard discovery.status == 200, let config = discovery.json else {
            throw fail("discovery", "\(discoveryURL.absoluteString) answered \(discovery.summary)")
        }
        guard config["issuer"] as? String == options.issuer else {
            throw fail("discovery", "issuer is '\(config["issuer"] as? String ?? "missing")', expected '\(options.issuer)' (OIDC Discovery §4.3)")
        }
        func endpoint(_ name: String) -> URL? { (config[name] as? String).flatMap(URL.init(string:)) }
        guard let authorizeURL = endpoint("authorization_endpoint"), let tokenURL = endpoint("token_endpoint"),
              let jwksURL = endpoint("jwks_uri") else {
            throw fail("discovery", "authorization_endpoint, token_endpoint or jwks_uri is missing")
        }
        pass("discovery", discoveryURL.absoluteString)

        // JWKS.
        let jwksAnswer = try await fetch("jwks") { try await session.get(jwksURL) }
        guard jwksAnswer.status == 200, let keys = jwksAnswer.json?["keys"] as? [[String: Any]] else {
            throw fail("jwks", "\(jwksURL.absoluteString) answered \(jwksAnswer.summary)")
        }
        let verifier = JWTKeyCollection()
        do {
            try await verifier.add(jwksJSON: jwksAnswer.body)
        } catch {
            throw fail("jwks", "the key set does not parse: \(error)")
        }
        pass("jwks", "\(keys.count) keys, kids \(keys.compactMap { $0["kid"] as? String }.joined(separator: " "))")

        guard let username = options.username, let password = options.password else {
            report("PASS selftest: discovery and JWKS only (give --username and --password-file for the sign-in and tokens)")
            return
        }

        // The sign-in, through the provider's own pages.
        let state = SecretToken.generate(byteCount: 16), nonce = SecretToken.generate(byteCount: 16)
        let verifierText = SecretToken.generate()
        let challenge = Base64URL.encode(SHA256.hash(data: Data(verifierText.utf8)))
        guard let redirectURI = options.redirectURI else {
            throw fail("sign-in", "--redirect-uri is required for the sign-in")
        }
        var start = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: false)!
        start.queryItems = (start.queryItems ?? []) + [
            .init(name: "response_type", value: "code"), .init(name: "client_id", value: options.clientID),
            .init(name: "redirect_uri", value: redirectURI), .init(name: "scope", value: options.scope),
            .init(name: "state", value: state), .init(name: "nonce", value: nonce),
            .init(name: "code_challenge", value: challenge), .init(name: "code_challenge_method", value: "S256"),
        ]
        let code = try await signIn(from: start.url!, redirectURI: redirectURI, state: state, username: username, password: password)

        // The code exchange (RFC 6749 §4.1.3), authenticated as discovery says the client may.
        let basicAllowed = (config["token_endpoint_auth_methods_supported"] as? [String])?.contains("client_secret_basic") ?? true
        let tokens = try await tokenRequest("code exchange", tokenURL, basic: basicAllowed, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", verifierText),
        ])
        guard let accessToken = tokens["access_token"] as? String, let idToken = tokens["id_token"] as? String else {
            throw fail("code exchange", "the answer lacks access_token or id_token")
        }
        guard (tokens["token_type"] as? String)?.lowercased() == "bearer" else {
            throw fail("code exchange", "token_type is '\(tokens["token_type"] as? String ?? "missing")', expected Bearer")
        }
        pass("code exchange", "access_token, id_token" + (tokens["refresh_token"] != nil ? ", refresh_token" : ""))

        let subject = try await checkIDToken("id token", idToken, verifier: verifier, nonce: nonce, accessToken: accessToken)

        // /userinfo (OIDC Core §5.3).
        if let userinfoURL = endpoint("userinfo_endpoint") {
            let info = try await fetch("userinfo") { try await session.get(userinfoURL, headers: [("Authorization", "Bearer \(accessToken)")]) }
            guard info.status == 200, let claims = info.json else {
                throw fail("userinfo", "\(userinfoURL.absoluteString) answered \(info.summary)")
            }
            guard claims["sub"] as? String == subject else {
                throw fail("userinfo", "sub is '\(claims["sub"] as? String ?? "missing")', the ID token's is '\(subject)' (OIDC Core §5.3.2)")
            }
            pass("userinfo", "sub \(subject), \(claims.count) claims")
        } else {
            report("PASS userinfo: not offered (no userinfo_endpoint in discovery)")
        }

        // A refresh (RFC 6749 §6).
        var latestAccess = accessToken
        var latestRefresh = tokens["refresh_token"] as? String
        if let refresh = latestRefresh {
            let refreshed = try await tokenRequest("refresh", tokenURL, basic: basicAllowed, [
                ("grant_type", "refresh_token"), ("refresh_token", refresh),
            ])
            guard let newAccess = refreshed["access_token"] as? String else { throw fail("refresh", "no access_token in the answer") }
            if let newID = refreshed["id_token"] as? String {
                let refreshedSubject = try await checkIDToken("refresh id token", newID, verifier: verifier, nonce: nil, accessToken: newAccess)
                guard refreshedSubject == subject else { throw fail("refresh", "the new ID token's sub differs (OIDC Core §12.2)") }
            }
            latestAccess = newAccess
            latestRefresh = refreshed["refresh_token"] as? String ?? refresh
            pass("refresh", "new access token" + (refreshed["refresh_token"] != nil ? " and refresh token" : ""))
        } else {
            report("PASS refresh: no refresh_token was issued for scope '\(options.scope)' (add offline_access to --scope to check one)")
        }

        // Introspection (RFC 7662) and revocation (RFC 7009), where offered.
        if let introspectURL = endpoint("introspection_endpoint") {
            let answer = try await tokenRequest("introspection", introspectURL, basic: basicAllowed, [("token", latestAccess)])
            guard answer["active"] as? Bool == true else {
                throw fail("introspection", "a live access token is not active")
            }
            pass("introspection", "active, sub \(answer["sub"] as? String ?? "not given")")
        }
        if let revokeURL = endpoint("revocation_endpoint") {
            let token = latestRefresh ?? latestAccess
            let hint = latestRefresh == nil ? "access_token" : "refresh_token"
            let answer = try await fetch("revocation") {
                try await session.postForm(revokeURL, [("token", token), ("token_type_hint", hint)]
                    + (basicAllowed ? [] : [("client_id", options.clientID), ("client_secret", options.clientSecret)]),
                    headers: basicAllowed ? [("Authorization", BrowserSession.basic(options.clientID, options.clientSecret))] : [])
            }
            guard answer.status == 200 else { throw fail("revocation", "\(revokeURL.absoluteString) answered \(answer.summary)") }
            if let refresh = latestRefresh {
                let reuse = try await fetch("revocation") {
                    try await session.postForm(tokenURL, [("grant_type", "refresh_token"), ("refresh_token", refresh)]
                        + (basicAllowed ? [] : [("client_id", options.clientID), ("client_secret", options.clientSecret)]),
                        headers: basicAllowed ? [("Authorization", BrowserSession.basic(options.clientID, options.clientSecret))] : [])
                }
                guard reuse.status == 400, reuse.json?["error"] as? String == "invalid_grant" else {
                    throw fail("revocation", "the revoked refresh token still answers \(reuse.summary), expected 400 invalid_grant")
                }
            }
            pass("revocation", "the \(hint.replacingOccurrences(of: "_", with: " ")) no longer works")
        }
    }

    /// Follows the provider's pages from /authorize to the redirect back:
    /// fills the form with a password field, allows on a consent form.
    private func signIn(from start: URL, redirectURI: String, state: String, username: String, password: String) async throws -> String {
        var answer = try await fetch("sign-in") { try await session.get(start) }
        var sawLogin = false, sawConsent = false
        for _ in 0..<20 {
            if (300..<400).contains(answer.status), let next = answer.location {
                if next.absoluteString.hasPrefix(redirectURI) {
                    let items = URLComponents(url: next, resolvingAgainstBaseURL: false)?.queryItems ?? []
                    func item(_ name: String) -> String? { items.first { $0.name == name }?.value }
                    if let error = item("error") {
                        throw fail("sign-in", "the provider redirected back with error=\(error)" + (item("error_description").map { ": \($0)" } ?? ""))
                    }
                    guard item("state") == state else { throw fail("sign-in", "the redirect back carries another state (RFC 6749 §4.1.2)") }
                    guard let code = item("code") else { throw fail("sign-in", "the redirect back carries no code") }
                    if let iss = item("iss"), iss != options.issuer {
                        throw fail("sign-in", "the redirect back names issuer '\(iss)' (RFC 9207)")
                    }
                    pass("sign-in", (sawLogin ? "login page" : "an existing session") + (sawConsent ? ", consent page" : "") + ", code and state returned")
                    return code
                }
                answer = try await fetch("sign-in") { try await session.get(next) }
                continue
            }
            guard answer.status == 200 else {
                throw fail("sign-in", "\(answer.url.absoluteString) answered \(answer.summary)")
            }
            let forms = HTMLForm.all(in: answer.body)
            if let login = forms.first(where: \.hasPassword) {
                guard !sawLogin else { throw fail("sign-in", "the login page came back: username or password refused") }
                sawLogin = true
                var fields = login.fields.map { field -> (String, String) in
                    switch field.type {
                    case "password": (field.name, password)
                    case "text", "email": (field.name, username)
                    default: (field.name, field.value)
                    }
                }
                if let button = login.buttons.first { fields.append((button.name, button.value)) }
                answer = try await submit(login, fields, on: answer.url)
            } else if let consent = forms.first(where: { !$0.buttons.isEmpty }) {
                guard !sawConsent else { throw fail("sign-in", "the consent page came back after allowing") }
                sawConsent = true
                let allow = consent.buttons.first { ["allow", "accept", "approve", "consent", "yes", "authorize"].contains(where: $0.name.lowercased().contains) || ["allow", "accept", "approve", "yes", "authorize"].contains(where: $0.value.lowercased().contains) } ?? consent.buttons[0]
                answer = try await submit(consent, consent.fields.map { ($0.name, $0.value) } + [(allow.name, allow.value)], on: answer.url)
            } else {
                throw fail("sign-in", "\(answer.url.absoluteString) shows no login or consent form")
            }
        }
        throw fail("sign-in", "more than 20 steps without coming back to the redirect URI")
    }

    private func submit(_ form: HTMLForm, _ fields: [(String, String)], on page: URL) async throws -> BrowserSession.Answer {
        guard let target = URL(string: form.action.isEmpty ? page.absoluteString : form.action, relativeTo: page)?.absoluteURL else {
            throw fail("sign-in", "a form's action '\(form.action)' is not a URL")
        }
        if form.method == "post" { return try await fetch("sign-in") { try await session.postForm(target, fields) } }
        var components = URLComponents(url: target, resolvingAgainstBaseURL: false)!
        components.queryItems = fields.map { URLQueryItem(name: $0.0, value: $0.1) }
        return try await fetch("sign-in") { try await session.get(components.url!) }
    }

    /// A POST to the token, introspection or revocation endpoint with the client's credentials; the JSON answer.
    private func tokenRequest(_ check: String, _ url: URL, basic: Bool, _ fields: [(String, String)]) async throws -> [String: Any] {
        let answer = try await fetch(check) {
            try await session.postForm(url, fields + (basic ? [] : [("client_id", options.clientID), ("client_secret", options.clientSecret)]),
                                       headers: basic ? [("Authorization", BrowserSession.basic(options.clientID, options.clientSecret))] : [])
        }
        guard answer.status == 200, let json = answer.json else {
            let hint = answer.status == 401 || answer.json?["error"] as? String == "invalid_client"
                ? " (check the client_id and secret)" : ""
            throw fail(check, "\(url.absoluteString) answered \(answer.summary)\(hint)")
        }
        return json
    }

    /// Verifies the signature with the JWKS (or, for HS256, the client's
    /// secret) and the claims with `IDTokenExpectations`; returns `sub`.
    private func checkIDToken(_ check: String, _ token: String, verifier: JWTKeyCollection, nonce: String?,
                                       accessToken: String) async throws -> String {
        let header = token.split(separator: ".").first.flatMap { Base64URL.decode(String($0)) }
            .flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] } ?? [:]
        let alg = header["alg"] as? String ?? "none"
        let claims: SelftestClaims
        do {
            if alg == "HS256" {
                // OIDC Core §10.1: HS256 is keyed with the client's secret.
                let hmac = JWTKeyCollection()
                await hmac.add(hmac: HMACKey(from: options.clientSecret), digestAlgorithm: .sha256)
                claims = try await hmac.verify(token, as: SelftestClaims.self)
            } else {
                claims = try await verifier.verify(token, as: SelftestClaims.self)
            }
        } catch {
            throw fail(check, "the \(alg) signature does not verify with the provider's JWKS\(alg == "HS256" ? " (HS256: the client secret)" : ""): \(error)")
        }
        let problems = IDTokenExpectations(issuer: options.issuer, clientID: options.clientID, nonce: nonce,
                                           accessToken: accessToken, now: Date()).problems(claims.expectations(alg: alg))
        guard problems.isEmpty else { throw fail(check, problems.joined(separator: "; ")) }
        pass(check, "\(alg)" + (header["kid"] as? String).map { " kid \($0)" }.orEmpty + ", iss, aud, exp"
             + (nonce != nil ? ", nonce" : "") + (claims.at_hash != nil ? ", at_hash" : ""))
        return claims.sub
    }

    /// Runs one request; a transport failure fails `check`.
    private func fetch(_ check: String, _ request: () async throws -> BrowserSession.Answer) async throws -> BrowserSession.Answer {
        do {
            return try await request()
        } catch {
            throw fail(check, "no answer: \(error)")
        }
    }
}

private extension Optional where Wrapped == String {
    var orEmpty: String { self ?? "" }
}

/// The ID token's claims as the checks read them.
struct SelftestClaims: JWTPayload {
    var iss: String?
    var sub: String
    var aud: AudienceClaim
    var azp: String?
    var exp: Double?
    var iat: Double?
    var nonce: String?
    var at_hash: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    func expectations(alg: String) -> IDTokenExpectations.Claims {
        IDTokenExpectations.Claims(alg: alg, iss: iss, sub: sub, aud: aud.value, azp: azp,
                                   exp: exp.map(Date.init(timeIntervalSince1970:)), iat: iat.map(Date.init(timeIntervalSince1970:)),
                                   nonce: nonce, atHash: at_hash)
    }
}

import Foundation
import GatehouseCore
import Testing

/// `AuthorizationRequest.validate` without a database: where each kind of
/// bad request is answered (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.1).
@Suite("Authorization requests are validated before anything is shown or stored")
struct AuthorizationRequestTests {
    typealias F = GrantFixtures

    static let base: [(String, String)] = [
        ("client_id", "client-7"), ("redirect_uri", "https://rp.example/cb"), ("response_type", "code"),
        ("scope", "openid email"), ("state", "s-1"),
    ]

    func validate(_ pairs: [(String, String)], client: Client? = F.client(), allowPlain: Bool = false)
        -> Result<AuthorizationRequest, AuthorizationRequest.Failure> {
        Result { () throws(AuthorizationRequest.Failure) in
            try AuthorizationRequest.validate(FormParameters(pairs), client: client, allowPlainPKCE: allowPlain)
        }
    }

    func replacing(_ name: String, with value: String?) -> [(String, String)] {
        Self.base.filter { $0.0 != name } + (value.map { [(name, $0)] } ?? [])
    }

    /// The error code when the failure is a redirect to the client; nil otherwise.
    func redirectedError(_ result: Result<AuthorizationRequest, AuthorizationRequest.Failure>) -> String? {
        if case .failure(.redirect(let error, let uri, _, _)) = result, uri == "https://rp.example/cb" { return error.code }
        return nil
    }

    func isErrorPage(_ result: Result<AuthorizationRequest, AuthorizationRequest.Failure>) -> Bool {
        if case .failure(.errorPage) = result { return true }
        return false
    }

    @Test("a valid request keeps its parameters: scopes, state, nonce, prompt, max_age, PKCE")
    func valid() throws {
        let challenge = PKCE.s256Challenge(for: String(repeating: "v", count: 43))
        let request = try validate(Self.base + [("nonce", "n"), ("prompt", "login consent"), ("max_age", "0"),
                                                ("code_challenge", challenge), ("code_challenge_method", "S256")]).get()
        #expect(request.scopes == Scopes(["openid", "email"]))
        #expect(request.state == "s-1")
        #expect(request.nonce == "n")
        #expect(request.prompt == [.login, .consent])
        #expect(request.maxAge == 0)
        #expect(request.codeChallengeMethod == .s256)
    }

    @Test("no, an unknown or a repeated client_id, and a missing, repeated or unregistered redirect_uri get an error page, never a redirect")
    func errorPageCases() {
        #expect(isErrorPage(validate(replacing("client_id", with: nil))))
        #expect(isErrorPage(validate(Self.base, client: nil)))
        #expect(isErrorPage(validate(Self.base + [("client_id", "client-7")])))
        #expect(isErrorPage(validate(replacing("redirect_uri", with: nil))))
        #expect(isErrorPage(validate(Self.base + [("redirect_uri", "https://rp.example/cb")])))
        #expect(isErrorPage(validate(replacing("redirect_uri", with: "https://rp.example/cb/"))))
    }

    @Test("after the client and redirect URI are known, errors go back to the client with the state")
    func redirectCases() {
        #expect(redirectedError(validate(replacing("response_type", with: nil))) == "invalid_request")
        #expect(redirectedError(validate(replacing("response_type", with: "token"))) == "unsupported_response_type")
        #expect(redirectedError(validate(replacing("scope", with: nil))) == "invalid_scope")
        #expect(redirectedError(validate(replacing("scope", with: "openid admin"))) == "invalid_scope")
        #expect(redirectedError(validate(Self.base + [("prompt", "none login")])) == "invalid_request")
        #expect(redirectedError(validate(Self.base + [("prompt", "sometimes")])) == "invalid_request")
        #expect(redirectedError(validate(Self.base + [("max_age", "-1")])) == "invalid_request")
        #expect(redirectedError(validate(Self.base + [("request", "eyJ...")])) == "request_not_supported")
        #expect(redirectedError(validate(Self.base + [("nonce", "a"), ("nonce", "b")])) == "invalid_request")
        #expect(redirectedError(validate(replacing("state", with: String(repeating: "s", count: 2049)))) == "invalid_request")
        if case .failure(.redirect(_, _, let state, _)) = validate(replacing("response_type", with: nil)) {
            #expect(state == "s-1")
        }
    }

    @Test("PKCE at /authorize: S256 only unless plain is allowed, a well-formed challenge, and always for public clients")
    func pkce() {
        let challenge = PKCE.s256Challenge(for: String(repeating: "v", count: 43))
        #expect(redirectedError(validate(Self.base + [("code_challenge", challenge)])) == "invalid_request")  // plain by default
        #expect((try? validate(Self.base + [("code_challenge", challenge)], allowPlain: true).get()) != nil)
        #expect(redirectedError(validate(Self.base + [("code_challenge", "short"), ("code_challenge_method", "S256")])) == "invalid_request")
        #expect(redirectedError(validate(Self.base + [("code_challenge_method", "S256")])) == "invalid_request")
        let publicClient = F.client(kind: .public)
        #expect(redirectedError(validate(Self.base, client: publicClient)) == "invalid_request")
        #expect((try? validate(Self.base + [("code_challenge", challenge), ("code_challenge_method", "S256")],
                               client: publicClient).get()) != nil)
    }

    @Test("a response_type is a set of words: the type is found whatever their order, and unknown sets are nil")
    func responseTypeWords() {
        #expect(ResponseType(parameter: "code") == .code)
        #expect(ResponseType(parameter: " code ") == .code)
        #expect(ResponseType(parameter: "token") == nil)
        #expect(ResponseType(parameter: "code code") == nil)
        #expect(ResponseType(parameter: "") == nil)
    }
}

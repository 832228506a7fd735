import Foundation
import GatehouseCore
import Testing

/// Response types, response modes and ID-token hashes, without a server
/// (OIDC Core §3.2, §3.3; Multiple Response Types; Form Post Response Mode).
@Suite("Front-channel rules: response types, modes, hashes")
struct FrontChannelRuleTests {
    typealias F = GrantFixtures

    static func client(types: [ResponseType] = ResponseType.allCases, kind: Client.Kind = .confidential) -> Client {
        var client = F.client(kind: kind)
        client.responseTypes = types
        return client
    }

    static func request(_ type: String, mode: String? = nil, nonce: String? = "n", client: Client = client(),
                        extra: [(String, String)] = []) -> Result<AuthorizationRequest, AuthorizationRequest.Failure> {
        var pairs = [("client_id", client.clientID), ("redirect_uri", "https://rp.example/cb"), ("response_type", type),
                     ("scope", "openid email"), ("state", "s")]
        if let mode { pairs.append(("response_mode", mode)) }
        if let nonce { pairs.append(("nonce", nonce)) }
        return Result { () throws(AuthorizationRequest.Failure) in
            try AuthorizationRequest.validate(FormParameters(pairs + extra), client: client, allowPlainPKCE: false)
        }
    }

    /// The error code and the mode it is delivered in, for a refused request.
    static func refusal(_ result: Result<AuthorizationRequest, AuthorizationRequest.Failure>) -> (String, ResponseMode)? {
        if case .failure(.redirect(let error, _, let state, let mode)) = result, state == "s" { return (error.code, mode) }
        return nil
    }

    @Test("the six response types parse whatever the order of their words; anything else does not")
    func responseTypesParse() {
        #expect(ResponseType(parameter: "id_token code") == .codeIDToken)
        #expect(ResponseType(parameter: "token code id_token") == .codeIDTokenToken)
        #expect(ResponseType(parameter: "token id_token") == .idTokenToken)
        for bad in ["token", "", "code code", "none", "code id_token token x", "CODE"] {
            #expect(ResponseType(parameter: bad) == nil, "\(bad)")
        }
        #expect(ResponseType.allCases.count == 6)
        #expect(ResponseType.codeToken.issuesCode && ResponseType.codeToken.issuesAccessToken && !ResponseType.codeToken.issuesIDToken)
    }

    @Test("query is the default for code only; fragment for every type with a token; query never carries a token")
    func defaultModes() {
        for type in ResponseType.allCases {
            #expect(type.defaultMode == (type == .code ? .query : .fragment), "\(type)")
            #expect(ResponseMode.query.isAllowed(for: type) == (type == .code), "\(type)")
            #expect(ResponseMode.fragment.isAllowed(for: type) && ResponseMode.formPost.isAllowed(for: type))
        }
        // Errors: the requested mode if known and allowed, else the requested type's default.
        #expect(ResponseMode.forError(requestedMode: "form_post", responseType: "bogus") == .formPost)
        #expect(ResponseMode.forError(requestedMode: "query", responseType: "id_token") == .fragment)
        #expect(ResponseMode.forError(requestedMode: "jwt", responseType: "code") == .query)
        #expect(ResponseMode.forError(requestedMode: nil, responseType: "token") == .fragment)
        #expect(ResponseMode.forError(requestedMode: nil, responseType: nil) == .query)
    }

    @Test("an ID token in the front channel needs a nonce; a code alone or with a token does not")
    func nonceRequired() throws {
        for type in ResponseType.allCases {
            let result = Self.request(type.rawValue, nonce: nil)
            if type.issuesIDToken {
                let (code, mode) = try #require(Self.refusal(result), "\(type)")
                #expect(code == "invalid_request")
                #expect(mode == .fragment)
            } else {
                #expect((try? result.get()) != nil, "\(type)")
            }
        }
        #expect(Self.refusal(Self.request("id_token", nonce: ""))?.0 == "invalid_request")
    }

    @Test("a type the client is not registered for is unauthorized_client; query with tokens is invalid_request in the fragment")
    func refusals() throws {
        let codeOnly = Self.client(types: [.code])
        #expect(Self.refusal(Self.request("code id_token", client: codeOnly))! == ("unauthorized_client", .fragment))
        #expect(Self.refusal(Self.request("code id_token", mode: "form_post", client: codeOnly))! == ("unauthorized_client", .formPost))
        #expect(Self.refusal(Self.request("id_token token", mode: "query"))! == ("invalid_request", .fragment))
        #expect(Self.refusal(Self.request("code", mode: "web_message"))! == ("invalid_request", .query))
        #expect(Self.refusal(Self.request("token"))! == ("unsupported_response_type", .fragment))
        let valid = try Self.request("code id_token", mode: "form_post").get()
        #expect(valid.responseType == .codeIDToken && valid.responseMode == .formPost)
        #expect(try Self.request("id_token token").get().responseMode == .fragment)
    }

    @Test("PKCE binds codes only: a public client's implicit request needs none, its hybrid request does")
    func pkceOnlyForCodes() throws {
        let spa = Self.client(kind: .public)
        #expect((try? Self.request("id_token token", client: spa).get()) != nil)
        #expect(Self.refusal(Self.request("code id_token", client: spa))?.0 == "invalid_request")
    }

    @Test("responses: query keeps the URI's query, fragment uses #, form_post lists the fields; absent values left out")
    func responseEncoding() {
        let pairs: [(String, String?)] = [("code", "c 1"), ("id_token", nil), ("state", "a&b")]
        #expect(AuthorizationResponse.encode("https://rp.example/cb?x=1", pairs, mode: .query)
                == .redirect("https://rp.example/cb?x=1&code=c%201&state=a%26b"))
        #expect(AuthorizationResponse.encode("https://rp.example/cb", pairs, mode: .fragment)
                == .redirect("https://rp.example/cb#code=c%201&state=a%26b"))
        #expect(AuthorizationResponse.encode("https://rp.example/cb", pairs, mode: .formPost)
                == .formPost(action: "https://rp.example/cb", fields: [.init(name: "code", value: "c 1"), .init(name: "state", value: "a&b")]))
    }

    @Test("at_hash and c_hash: the left half of SHA-256 for RS256, ES256 and HS256, of SHA-512 for EdDSA")
    func halfHashes() {
        for algorithm in [SigningAlgorithm.rs256, .es256, .hs256] {
            #expect(algorithm.halfHash("abc") == "ungWv48Bz-pBQUDeXa4iIw")
        }
        // python3: base64url(hashlib.sha512(b"abc").digest()[:32])
        #expect(SigningAlgorithm.edDSA.halfHash("abc") == "3a81oZNherrMQXNJriBBMRLm-k6JqX6iCp7u5ktV05o")
        let claims = IDTokenClaims(issuer: "i", subject: "s", audience: "a", issuedAt: F.now, lifetime: .seconds(60),
                                   authTime: nil, nonce: "n", accessToken: "abc", code: "abc", algorithm: .edDSA)
        #expect(claims.at_hash == claims.c_hash && claims.c_hash == SigningAlgorithm.edDSA.halfHash("abc"))
        // The user's claims never override a protocol claim.
        var withClaims = claims
        withClaims.userClaims = ["email": .string("e@x"), "sub": .string("forged"), "nonce": .string("forged")]
        #expect(withClaims.members["sub"] == .string("s") && withClaims.members["nonce"] == .string("n"))
        #expect(withClaims.members["email"] == .string("e@x"))
    }

    @Test("registration: response types are canonical and need the authorization_code grant; HS256 needs a secret")
    func registration() throws {
        var r = ClientRegistration(name: "RP", redirectURIs: ["https://rp.example/cb"])
        r.responseTypes = ["id_token code", "token id_token"]
        r.idTokenAlgorithm = "EdDSA"
        let valid = try r.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false))
        #expect(valid.responseTypes == ["code id_token", "id_token token"])
        #expect(valid.signingAlgorithm == .edDSA)

        var machine = ClientRegistration(name: "M", redirectURIs: ["https://rp.example/cb"])
        machine.grantTypes = ["client_credentials"]
        #expect(try machine.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false)).responseTypes.isEmpty)
        machine.responseTypes = ["id_token token"]
        #expect(throws: ClientRegistration.Invalid.self) { try machine.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false)) }

        var spa = ClientRegistration(name: "S", redirectURIs: ["https://rp.example/cb"])
        spa.kind = .public
        spa.idTokenAlgorithm = "HS256"
        #expect(throws: ClientRegistration.Invalid.self) { try spa.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false)) }
        spa.idTokenAlgorithm = "PS256"
        #expect(throws: ClientRegistration.Invalid.self) { try spa.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false)) }
    }
}

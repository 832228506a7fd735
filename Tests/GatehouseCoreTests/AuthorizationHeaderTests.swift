import GatehouseCore
import Testing

@Suite("The Authorization header's scheme is matched without regard to case and its credentials trimmed")
struct AuthorizationHeaderTests {
    @Test("credentials after the scheme, case-insensitive, spaces and tabs trimmed", arguments: [
        ("Bearer abc", "abc"), ("bearer   abc \t", "abc"), ("BEARER\tabc", "abc"), ("BeArEr a b", "a b"),
        ("Bearer", ""), ("Bearer   ", ""),
    ])
    func matches(header: String, expected: String) {
        #expect(AuthorizationHeader.credentials(in: header, scheme: "bearer") == Substring(expected))
    }

    @Test("another scheme, or none, gives nil", arguments: [
        "Bearerabc", "Basic abc", "", "Bear", "Bëarer abc", " Bearer abc", "Bearer-x abc",
    ])
    func otherSchemes(header: String) {
        #expect(AuthorizationHeader.credentials(in: header, scheme: "bearer") == nil)
    }

    @Test("Basic credentials decode, and a lone or malformed Basic header is invalid_client")
    func basic() throws {
        let ok = try ClientCredentials.from(authorization: "basic  Y2xpZW50OnNlY3JldA== ", body: FormParameters())
        #expect(ok == ClientCredentials(clientID: "client", secret: "secret", method: .basic))
        for header in ["Basic", "Basic !!!", "Basic /w==", "Basic bm9jb2xvbg=="] {
            #expect(throws: OAuthError.invalidClient("malformed Basic credentials"), "\(header)") {
                _ = try ClientCredentials.from(authorization: header, body: FormParameters())
            }
        }
    }
}

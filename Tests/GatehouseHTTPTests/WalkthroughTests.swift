import Foundation
import GatehouseCore
import GatehouseHTTP
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import TestSupport
import Testing

@Suite("The README walk-through, over real HTTP")
struct WalkthroughTests {
    @Test("sign in, consent, exchange the code, verify the id_token, call userinfo three ways, refresh, expire")
    func walkthrough() async throws {
        try await TestProvider.with({ $0.tokenExpire = .seconds(3600) }) { op in
            try await op.createUser()
            let (client, secret) = try await op.createClient()
            try await op.app().test(.live) { http in
                let browser = Browser(http)
                // 1. The browser signs in and consents, and lands on the client with code and state.
                let login = try await browser.get(op.authorizeURI(client, extra: [("nonce", "walk-nonce")]))
                #expect(login.status == .ok)
                let consent = try await op.submitLogin(browser, on: login)
                #expect(consent.body.contains("Demo RP"))
                let landed = try await op.submitConsent(browser, on: consent)
                let location = try #require(landed.location)
                #expect(location.hasPrefix("http://example.org/?code="))
                let query = FormParameters.ofQuery(location)
                #expect(query["state"] == "123123")
                let code = try #require(query["code"])

                // 2. The client trades the code (client_secret_post, as in the curl command).
                let tokens = try await op.exchange(browser, code: code, client: client, secret: secret)
                #expect(tokens.status == .ok)
                #expect(tokens.json["token_type"] as? String == "bearer")
                #expect(tokens.json["expires_in"] as? Int == 3600)
                let access = try #require(tokens.json["access_token"] as? String)
                let refresh = try #require(tokens.json["refresh_token"] as? String)
                let idToken = try #require(tokens.json["id_token"] as? String)

                // The id_token verifies against /jwks, with jwt-kit and with an independent implementation.
                let jwks = try await browser.get("/jwks")
                let claims = try await JWTKeyCollection().add(jwksJSON: jwks.body).verify(idToken, as: IDTokenClaims.self)
                #expect(claims.nonce == "walk-nonce")
                try verifyWithPython(jwks: jwks.body, idToken: idToken, issuer: op.settings.issuer, audience: client.clientID,
                                     nonce: "walk-nonce", accessToken: access)

                // 3. userinfo answers the claims, whichever way the token comes.
                browser.cookie = nil
                let viaQuery = try await browser.get("/userinfo/?access_token=\(access)")
                #expect(viaQuery.status == .ok)
                #expect(viaQuery.body.contains("\"email\":\"alice@example.com\""))
                let headerClaims = try await op.userInfo(browser, token: access).body
                #expect(headerClaims == viaQuery.body)
                let postedClaims = try await browser.post("/userinfo", form: [("access_token", access)]).body
                #expect(postedClaims == viaQuery.body)

                // 4. A refresh gives a new access token; an expired access token gets 401.
                let refreshed = try await op.tokenRequest(browser, [
                    ("grant_type", "refresh_token"), ("refresh_token", refresh),
                    ("client_id", client.clientID), ("client_secret", secret!),
                ])
                let newAccess = try #require(refreshed.json["access_token"] as? String)
                #expect(newAccess != access)
                op.clock.advance(by: 3601)
                let oldTokenStatus = try await op.userInfo(browser, token: access).status
                #expect(oldTokenStatus == .unauthorized)
                let newTokenStatus = try await op.userInfo(browser, token: newAccess).status
                #expect(newTokenStatus == .unauthorized)
            }
        }
    }

    /// Runs Tests/System/verify_id_token.py (joserfc). `make test` installs joserfc when it is missing.
    func verifyWithPython(jwks: String, idToken: String, issuer: String, audience: String, nonce: String, accessToken: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-jose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try jwks.write(to: dir.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)
        try idToken.write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // --name=value: base64url values may start with "-", which would read as an option.
        process.arguments = ["python3", Paths.root.appendingPathComponent("Tests/System/verify_id_token.py").path,
                             "--jwks=" + dir.appendingPathComponent("jwks.json").path,
                             "--token=" + dir.appendingPathComponent("token").path,
                             "--issuer=" + issuer, "--audience=" + audience, "--nonce=" + nonce, "--access-token=" + accessToken]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "independent verification failed: \(message)")
    }
}

import Foundation
import GatehouseCore
import GatehouseHTTP
import Hummingbird
import HummingbirdTesting
import Testing

/// A user carried over from django-oidc-provider signs in with their Django password.
@Suite("Django password hashes at sign-in")
struct DjangoPasswordSignInTests {
    @Test("a Django pbkdf2_sha256 password signs in through the login page, and is then stored as scrypt")
    func djangoHashUpgradedAtSignIn() async throws {
        try await TestProvider.with { op in
            try await op.createUser()
            // hashlib.pbkdf2_hmac("sha256", password, b"Zq3XvBfJ1kLm", 720000), as Django 5.0 stores it.
            let django = "pbkdf2_sha256$720000$Zq3XvBfJ1kLm$4FQccfIc/ojue09ZUJnZgd3eu1sRBC2G9LeQ/6SKEQM="
            try await op.pool.withConnection { conn in
                try conn.query("UPDATE users SET password_hash = $1 WHERE username = 'alice'", django)
            }
            let (client, _) = try await op.createClient { $0.requireConsent = false }
            try await op.app().test(.router) { http in
                let wrong = Browser(http)
                let refused = try await op.submitLogin(wrong, on: try await wrong.get(op.authorizeURI(client)), password: "wrong password")
                #expect(refused.status != .found)
                let browser = Browser(http)
                let signedIn = try await op.submitLogin(browser, on: try await browser.get(op.authorizeURI(client)))
                #expect(signedIn.status == .found)
                #expect(FormParameters.ofQuery(signedIn.location ?? "")["code"] != nil)
            }
            let stored = try await op.pool.withConnection { conn in
                try conn.query("SELECT password_hash FROM users WHERE username = 'alice'").first!.decode(String.self, at: 0)
            }
            #expect(stored.hasPrefix("$scrypt$"))
            // The new hash still takes the same password.
            #expect(try await op.deps.users.authenticate(username: "alice", password: TestProvider.password) != nil)
        }
    }
}

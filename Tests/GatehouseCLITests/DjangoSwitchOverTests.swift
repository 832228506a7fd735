import Foundation
import TestSupport
import Testing

/// The switch-over from django-oidc-provider, end to end: a real
/// django-oidc-provider deployment (bench/peer) signs users in and hands out
/// tokens, `gatehouse import django-oidc-provider` carries it over, and
/// everything its relying parties hold keeps working against `gatehouse
/// serve` under the same issuer URL; `gatehouse selftest` walks it.
@Suite("switch-over from django-oidc-provider")
struct DjangoSwitchOverTests {
    @Test("old secret, refresh token, access token, sub and kid keep working; Django passwords sign in and become scrypt; a second import changes nothing; selftest passes, and fails on a wrong secret")
    func importAndSelftest() async throws {
        let outcome = try await PythonCheck.run("check_django_import.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }
}

/// The admin console and the account page in headless Chromium, end to end.
@Suite("admin console in a browser")
struct ConsoleBrowserTests {
    @Test("an admin enrols TOTP and signs in with it; a created client's secret works at /token; disabling a user and revoking a grant stop their tokens; a user withdraws an application; a non-admin gets 403; the audit log lists it all")
    func console() async throws {
        let outcome = try await PythonCheck.run("check_console_browser.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }
}

import Foundation
import TestSupport
import Testing

/// The front channel as relying parties see it: a real `gatehouse serve`,
/// every ID token checked by an independent JOSE library (joserfc), the
/// hybrid and implicit flows run by a real RP library (Authlib), and the
/// form_post page in a real browser, and Authlib introspecting and revoking.
@Suite("relying-party libraries against the server")
struct RelyingPartyLibraryTests {
    @Test("every response type × mode × algorithm verifies with joserfc; Authlib completes a hybrid and an implicit flow")
    func responseTypesWithIndependentLibraries() async throws {
        let outcome = try await PythonCheck.run("check_response_types.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }

    @Test("form_post in headless Chromium: the page's own script posts the response to the client, the button does without scripts")
    func formPostInABrowser() async throws {
        let outcome = try await PythonCheck.run("check_form_post_browser.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }

    @Test("introspection and revocation by hand and through Authlib's introspect_token and revoke_token")
    func introspectionAndRevocation() async throws {
        let outcome = try await PythonCheck.run("check_introspection.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }
}

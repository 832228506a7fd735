import Foundation
import TestSupport
import Testing

/// The front channel as relying parties see it: a real `gatehouse serve`,
/// every ID token checked by an independent JOSE library (joserfc) and the
/// hybrid and implicit flows run by a real RP library (Authlib).
@Suite("relying-party libraries against the server")
struct RelyingPartyLibraryTests {
    @Test("every response type × mode × algorithm verifies with joserfc; Authlib completes a hybrid and an implicit flow")
    func responseTypesWithIndependentLibraries() async throws {
        let outcome = try await PythonCheck.run("check_response_types.py", database: try await TestDatabase.create())
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.summary.hasSuffix("failures: 0"), "\(outcome.summary)")
        print(outcome.summary)
    }
}

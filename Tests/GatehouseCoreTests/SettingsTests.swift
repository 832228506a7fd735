import GatehouseCore
import Testing

@Suite("Settings come from the environment and bad values stop the start")
struct SettingsTests {
    @Test("defaults match django-oidc-provider's")
    func defaults() throws {
        let s = try Settings.load(from: [:])
        #expect(s.tokenExpire == .seconds(3600))
        #expect(s.codeExpire == .seconds(600))
        #expect(s.idTokenExpire == .seconds(600))
        #expect(s.port == 8000)
        #expect(s.issuer == "http://localhost:8000")
        #expect(s.databaseURL == nil)
        #expect(s.sweepInterval == .seconds(300))
        #expect(s.sweepBatchSize == 1000)
        #expect(s.sweepPauseRatio == 1)
        #expect(s.statementTimeout == .seconds(10))
        #expect(s.idleTimeout == .seconds(60))
    }

    @Test("values are read by their django-oidc-provider names")
    func reads() throws {
        let s = try Settings.load(from: [
            "OIDC_TOKEN_EXPIRE": "60", "OIDC_ISSUER": "https://id.example.com/", "PORT": "9000",
            "DATABASE_URL": "postgresql:///x", "OIDC_SKIP_CONSENT_EXPIRE": "7", "GATEHOUSE_SQL_DIR": "/srv/sql",
            "OIDC_SWEEP_BATCH_SIZE": "250", "GATEHOUSE_DB_STATEMENT_TIMEOUT": "2.5", "GATEHOUSE_IDLE_TIMEOUT": "15",
            "OIDC_SWEEP_PAUSE_RATIO": "0.5",
        ])
        #expect(s.sweepPauseRatio == 0.5)
        #expect(s.sweepBatchSize == 250)
        #expect(s.statementTimeout == .seconds(2.5))
        #expect(s.idleTimeout == .seconds(15))
        #expect(s.tokenExpire == .seconds(60))
        #expect(s.issuer == "https://id.example.com")
        #expect(s.issuerIsHTTPS)
        #expect(s.port == 9000)
        #expect(s.databaseURL == "postgresql:///x")
        #expect(s.skipConsentExpire == .days(7))
        #expect(s.sqlDirectory == "/srv/sql")
    }

    @Test("a bad value is refused with a message naming the variable")
    func badValues() {
        for (name, value) in [("OIDC_TOKEN_EXPIRE", "soon"), ("OIDC_TOKEN_EXPIRE", "-5"), ("PORT", "70000"),
                              ("OIDC_ISSUER", "ftp://x"), ("OIDC_ISSUER", "https://x/?q=1"),
                              ("OIDC_SWEEP_PAUSE_RATIO", "-1"), ("OIDC_SWEEP_PAUSE_RATIO", "often")] {
            do {
                _ = try Settings.load(from: [name: value])
                Issue.record("\(name)=\(value) was accepted")
            } catch let error as Settings.Invalid {
                #expect(error.variable == name)
                #expect(error.description.hasPrefix(name))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}

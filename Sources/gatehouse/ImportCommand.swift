import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Carry another provider's data over.",
        subcommands: [DjangoOIDCProvider.self]
    )

    struct DjangoOIDCProvider: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "django-oidc-provider",
            abstract: "Import users, clients, signing keys, consents and live tokens from a django-oidc-provider 0.8/0.9 database.",
            discussion: """
                Reads the oidc_provider_* tables and Django's auth_user (read-only, one snapshot) and writes
                Gatehouse's tables (DATABASE_URL) in one transaction: all or nothing. Running it again updates what
                it imported before and duplicates nothing; it never undoes a password set or re-hashed here, and
                never brings back a key, consent or token rotated, withdrawn or revoked here. Ends with a report:
                counts per kind and every item it could not carry over, with the reason. See docs/MIGRATING.md.
                """
        )

        @Option(name: .customLong("database-url"), help: "The django-oidc-provider database (a libpq URI or key=value string).")
        var databaseURL: String
        @Flag(help: "Do everything and roll it back: print what would be done, write nothing.") var dryRun = false
        @Flag(help: "Print the report as one JSON object.") var json = false
        @Option(help: "Take each user's sub from this auth_user column instead of str(id).") var subColumn: String?
        @Option(help: "A CSV file of `django_user_id,sub` lines; users not listed keep str(id).") var subMap: String?
        @Option(help: "Django's MEDIA_URL, to carry clients' logos over as URLs.") var mediaURL: String?
        @Flag(help: "Carry plain-http redirect URIs on hosts other than loopback over (refused otherwise).")
        var allowInsecureRedirect = false

        func validate() throws {
            if subColumn != nil && subMap != nil { throw ValidationError("give --sub-column or --sub-map, not both") }
        }

        func run() async throws {
            let box = try SecretBox(secret: try KeysCommand.requiredSecret())
            var subjects = DjangoSourceReader.Subjects.userID
            if let subColumn { subjects = .column(subColumn) }
            if let subMap {
                let text: String
                do { text = try String(contentsOfFile: subMap, encoding: .utf8) } catch {
                    throw CLIError("cannot read --sub-map \(subMap): \(error.localizedDescription)")
                }
                do { subjects = .map(try DjangoImport.subjectMap(csv: text)) } catch {
                    throw CLIError("--sub-map \(subMap): \(error)")
                }
            }
            let reader = DjangoSourceReader(conninfo: databaseURL, subjects: subjects)
            let source: DjangoSource
            do {
                source = try await reader.read()
            } catch let unreadable as DjangoSourceReader.Unreadable {
                throw CLIError(unreadable.description)
            }
            let dryRun = self.dryRun, mediaURL = self.mediaURL, insecure = allowInsecureRedirect
            let report = try await CommandContext.with { context in
                let now = Date()
                let defined = try await PGScopeStore(pool: context.pool).list().map(\.name)
                let plan = DjangoImport.plan(source, options: .init(
                    now: now, refreshTokenLifetime: context.settings.refreshTokenExpire, mediaURL: mediaURL,
                    redirectPolicy: RedirectURIPolicy(allowsInsecureHTTP: insecure), definedScopes: defined))
                let report = try await PGImportStore(pool: context.pool, box: box).write(plan, dryRun: dryRun, now: now)
                if !dryRun {
                    var details = Dictionary(uniqueKeysWithValues: ImportReport.Kind.written.map { kind in
                        let c = report.counts[kind] ?? .init()
                        return (kind.rawValue, "\(c.created) created, \(c.updated) updated, \(c.unchanged) unchanged")
                    })
                    details["not_carried_over"] = String(report.notCarriedOver.count)
                    try await context.audit(.imported, target: nil, details: details)
                }
                return report
            }
            print(json ? report.json : report.text)
        }
    }
}

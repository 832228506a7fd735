import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseStore

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Register relying parties and manage their secrets.",
        subcommands: [Create.self, List.self, Show.self, RotateSecret.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client. Prints its client_id and, for a confidential client, its secret (shown once)."
        )

        @Option var name: String
        @Option(name: .customLong("redirect-uri"), help: "Allowed redirect URI, matched exactly (repeatable; required unless --resource-server).")
        var redirectURIs: [String] = []
        @Option(name: .customLong("post-logout-redirect-uri"), help: "Allowed post-logout redirect URI (repeatable).")
        var postLogoutRedirectURIs: [String] = []
        @Flag(help: "A public client (browser or native app): no secret, PKCE required.")
        var `public` = false
        @Option(name: .customLong("grant-type"), help: "authorization_code, refresh_token or client_credentials (repeatable; default: authorization_code and refresh_token).")
        var grantTypes: [String] = []
        @Option(name: .customLong("response-type"),
                help: "code, id_token, \"id_token token\", \"code id_token\", \"code token\" or \"code id_token token\" (repeatable; default: code).")
        var responseTypes: [String] = []
        @Option(name: .customLong("scope"), help: "Scope the client may ask for (repeatable; default: openid profile email phone address offline_access).")
        var scopes: [String] = []
        @Flag(name: .customLong("no-consent"), help: "Do not ask users for consent for this client (prompt=consent still asks).")
        var noConsent = false
        @Option(name: .customLong("token-endpoint-auth-method"),
                help: "client_secret_basic or client_secret_post: accept only this method at /token (default: either).")
        var authMethod: String?
        @Flag(name: .customLong("allow-insecure-redirect"),
              help: "Accept plain-http redirect URIs on hosts other than loopback (development only).")
        var allowInsecureRedirect = false
        @Option(name: .customLong("id-token-alg"),
                help: "RS256 (default), ES256, EdDSA or HS256 (signed with the client's secret, which is then kept sealed).")
        var idTokenAlgorithm: String?
        @Flag(name: .customLong("resource-server"),
              help: "A resource server (an API): may introspect every client's tokens; needs no redirect URI.")
        var resourceServer = false
        @Option(name: .customLong("access-token-format"),
                help: "opaque (default) or jwt (RFC 9068: signed with the active key, verifiable offline from /jwks).")
        var accessTokenFormat: String?
        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            var registration = ClientRegistration(name: name, redirectURIs: redirectURIs)
            registration.postLogoutRedirectURIs = postLogoutRedirectURIs
            registration.kind = self.public ? .public : .confidential
            registration.grantTypes = grantTypes
            registration.responseTypes = responseTypes
            registration.scopes = scopes
            registration.requireConsent = !noConsent
            registration.authMethod = authMethod
            registration.idTokenAlgorithm = idTokenAlgorithm
            registration.resourceServer = resourceServer
            registration.accessTokenFormat = accessTokenFormat
            // https only, whatever this machine's OIDC_ISSUER says: the CLI's
            // environment is not necessarily the server's.
            let valid = try registration.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: allowInsecureRedirect))
            let (client, secret) = try await CommandContext.with { context in
                let created = try await context.clients.create(valid)
                try await context.audit(.clientCreated, target: "client:\(created.client.clientID)", details: ["name": created.client.name])
                return created
            }
            if json {
                print(try ClientJSON(client, secret: secret).encoded())
            } else {
                print("client_id: \(client.clientID)")
                if let secret {
                    print("client_secret: \(secret)")
                    printWarning("the client secret is shown only now; store it safely")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @Flag(help: "Print a JSON array.") var json = false

        func run() async throws {
            let clients = try await CommandContext.with { try await $0.clients.list() }
            if json {
                print(try ClientJSON.encode(clients.map { ClientJSON($0, secret: nil) }))
                return
            }
            print(["CLIENT_ID", "TYPE", "NAME", "REDIRECT URIS"].joined(separator: "\t"))
            for c in clients {
                print([c.clientID, c.kind.rawValue, c.name, c.redirectURIs.joined(separator: " ")].joined(separator: "\t"))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client as JSON (never its secret).")
        @Argument var clientID: String

        func run() async throws {
            guard let client = try await CommandContext.with({ try await $0.clients.find(clientID: clientID) }) else {
                throw StoreError.notFound("client '\(clientID)'")
            }
            print(try ClientJSON(client, secret: nil).encoded())
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give a confidential client a new secret; the old one stops working at once."
        )
        @Argument var clientID: String

        func run() async throws {
            let secret = try await CommandContext.with { context in
                let secret = try await context.clients.rotateSecret(clientID: clientID)
                try await context.audit(.clientSecretRotated, target: "client:\(clientID)")
                return secret
            }
            print("client_secret: \(secret)")
            printWarning("the client secret is shown only now; store it safely")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client and everything issued to it.")
        @Argument var clientID: String

        func run() async throws {
            let found = try await CommandContext.with { context in
                try await context.audited(.clientDeleted, target: "client:\(clientID)") { try await context.clients.delete(clientID: clientID) }
            }
            guard found else { throw StoreError.notFound("client '\(clientID)'") }
            print("deleted client \(clientID)")
        }
    }
}

/// The JSON shape `client create --json`, `client list --json` and `client show` print.
struct ClientJSON: Encodable {
    let client_id: String
    let client_secret: String?
    let name: String
    let client_type: String
    let redirect_uris: [String]
    let post_logout_redirect_uris: [String]
    let response_types: [String]
    let grant_types: [String]
    let scope: String
    let require_consent: Bool
    let reuse_consent: Bool
    /// The one method enforced at /token, or null when either secret method is accepted.
    let token_endpoint_auth_method: String?
    let token_endpoint_auth_methods: [String]
    /// The client registration field (OIDC Dynamic Client Registration §2).
    let id_token_signed_response_alg: String
    /// May introspect every client's tokens.
    let resource_server: Bool
    let access_token_format: String
    let created_at: String

    init(_ c: Client, secret: String?) {
        client_id = c.clientID
        client_secret = secret
        name = c.name
        client_type = c.kind.rawValue
        redirect_uris = c.redirectURIs
        post_logout_redirect_uris = c.postLogoutRedirectURIs
        response_types = c.responseTypes.map(\.rawValue)
        grant_types = c.grantTypes.map(\.rawValue)
        scope = c.scopes.joined(separator: " ")
        require_consent = c.requireConsent
        reuse_consent = c.reuseConsent
        token_endpoint_auth_method = c.tokenEndpointAuthMethod
        token_endpoint_auth_methods = c.allowedAuthMethods
        id_token_signed_response_alg = c.idTokenAlgorithm.rawValue
        resource_server = c.isResourceServer
        access_token_format = c.accessTokenFormat.rawValue
        created_at = ISO8601DateFormatter().string(from: c.createdAt)
    }

    func encoded() throws -> String { try Self.encode(self) }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

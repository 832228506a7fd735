import Foundation
import GatehouseCore
import GatehouseStore
import PGClient
import TestSupport
import Testing

@Suite("Clients are stored with secret digests, never secrets")
struct ClientStoreTests {
    let db: TestDatabase
    let pool: WorkerPool
    let clients: PGRelyingPartyStore

    init() async throws {
        db = try await TestDatabase.create()
        pool = db.makePool(size: 2)
        clients = PGRelyingPartyStore(pool: pool)
    }

    func register(_ kind: Client.Kind = .confidential) throws -> ClientRegistration {
        var r = ClientRegistration(name: "Demo", redirectURIs: ["https://rp.example/cb", "http://localhost:3000/cb"])
        r.kind = kind
        return try r.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false))
    }

    @Test("a created client is found by client_id with everything it was registered with")
    func createAndFind() async throws {
        let (client, secret) = try await clients.create(try register())
        #expect(secret != nil)
        let found = try #require(try await clients.find(clientID: client.clientID))
        #expect(found == client)
        #expect(found.redirectURIs == ["https://rp.example/cb", "http://localhost:3000/cb"])
        #expect(found.grantTypes == [.authorizationCode, .refreshToken])
        #expect(found.kind == .confidential)
        let unknownClient = try await clients.find(clientID: "nope")
        #expect(unknownClient == nil)
        await pool.shutdown()
    }

    /// Whether `secret` authenticates `clientID` as /token checks it:
    /// through `ClientAuthentication` against the stored digest.
    func authenticates(_ clientID: String, _ secret: String) async throws -> Bool {
        let client = try await clients.find(clientID: clientID)
        let digest = try db.connect().query("SELECT secret_digest FROM clients WHERE client_id = $1", clientID)
            .first?.decode([UInt8]?.self, at: 0)
        let auth = ClientAuthentication(ClientCredentials(clientID: clientID, secret: secret, method: .basic))
        return (try? auth.verify(client, storedDigest: digest)) != nil
    }

    @Test("the secret verifies; a wrong secret or unknown client does not")
    func verifySecret() async throws {
        let (client, secret) = try await clients.create(try register())
        #expect(try await authenticates(client.clientID, try #require(secret)))
        #expect(try await authenticates(client.clientID, "wrong") == false)
        #expect(try await authenticates("unknown", try #require(secret)) == false)
        await pool.shutdown()
    }

    @Test("the database holds the SHA-256 digest of the secret and never the secret")
    func digestNotSecret() async throws {
        let (client, secret) = try await clients.create(try register())
        let plain = try #require(secret)
        let row = try await pool.withConnection { conn in
            try conn.query("SELECT secret_digest, row_to_json(clients)::text FROM clients WHERE client_id = $1", client.clientID).first!
        }
        #expect(try row.decode([UInt8].self, at: 0) == SecretToken.digest(of: plain))
        #expect(try !row.decode(String.self, at: 1).contains(plain))
        await pool.shutdown()
    }

    @Test("a public client has no secret and cannot rotate one")
    func publicClient() async throws {
        let (client, secret) = try await clients.create(try register(.public))
        #expect(secret == nil)
        #expect(client.tokenEndpointAuthMethod == "none")
        await #expect(throws: StoreError.self) { _ = try await clients.rotateSecret(clientID: client.clientID) }
        await pool.shutdown()
    }

    @Test("rotating a secret retires the old one at once")
    func rotate() async throws {
        let (client, secret) = try await clients.create(try register())
        let fresh = try await clients.rotateSecret(clientID: client.clientID)
        #expect(fresh != secret)
        #expect(try await authenticates(client.clientID, fresh))
        #expect(try await authenticates(client.clientID, try #require(secret)) == false)
        await #expect(throws: StoreError.notFound("client 'missing'")) { _ = try await clients.rotateSecret(clientID: "missing") }
        await pool.shutdown()
    }

    @Test("concurrent secret rotations leave exactly one working secret")
    func concurrentRotations() async throws {
        let (client, _) = try await clients.create(try register())
        let clients = self.clients
        let secrets = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 { group.addTask { try await clients.rotateSecret(clientID: client.clientID) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var working = 0
        for secret in secrets where try await authenticates(client.clientID, secret) { working += 1 }
        #expect(working == 1)
        await pool.shutdown()
    }

    @Test("deleting a client removes it; deleting again reports it missing")
    func delete() async throws {
        let (client, _) = try await clients.create(try register())
        let listedIDs = try await clients.list().map(\.clientID)
        #expect(listedIDs == [client.clientID])
        #expect(try await clients.delete(clientID: client.clientID))
        let deletedAgain = try await clients.delete(clientID: client.clientID)
        #expect(deletedAgain == false)
        #expect(try await clients.list().isEmpty)
        await pool.shutdown()
    }
}

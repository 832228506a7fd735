import Foundation
import GatehouseCore
import JWTKit

extension IDTokenClaims: JWTPayload {
    /// Expiry and audience are the relying party's to check; Gatehouse only
    /// verifies its own signature (the id_token_hint at /authorize and /end-session).
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs ID tokens with the active key of each client's algorithm and
/// publishes the JWKS. One value per set of published keys (`KeyRing`
/// swaps it when a rotation happens).
///
/// Keys are parsed once, when loaded, and kept: parsing a PEM per request is
/// what limits django-oidc-provider to tens of requests per second.
public struct IDTokenSigner: Sendable {
    /// Verifies tokens Gatehouse signed with a published key.
    let keys: JWTKeyCollection
    /// The active key of each asymmetric algorithm, off the key collection's actor.
    let signers: [SigningAlgorithm: JWSSigner]
    /// The same keys with `typ: at+jwt`, for JWT access tokens (RFC 9068 §2.1).
    let accessTokenSigners: [SigningAlgorithm: JWSSigner]
    /// Opens HS256 clients' sealed secrets.
    let box: SecretBox
    /// `{"keys":[…]}`, serialised once.
    public let jwksJSON: String
    /// The published keys and their states: what a reload compares.
    public let fingerprint: [String]

    public struct NoActiveKey: Error, CustomStringConvertible {
        public let algorithm: SigningAlgorithm
        public var description: String { "no active \(algorithm.rawValue) signing key" }
    }

    public init(storedKeys: [StoredSigningKey], box: SecretBox) async throws {
        var signers: [SigningAlgorithm: JWSSigner] = [:]
        for stored in storedKeys where stored.state == .active {
            guard let algorithm = SigningAlgorithm(rawValue: stored.algorithm), signers[algorithm] == nil else { continue }
            signers[algorithm] = try JWSSigner(algorithm: algorithm, kid: stored.kid,
                                               privateKey: try SigningKeyMaterial.unseal(stored.sealedPrivateKey, with: box))
        }
        guard signers[.rs256] != nil else { throw NoActiveKey(algorithm: .rs256) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let jwks = String(decoding: try encoder.encode(["keys": storedKeys.map(\.publicJWK)]), as: UTF8.self)
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: jwks)
        self.keys = keys
        self.signers = signers
        self.accessTokenSigners = signers.mapValues { $0.withType("at+jwt") }
        self.box = box
        self.jwksJSON = jwks
        self.fingerprint = storedKeys.map { "\($0.kid):\($0.state.rawValue)" }.sorted()
    }

    /// Signs `claims` for `client` with its algorithm: the active key, or for
    /// HS256 the client's own secret.
    public func sign(_ claims: IDTokenClaims, for client: Client) throws -> String {
        try signer(for: client).sign(claims.members)
    }

    func signer(for client: Client) throws -> JWSSigner {
        guard client.idTokenAlgorithm == .hs256 else {
            guard let signer = signers[client.idTokenAlgorithm] else { throw NoActiveKey(algorithm: client.idTokenAlgorithm) }
            return signer
        }
        guard let sealed = client.sealedSecret else { throw NoActiveKey(algorithm: .hs256) }
        return JWSSigner.hs256(clientSecret: String(decoding: try box.open(sealed), as: UTF8.self))
    }

    /// An RFC 9068 access token for `request`: signed with the active key of
    /// the client's algorithm, or RS256 for an HS256 client (a resource
    /// server must verify it from `/jwks`, without the client's secret).
    public func signAccessToken(_ request: AccessTokenRequest, issuer: String) throws -> String {
        let algorithm = request.client.idTokenAlgorithm.isAsymmetric ? request.client.idTokenAlgorithm : .rs256
        guard let signer = accessTokenSigners[algorithm] else { throw NoActiveKey(algorithm: algorithm) }
        return try signer.sign(request.jwtClaims(issuer: issuer, jti: SecretToken.generate(byteCount: 16)))
    }

    /// The claims of a token Gatehouse signed, or nil when the signature is
    /// not ours. An HS256 token is checked with the secret of the client it
    /// names as its audience, when that client is an HS256 client.
    public func verifiedClaims(_ token: String, clients: any ClientStore) async -> IDTokenClaims? {
        guard Self.headerAlgorithm(of: token) == SigningAlgorithm.hs256.rawValue else {
            return try? await keys.verify(token, as: IDTokenClaims.self)
        }
        guard let unverified = try? await keys.unverified(token, as: IDTokenClaims.self),
              let client = try? await clients.find(clientID: unverified.aud), client.idTokenAlgorithm == .hs256,
              let sealed = client.sealedSecret, let secret = try? box.open(sealed)
        else { return nil }
        let hmac = JWTKeyCollection()
        await hmac.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try? await hmac.verify(token, as: IDTokenClaims.self)
    }

    /// The `alg` of a compact JWS's header, without trusting anything else in it.
    static func headerAlgorithm(of token: String) -> String? {
        guard let first = token.split(separator: ".", omittingEmptySubsequences: false).first,
              let data = Base64URL.decode(String(first)),
              let header = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any]
        else { return nil }
        return header["alg"] as? String
    }
}

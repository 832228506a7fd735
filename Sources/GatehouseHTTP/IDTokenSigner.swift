import Foundation
import GatehouseCore
import JWTKit

extension IDTokenClaims: JWTPayload {
    /// Expiry and audience are the relying party's to check; Gatehouse only
    /// verifies its own signature (end-session's id_token_hint).
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs ID tokens with the active key and publishes the JWKS.
///
/// Keys are parsed once, at start, and kept: parsing a PEM per request is
/// what limits django-oidc-provider to tens of requests per second.
public struct IDTokenSigner: Sendable {
    /// Verifies tokens Gatehouse signed (any published key).
    let keys: JWTKeyCollection
    /// Signs with the active key, off the key collection's actor.
    let signer: RS256Signer
    /// `{"keys":[…]}`, serialised once.
    public let jwksJSON: String

    public struct NoActiveKey: Error, CustomStringConvertible {
        public var description: String { "no active RS256 signing key" }
    }

    public init(storedKeys: [StoredSigningKey], box: SecretBox) async throws {
        let keys = JWTKeyCollection()
        var active: RS256Signer?
        for stored in storedKeys where stored.algorithm == "RS256" {
            let pem = try SigningKeyMaterial.unsealPEM(stored.sealedPrivateKey, with: box)
            let key = try Insecure.RSA.PrivateKey(pem: pem)
            await keys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: stored.kid))
            if stored.state == .active && active == nil { active = try RS256Signer(pem: pem, kid: stored.kid) }
        }
        guard let active else { throw NoActiveKey() }
        self.keys = keys
        self.signer = active
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let jwks = ["keys": storedKeys.map(\.publicJWK)]
        self.jwksJSON = String(decoding: try encoder.encode(jwks), as: UTF8.self)
    }

    public func sign(_ claims: IDTokenClaims) async throws -> String {
        try signer.sign(claims.members)
    }

    /// The claims of a token Gatehouse signed, or nil when the signature is not ours.
    public func verifiedClaims(_ token: String) async -> IDTokenClaims? {
        try? await keys.verify(token, as: IDTokenClaims.self)
    }
}

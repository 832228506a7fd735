import Crypto
import Foundation
import _CryptoExtras

/// Signs compact JWS tokens with RS256 (RFC 7515, RFC 7518 §3.3).
///
/// A plain value, so signatures run in parallel on every thread that asks:
/// jwt-kit's key collection is an actor, and signing through it put every
/// ID token in one line.
public struct RS256Signer: Sendable {
    let key: _RSA.Signing.PrivateKey
    /// Base64url of the protected header, computed once.
    let encodedHeader: String

    public init(pem: String, kid: String) throws {
        key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        encodedHeader = Base64URL.encode(Array(JSONText.object([
            "alg": .string("RS256"), "kid": .string(kid), "typ": .string("JWT"),
        ]).utf8))
    }

    public func sign(_ claims: [String: ClaimValue]) throws -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(Array(JSONText.object(claims).utf8))
        let signature = try key.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

extension IDTokenClaims {
    /// The claims as JSON members, absent optionals left out.
    public var members: [String: ClaimValue] {
        var m: [String: ClaimValue] = [
            "iss": .string(iss), "sub": .string(sub), "aud": .string(aud), "exp": .number(exp), "iat": .number(iat),
        ]
        m["auth_time"] = auth_time.map(ClaimValue.number)
        m["nonce"] = nonce.map(ClaimValue.string)
        m["at_hash"] = at_hash.map(ClaimValue.string)
        return m
    }
}

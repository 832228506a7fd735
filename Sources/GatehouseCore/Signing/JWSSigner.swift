import Crypto
import Foundation
import _CryptoExtras

/// Signs compact JWS tokens (RFC 7515) with one key of one algorithm.
///
/// A plain value, so signatures run in parallel on every thread that asks:
/// jwt-kit's key collection is an actor, and signing through it put every
/// ID token in one line.
public struct JWSSigner: Sendable {
    enum Key: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case hmac(SymmetricKey)
    }

    public let algorithm: SigningAlgorithm
    /// The published key's id; nil for HS256 (the key is the client's secret).
    public let kid: String?
    let key: Key
    /// Base64url of the protected header, computed once.
    let encodedHeader: String

    init(algorithm: SigningAlgorithm, kid: String?, key: Key, type: String = "JWT") {
        self.algorithm = algorithm
        self.kid = kid
        self.key = key
        var header: [String: ClaimValue] = ["alg": .string(algorithm.rawValue), "typ": .string(type)]
        header["kid"] = kid.map(ClaimValue.string)
        encodedHeader = Base64URL.encode(Array(JSONText.object(header).utf8))
    }

    /// A signer for a stored private key (the bytes `SigningKeyMaterial` sealed).
    public init(algorithm: SigningAlgorithm, kid: String, privateKey: [UInt8]) throws {
        switch algorithm {
        case .rs256:
            self.init(algorithm: algorithm, kid: kid,
                      key: .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: String(decoding: privateKey, as: UTF8.self))))
        case .es256:
            self.init(algorithm: algorithm, kid: kid, key: .p256(try P256.Signing.PrivateKey(rawRepresentation: privateKey)))
        case .edDSA:
            self.init(algorithm: algorithm, kid: kid, key: .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey)))
        case .hs256:
            throw SigningKeyMaterial.Unsupported(algorithm: algorithm)
        }
    }

    /// The same key with another `typ` in the header (RFC 9068 access tokens are `at+jwt`).
    public func withType(_ type: String) -> JWSSigner {
        JWSSigner(algorithm: algorithm, kid: kid, key: key, type: type)
    }

    /// HS256 with a client's secret: the key is the secret's UTF-8 octets (OIDC Core §10.1).
    public static func hs256(clientSecret: String) -> JWSSigner {
        JWSSigner(algorithm: .hs256, kid: nil, key: .hmac(SymmetricKey(data: Data(clientSecret.utf8))))
    }

    public func sign(_ claims: [String: ClaimValue]) throws -> String {
        let signingInput = encodedHeader + "." + Base64URL.encode(Array(JSONText.object(claims).utf8))
        let input = Data(signingInput.utf8)
        let signature: [UInt8]
        switch key {
        case .rsa(let key):
            signature = Array(try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .p256(let key):
            // JWS wants R || S (RFC 7518 §3.4), which is the raw representation.
            signature = Array(try key.signature(for: SHA256.hash(data: input)).rawRepresentation)
        case .ed25519(let key):
            signature = Array(try key.signature(for: input))
        case .hmac(let key):
            signature = Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
        }
        return signingInput + "." + Base64URL.encode(signature)
    }
}

extension IDTokenClaims {
    /// The claims as JSON members, absent optionals left out; `extra` (the
    /// user's claims, OIDC Core §5.4) never overrides a protocol claim.
    public var members: [String: ClaimValue] {
        var m: [String: ClaimValue] = [
            "iss": .string(iss), "sub": .string(sub), "aud": .string(aud), "exp": .number(exp), "iat": .number(iat),
        ]
        m["auth_time"] = auth_time.map(ClaimValue.number)
        m["nonce"] = nonce.map(ClaimValue.string)
        m["at_hash"] = at_hash.map(ClaimValue.string)
        m["c_hash"] = c_hash.map(ClaimValue.string)
        for (name, value) in userClaims where m[name] == nil { m[name] = value }
        return m
    }
}

import Crypto
import Foundation

/// The claims of an ID token (OIDC Core §2). Signed in GatehouseHTTP.
public struct IDTokenClaims: Codable, Sendable, Equatable {
    public var iss: String
    public var sub: String
    public var aud: String
    public var exp: Int
    public var iat: Int
    public var auth_time: Int?
    public var nonce: String?
    public var at_hash: String?

    public init(issuer: String, subject: String, audience: String, issuedAt: Date, lifetime: Duration,
                authTime: Date?, nonce: String?, accessToken: String?) {
        iss = issuer
        sub = subject
        aud = audience
        iat = Int(issuedAt.timeIntervalSince1970)
        exp = iat + lifetime.wholeSeconds
        auth_time = authTime.map { Int($0.timeIntervalSince1970) }
        self.nonce = nonce
        at_hash = accessToken.map(Self.accessTokenHash)
    }

    /// OIDC Core §3.1.3.6: "the base64url encoding of the left-most half of
    /// the hash of the octets of the ASCII representation of the access_token"
    /// (SHA-256 for RS256 and ES256).
    public static func accessTokenHash(_ token: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(token.utf8))).prefix(16))
    }
}

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
    public var c_hash: String?
    /// The user's claims, carried when no access token lets the client ask
    /// `/userinfo` (an `id_token`-only response, OIDC Core §5.4). Not decoded.
    public var userClaims: [String: ClaimValue] = [:]

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, iat, auth_time, nonce, at_hash, c_hash
    }

    /// - Parameters:
    ///   - accessToken: the access token issued with it, for `at_hash`.
    ///   - code: the code issued with it in the front channel, for `c_hash`.
    ///   - algorithm: the algorithm that will sign it, whose hash the two hashes use.
    public init(issuer: String, subject: String, audience: String, issuedAt: Date, lifetime: Duration,
                authTime: Date?, nonce: String?, accessToken: String?, code: String? = nil,
                algorithm: SigningAlgorithm = .rs256) {
        iss = issuer
        sub = subject
        aud = audience
        iat = Int(issuedAt.timeIntervalSince1970)
        exp = iat + lifetime.wholeSeconds
        auth_time = authTime.map { Int($0.timeIntervalSince1970) }
        self.nonce = nonce
        at_hash = accessToken.map(algorithm.halfHash)
        c_hash = code.map(algorithm.halfHash)
    }

    /// OIDC Core §3.1.3.6 for RS256: the left-most half of the SHA-256 of the token.
    public static func accessTokenHash(_ token: String) -> String {
        SigningAlgorithm.rs256.halfHash(token)
    }
}

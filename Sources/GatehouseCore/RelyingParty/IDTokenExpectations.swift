import Foundation

/// What a relying party must check in an ID token whose signature already
/// verified (OIDC Core §3.1.3.7), as `gatehouse selftest` checks a
/// deployment: the rules without any HTTP.
public struct IDTokenExpectations: Sendable {
    public var issuer: String
    public var clientID: String
    /// The nonce sent at /authorize; nil when none was.
    public var nonce: String?
    /// The access token issued with it, for `at_hash`.
    public var accessToken: String?
    public var now: Date
    /// Clock difference tolerated between the provider and this machine.
    public var leeway: TimeInterval = 120

    public init(issuer: String, clientID: String, nonce: String?, accessToken: String?, now: Date) {
        self.issuer = issuer
        self.clientID = clientID
        self.nonce = nonce
        self.accessToken = accessToken
        self.now = now
    }

    /// The claims a check reads.
    public struct Claims: Sendable {
        public var alg: String
        public var iss: String?
        public var sub: String?
        public var aud: [String]
        public var azp: String?
        public var exp: Date?
        public var iat: Date?
        public var nonce: String?
        public var atHash: String?

        public init(alg: String, iss: String?, sub: String?, aud: [String], azp: String?, exp: Date?, iat: Date?,
                    nonce: String?, atHash: String?) {
            self.alg = alg
            self.iss = iss
            self.sub = sub
            self.aud = aud
            self.azp = azp
            self.exp = exp
            self.iat = iat
            self.nonce = nonce
            self.atHash = atHash
        }
    }

    /// Every rule `claims` breaks, one line each; empty when it passes.
    public func problems(_ claims: Claims) -> [String] {
        var problems: [String] = []
        if claims.iss != issuer { problems.append("iss is \(quoted(claims.iss)), expected \(quoted(issuer))") }
        if (claims.sub ?? "").isEmpty { problems.append("sub is missing") }
        if !claims.aud.contains(clientID) { problems.append("aud \(claims.aud) does not contain the client_id \(quoted(clientID))") }
        if claims.aud.count > 1, claims.azp != clientID {
            problems.append("aud has several audiences but azp is \(quoted(claims.azp)), expected the client_id")
        }
        if let exp = claims.exp {
            if exp.addingTimeInterval(leeway) <= now { problems.append("exp is in the past") }
        } else {
            problems.append("exp is missing")
        }
        if let iat = claims.iat {
            if iat.addingTimeInterval(-leeway) > now { problems.append("iat is in the future") }
        } else {
            problems.append("iat is missing")
        }
        if let nonce, claims.nonce != nonce { problems.append("nonce is \(quoted(claims.nonce)), expected the one sent") }
        if let accessToken, let atHash = claims.atHash {
            if let algorithm = SigningAlgorithm(rawValue: claims.alg) {
                if algorithm.halfHash(accessToken) != atHash { problems.append("at_hash does not match the access token") }
            } else {
                problems.append("at_hash cannot be checked for alg \(claims.alg)")
            }
        }
        return problems
    }

    private func quoted(_ text: String?) -> String { text.map { "'\($0)'" } ?? "missing" }
}

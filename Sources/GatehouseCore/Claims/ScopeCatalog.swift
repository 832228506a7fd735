import Foundation

/// A scope the operator defined (`gatehouse scope create`): the claims it
/// releases and the sentence the consent page shows for it.
public struct ScopeDefinition: Sendable, Equatable {
    public let name: String
    public let description: String
    public let claims: [String]

    public init(name: String, description: String, claims: [String]) {
        self.name = name
        self.description = description
        self.claims = claims
    }

    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// Checks a definition before it is stored.
    public func validated() throws -> ScopeDefinition {
        guard ClientRegistration.isScopeToken(name), name.count <= 100 else {
            throw Invalid(reason: "'\(name)' is not a valid scope name (RFC 6749 §3.3, at most 100 characters)")
        }
        guard !ScopeCatalog.standardScopes.contains(name) else {
            throw Invalid(reason: "'\(name)' is a standard scope and cannot be redefined")
        }
        let text = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(text.count) else {
            throw Invalid(reason: "--description must be 1 to 300 characters: the consent page shows it")
        }
        guard !claims.isEmpty else { throw Invalid(reason: "a scope needs at least one --claim") }
        for claim in claims {
            do { try CustomClaims.checkName(claim) } catch let error as CustomClaims.Invalid { throw Invalid(reason: error.reason) }
        }
        var seen = Set<String>()
        return ScopeDefinition(name: name, description: text, claims: claims.filter { seen.insert($0).inserted })
    }
}

/// Every scope the provider knows: the standard ones, built in, and the
/// operator's. A value, reloaded as a whole when scopes change.
public struct ScopeCatalog: Sendable, Equatable {
    public static let standardScopes = ClientRegistration.defaultScopes
    public let custom: [ScopeDefinition]

    public init(custom: [ScopeDefinition] = []) {
        self.custom = custom.sorted { $0.name < $1.name }
    }

    /// `scopes_supported`: standard first, then the operator's.
    public var supportedScopes: [String] { Self.standardScopes + custom.map(\.name) }

    /// `claims_supported`: the standard claims, then every custom scope's.
    public var supportedClaims: [String] {
        var seen = Set(UserClaims.supported)
        return UserClaims.supported + custom.flatMap(\.claims).filter { seen.insert($0).inserted }
    }

    /// What the consent page says for each requested scope.
    public func descriptions(for scopes: Scopes) -> [String] {
        scopes.values.map { scope in
            custom.first { $0.name == scope }?.description ?? Scopes.plainWords[scope] ?? "Use “\(scope)”"
        }
    }

    /// The custom claims the granted scopes release.
    public func customClaimNames(for scopes: Scopes) -> Set<String> {
        Set(custom.filter { scopes.contains($0.name) }.flatMap(\.claims))
    }
}

import Foundation

/// What `/authorize` needs before it may issue a code, as named checks
/// (OIDC Core §3.1.2.3): each says why the user must sign in (again).
public enum SignInCheck: String, Sendable, CaseIterable {
    /// No signed-in user in this browser.
    case noSession = "no_session"
    /// `prompt=login`: the RP wants a fresh sign-in.
    case promptLogin = "prompt_login"
    /// `max_age`: the last sign-in is older than the RP accepts (`max_age=0`
    /// is `prompt=login`: any earlier sign-in is too old).
    case maxAge = "max_age"
    /// `id_token_hint` names another user than the one signed in.
    case idTokenHintMismatch = "id_token_hint"

    /// The signed-in browser as the checks see it.
    public struct Session: Sendable {
        public let subject: String
        public let authTime: Date?

        public init(subject: String, authTime: Date?) {
            self.subject = subject
            self.authTime = authTime
        }
    }

    /// The first check that asks for a sign-in, or nil when the session will do.
    public static func failing(session: Session?, prompt: Set<AuthorizationRequest.Prompt>, maxAge: Int?,
                               hintSubject: String?, now: Date) -> SignInCheck? {
        guard let session else { return .noSession }
        if prompt.contains(.login) { return .promptLogin }
        if let maxAge {
            guard let authTime = session.authTime, maxAge > 0,
                  now.timeIntervalSince(authTime) <= TimeInterval(maxAge)
            else { return .maxAge }
        }
        if let hintSubject, hintSubject != session.subject { return .idTokenHintMismatch }
        return nil
    }

    /// With `prompt=none` a sign-in cannot be asked for: the RP gets
    /// `login_required` instead (OIDC Core §3.1.2.6).
    public func error() -> OAuthError {
        switch self {
        case .noSession: .loginRequired("the user is not signed in")
        case .promptLogin: .loginRequired("prompt=login needs a sign-in")
        case .maxAge: .loginRequired("the sign-in is older than max_age")
        case .idTokenHintMismatch: .loginRequired("the signed-in user is not the one id_token_hint names")
        }
    }

    /// The parameters that asked for this sign-in are taken out of the
    /// request the browser returns to afterwards: having just signed in, it
    /// would otherwise be asked again, forever.
    public static let satisfiedBySignIn: Set<String> = ["max_age"]
}

/// Whether the consent page must be shown (OIDC Core §3.1.2.4).
public enum ConsentCheck {
    public enum Outcome: Equatable, Sendable {
        /// No page: the client needs no consent, or a remembered one covers the request.
        case covered
        /// Show the consent page.
        case ask
    }

    /// - Parameter remembered: the scopes of the user's unexpired consent to the client, if any.
    public static func outcome(client: Client, prompt: Set<AuthorizationRequest.Prompt>, scopes: Scopes,
                               remembered: Scopes?) -> Outcome {
        // prompt=consent asks even a client registered with --no-consent.
        if prompt.contains(.consent) { return .ask }
        guard client.requireConsent else { return .covered }
        if client.reuseConsent, let remembered, scopes.isSubset(of: remembered) { return .covered }
        return .ask
    }
}

/// `offline_access` (OIDC Core §11): "The OP MUST always obtain consent to
/// returning a Refresh Token that enables offline access", and "When offline
/// access is requested, a prompt parameter value of consent MUST be used
/// unless other conditions for processing the request permitting offline
/// access to the requested resources are in place."
///
/// Gatehouse's condition is the consent page: the scope is granted when the
/// user allowed it there (now, or in a remembered consent that listed it).
/// For a client that skips the consent page it is granted only with
/// `prompt=consent`, which shows the page; otherwise it is ignored, as §11
/// says, and left out of the granted scope.
public enum OfflineAccess {
    public static let scope = "offline_access"

    /// The scopes to grant once the consent outcome is known.
    /// - Parameter consentedOnPage: the user allowed the request on the consent page, now or in a remembered consent.
    public static func granted(_ scopes: Scopes, consentedOnPage: Bool) -> Scopes {
        guard scopes.contains(scope), !consentedOnPage else { return scopes }
        return Scopes(scopes.values.filter { $0 != scope })
    }
}

import GatehouseCore
import HTTPTypes

/// What an error page says: fixed, human wording and a next step, with the
/// technical code in small print. Every case is a constant, so no request
/// text can reach the page.
struct PageError: Sendable, Equatable {
    let title: String
    let message: String
    let nextStep: String
    let code: String
    let status: HTTPResponse.Status

    static let goBack = "Go back to the application and try again."

    /// The sign-in link itself is broken: unknown client, unregistered
    /// redirect URI, a missing or repeated client_id or redirect_uri.
    static func invalidLink(code: String) -> PageError {
        PageError(title: "This sign-in link is not valid",
                  message: "The application sent you here with a link this provider cannot accept.",
                  nextStep: goBack, code: code, status: .badRequest)
    }

    static let malformedRequest = PageError(
        title: "This request could not be read", message: "The request was incomplete or malformed.",
        nextStep: goBack, code: "invalid_request", status: .badRequest)

    static let formExpired = PageError(
        title: "This form has expired", message: "The page was open too long, or it was sent from another browser.",
        nextStep: "Go back, reload the page and try again.", code: "invalid_csrf_token", status: .forbidden)

    static let chooseAllowOrDeny = PageError(
        title: "No choice was made", message: "The consent form needs Allow or Deny.",
        nextStep: "Go back, reload the page and choose.", code: "invalid_request", status: .badRequest)

    static let tooLarge = PageError(
        title: "Request too large", message: "The request was larger than this provider accepts.",
        nextStep: goBack, code: "request_too_large", status: .contentTooLarge)

    static let unavailable = PageError(
        title: "Temporarily unavailable", message: "The provider cannot reach its database right now.",
        nextStep: "Wait a few seconds, then try again.", code: "temporarily_unavailable", status: .serviceUnavailable)

    static let internalError = PageError(
        title: "Something went wrong", message: "The provider could not complete the request.",
        nextStep: goBack, code: "server_error", status: .internalServerError)

    /// An OAuth error raised on a browser route: its code in small print, the words fixed.
    static func oauth(_ error: OAuthError) -> PageError {
        PageError(title: "This request could not be completed", message: "The provider refused the request.",
                  nextStep: goBack, code: error.code, status: HTTPResponse.Status(code: error.status))
    }

    static let logoutTargetNotRegistered = PageError(
        title: "Signed out", message: "You are signed out. The application's return address is not registered, so you stay here.",
        nextStep: "You can close this page.", code: "invalid_request", status: .badRequest)

    static let logoutHintInvalid = PageError(
        title: "Signed out", message: "You are signed out, but the request did not come with a valid ID token from this provider.",
        nextStep: "You can close this page.", code: "invalid_request", status: .badRequest)

    static let logoutHintForOtherClient = PageError(
        title: "Signed out", message: "You are signed out, but the ID token sent was not issued to the application that asked.",
        nextStep: "You can close this page.", code: "invalid_request", status: .badRequest)

    static let adminOnly = PageError(
        title: "Administrators only", message: "Your account may not use the admin console.",
        nextStep: "Ask an administrator if you need access.", code: "forbidden", status: .forbidden)

    static let adminNeedsSecondFactor = PageError(
        title: "Set up two-step sign-in first", message: "The admin console needs an authenticator app as a second step.",
        nextStep: "Set one up on your account page (/account), then come back.", code: "second_factor_required", status: .forbidden)

    static let adminPasswordNeeded = PageError(
        title: "Confirm with your password", message: "This change needs your password: you signed in more than five minutes ago, and the password was missing or wrong.",
        nextStep: "Go back, enter your password and try again.", code: "reauthentication_required", status: .forbidden)

    static let adminNotFound = PageError(
        title: "Not found", message: "There is no such client, user or session.",
        nextStep: "Go back to the list and try again.", code: "not_found", status: .notFound)

    static let adminPasswordRefused = PageError(
        title: "Password not set", message: "The new password does not meet the password rules.",
        nextStep: "Go back and choose a longer password.", code: "invalid_password", status: .badRequest)
}

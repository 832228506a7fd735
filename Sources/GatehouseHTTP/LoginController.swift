import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// The login page: `GET /login` shows it, `POST /login` signs in.
///
/// Throttling cannot be turned against users: an account that failed too
/// often waits a doubling, capped delay (`LoginDelay`) during which nothing
/// is checked; an address that failed too often has only its wrong guesses
/// refused, so a correct password behind a shared address still signs in.
struct LoginController {
    let deps: ServerDependencies
    var flow: AuthorizationFlow { AuthorizationFlow(deps: deps) }

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/login") { request, context in try await showLogin(request, context) }
        router.post("/login") { request, context in try await submitLogin(request, context) }
    }

    func showLogin(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let next = AuthorizationFlow.safeNext(request.queryParameters?.value("next"))
        return flow.loginPage(request, next: next, clientName: try await flow.clientName(forNext: next), username: nil)
    }

    func submitLogin(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return deps.pages.error(.malformedRequest)
        }
        let now = deps.clock.now
        guard deps.loginCookie.isValidCSRF(form["csrf_token"], cookieValue: deps.loginCookie.read(request), now: now) else {
            return deps.pages.error(.formExpired)
        }
        let next = AuthorizationFlow.safeNext(form["next"])
        let clientName = try await flow.clientName(forNext: next)
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        func again(_ message: String, status: HTTPResponse.Status, headers: [(HTTPField.Name, String)] = []) -> Response {
            flow.loginPage(request, next: next, clientName: clientName, username: username, error: message,
                           status: status, headers: headers)
        }
        guard !username.isEmpty, !password.isEmpty, username.count <= 150, password.utf8.count <= PasswordHasher.maximumLength else {
            return again("Enter your username and password.", status: .badRequest)
        }
        let accountKey = LoginThrottleKey.account(username)
        let address = deps.clientAddress(request, context)
        let addressKey = LoginThrottleKey.address(address)
        /// A failed attempt names its account only when one exists: what was typed
        /// as a username may be a password typed in the wrong field.
        func recordFailure(_ action: AuditEvent.Action, details: [String: String] = [:]) async throws {
            let known = try await deps.users.find(username: username)
            try await deps.audit.record(AuditEvent(at: now, actor: .anonymous, action: action,
                                                   target: known.map { "user:\($0.username)" }, clientAddress: address,
                                                   details: details.merging(["account": known == nil ? "unknown" : "known"]) { a, _ in a }))
        }
        if let wait = try await deps.throttle.retryAfter(keys: [accountKey], now: now) {
            try await recordFailure(.signInLockedOut, details: ["wait_seconds": String(wait)])
            return again("Too many failed attempts for this account. Try again in \(wait) seconds.",
                         status: .tooManyRequests, headers: [(.retryAfter, String(wait))])
        }
        let addressWait = try await deps.throttle.retryAfter(keys: [addressKey], now: now)
        guard let user = try await deps.users.authenticate(username: username, password: password) else {
            ServerMetrics.loginFailed()
            try await recordFailure(.signInFailed)
            try await deps.throttle.recordFailure(
                accountKey: accountKey, addressKey: addressKey, now: now, delay: deps.settings.loginDelay,
                address: AddressThrottle(maxFailures: deps.settings.loginMaxFailures, lockout: deps.settings.loginLockout.wholeSeconds))
            if let addressWait {
                return again("Too many failed attempts from your network. Try again in \(addressWait) seconds.",
                             status: .tooManyRequests, headers: [(.retryAfter, String(addressWait))])
            }
            // One message for unknown users and wrong passwords.
            return again("The username or password is incorrect.", status: .unauthorized)
        }
        try await deps.throttle.reset(key: accountKey)
        try await deps.audit.record(AuditEvent(at: now, actor: .user(user.username), action: .signInSucceeded,
                                               target: "user:\(user.username)", clientAddress: address))
        // A new session id at sign-in, so a planted cookie cannot be promoted (session fixation).
        if let old = deps.sessionID(request) { try await deps.sessions.delete(id: old) }
        let session = try await deps.sessions.create(userID: user.id, authTime: now, now: now,
                                                     lifetime: deps.settings.sessionExpire)
        let cookies = [SessionCookie.set(session.id, maxAge: deps.settings.sessionExpire.wholeSeconds, secure: deps.settings.issuerIsHTTPS),
                       deps.loginCookie.clear()]
        if next.isEmpty {
            return deps.pages.message("Signed in", "You are signed in as \(user.username).", headers: cookies)
        }
        return HTTPResponses.redirect(deps.settings.basePath + next, status: .seeOther, headers: cookies)
    }
}

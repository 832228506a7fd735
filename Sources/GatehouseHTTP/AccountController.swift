import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// `/account`: every signed-in user's own page. Their profile, the
/// applications they allowed (withdraw revokes the grants and forgets the
/// consent), their browser sessions (sign any out), their password (the
/// current one first) and their authenticator (TOTP, with recovery codes).
/// Each form carries the session's CSRF token; after a change the browser
/// is sent back with 303 and a fixed notice.
struct AccountController {
    static let path = "/account"
    let deps: ServerDependencies
    var flow: AuthorizationFlow { AuthorizationFlow(deps: deps) }

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/account") { request, context in try await show(request, context) }
        router.post("/account/applications/withdraw") { request, context in try await withdraw(request, context) }
        router.post("/account/sessions/end") { request, context in try await endSession(request, context) }
        router.post("/account/password") { request, context in try await changePassword(request, context) }
        router.post("/account/totp/start") { request, context in try await startTOTP(request, context) }
        router.post("/account/totp/confirm") { request, context in try await confirmTOTP(request, context) }
        router.post("/account/totp/remove") { request, context in try await removeTOTP(request, context) }
    }

    /// The fixed sentences a change comes back with (`?done=`): nothing from the request is shown.
    static let notices = [
        "withdrawn": "Access withdrawn: the application's tokens no longer work.",
        "signed-out": "That browser is signed out.",
        "totp-removed": "The authenticator is removed.",
    ]

    struct SignedIn {
        let sessionID: String
        let user: User
    }

    private func signedIn(_ request: Request) async throws -> SignedIn? {
        guard let id = deps.sessionID(request), let session = try await deps.sessions.find(id: id, now: deps.clock.now),
              let user = session.user, user.isActive else { return nil }
        return SignedIn(sessionID: id, user: user)
    }

    func show(_ request: Request, _ context: GatehouseRequestContext, error: String? = nil,
              status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let query = request.queryParameters else { return deps.pages.error(.malformedRequest) }
        guard let me = try await signedIn(request) else {
            return HTTPResponses.redirect(deps.settings.basePath + "/login?next=" + FormParameters.escape(Self.path))
        }
        let now = deps.clock.now
        let day = DateFormatter.accountDay
        let applications = try await deps.accounts.applications(userID: me.user.id, now: now).map { app -> [String: Any] in
            var values: [String: Any] = ["client_id": app.clientID, "client_name": app.clientName,
                                         "scopes": app.scopes.joined(separator: " ")]
            if let until = app.consentExpiresAt { values["consent_until"] = day.string(from: until) }
            if app.liveGrants > 0 { values["grants"] = app.liveGrants }
            return values
        }
        let sessions = try await deps.accounts.sessions(userID: me.user.id, currentSessionID: me.sessionID, now: now).map {
            ["handle": $0.handle, "created": day.string(from: $0.createdAt), "last_seen": day.string(from: $0.lastSeenAt),
             "current": $0.isCurrent] as [String: Any]
        }
        let factor = try await deps.accounts.secondFactor(userID: me.user.id)
        var values: [String: Any] = [
            "username": me.user.username, "applications": applications, "sessions": sessions,
            "csrf_token": deps.csrfToken(for: me.sessionID), "totp_enabled": factor.enabledAt != nil,
            "recovery_left": factor.recoveryCodesLeft, "is_admin": me.user.isAdmin,
        ]
        values["name"] = me.user.profile.name
        values["email"] = me.user.profile.email
        values["totp_since"] = factor.enabledAt.map { day.string(from: $0) }
        values["error"] = error
        values["notice"] = query["done"].flatMap { Self.notices[$0] }
        return deps.pages.page("account", values, status: status)
    }

    /// The form of a POST from the signed-in user's own page, or the response that refuses it.
    private func form(_ request: Request, _ context: GatehouseRequestContext) async throws -> Result<(SignedIn, FormParameters), ResponseBox> {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return .failure(ResponseBox(deps.pages.error(.malformedRequest)))
        }
        guard let me = try await signedIn(request), deps.isValidCSRF(form["csrf_token"], sessionID: me.sessionID) else {
            return .failure(ResponseBox(deps.pages.error(.formExpired)))
        }
        return .success((me, form))
    }

    private func done(_ notice: String) -> Response {
        HTTPResponses.redirect(deps.settings.basePath + Self.path + "?done=" + notice, status: .seeOther)
    }

    private func record(_ action: AuditEvent.Action, _ me: SignedIn, target: String? = nil, details: [String: String] = [:],
                        _ request: Request, _ context: GatehouseRequestContext) async throws {
        try await deps.audit.record(AuditEvent(at: deps.clock.now, actor: .user(me.user.username), action: action,
                                               target: target ?? "user:\(me.user.username)",
                                               clientAddress: deps.clientAddress(request, context), details: details))
    }

    func withdraw(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let (me, form): (SignedIn, FormParameters)
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): (me, form) = ok
        }
        guard let clientID = form["client_id"], try await deps.accounts.withdraw(userID: me.user.id, clientID: clientID, now: deps.clock.now)
        else { return try await show(request, context, error: "That application has no access to withdraw.", status: .badRequest) }
        try await record(.accessWithdrawn, me, target: "client:\(clientID)", request, context)
        return done("withdrawn")
    }

    func endSession(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let (me, form): (SignedIn, FormParameters)
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): (me, form) = ok
        }
        guard let handle = form["session"], try await deps.accounts.endSession(userID: me.user.id, handle: handle) else {
            return try await show(request, context, error: "That session has already ended.", status: .badRequest)
        }
        try await record(.sessionEnded, me, request, context)
        if handle == AccountController.handle(of: me.sessionID) {
            return deps.pages.message("Signed out", "This browser is signed out.",
                                      headers: [SessionCookie.clear(secure: deps.settings.issuerIsHTTPS)])
        }
        return done("signed-out")
    }

    static func handle(of sessionID: String) -> String {
        SecretToken.digest(of: sessionID).map { String(format: "%02x", $0) }.joined()
    }

    func changePassword(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let (me, form): (SignedIn, FormParameters)
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): (me, form) = ok
        }
        let current = form["current_password"] ?? "", new = form["new_password"] ?? ""
        guard new == (form["confirm_password"] ?? "") else {
            return try await show(request, context, error: "The two new passwords differ.", status: .badRequest)
        }
        do {
            try PasswordRules(minimumLength: deps.settings.passwordMinLength).check(new)
        } catch {
            return try await show(request, context, error: "\(error)", status: .badRequest)
        }
        guard !current.isEmpty, current.utf8.count <= PasswordHasher.maximumLength,
              try await deps.users.authenticate(username: me.user.username, password: current) != nil else {
            return try await show(request, context, error: "Your current password is not right.", status: .badRequest)
        }
        // Ends every session (this one too) and revokes every grant: a thief who knew the old one is out.
        _ = try await deps.users.setPassword(username: me.user.username, to: new)
        try await record(.userPasswordSet, me, request, context)
        return deps.pages.message("Password changed", "Your password is changed. You are signed out everywhere; sign in again with the new one.",
                                  headers: [SessionCookie.clear(secure: deps.settings.issuerIsHTTPS)])
    }

    func startTOTP(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let me: SignedIn
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): me = ok.0
        }
        if try await deps.accounts.secondFactor(userID: me.user.id).enabledAt != nil { return done("") }
        let totp = TOTP.generate()
        try await deps.accounts.beginTOTP(userID: me.user.id, sealedSecret: try deps.box.seal(totp.secret))
        return totpPage(totp, me)
    }

    private func totpPage(_ totp: TOTP, _ me: SignedIn, error: String? = nil) -> Response {
        let grouped = stride(from: 0, to: totp.base32Secret.count, by: 4).map { offset -> String in
            let start = totp.base32Secret.index(totp.base32Secret.startIndex, offsetBy: offset)
            return String(totp.base32Secret[start...].prefix(4))
        }.joined(separator: " ")
        var values: [String: Any] = ["secret": grouped, "csrf_token": deps.csrfToken(for: me.sessionID),
                                     "uri": totp.provisioningURI(account: me.user.username, issuer: deps.settings.siteName)]
        values["error"] = error
        return deps.pages.page("account-totp", values, status: error == nil ? .ok : .badRequest)
    }

    func confirmTOTP(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let (me, form): (SignedIn, FormParameters)
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): (me, form) = ok
        }
        guard let stored = try await deps.accounts.totpSecret(userID: me.user.id), !stored.enabled else { return done("") }
        let totp = TOTP(secret: try deps.box.open(stored.sealed))
        let now = deps.clock.now
        guard let step = totp.matchingStep(form["code"] ?? "", now: now, lastUsed: stored.lastStep) else {
            return totpPage(totp, me, error: "That code is not the one the app shows now. Check the device's clock and try the next code.")
        }
        let codes = RecoveryCodes.generate()
        guard try await deps.accounts.useTOTP(userID: me.user.id, step: step, enable: true,
                                              recoveryCodeDigests: codes.map(RecoveryCodes.digest), now: now) else {
            return totpPage(totp, me, error: "That code was used already. Wait for the next one.")
        }
        try await record(.totpEnabled, me, request, context)
        return deps.pages.page("recovery-codes", ["codes": codes])
    }

    func removeTOTP(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        let (me, form): (SignedIn, FormParameters)
        switch try await self.form(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let ok): (me, form) = ok
        }
        let password = form["password"] ?? ""
        guard !password.isEmpty, password.utf8.count <= PasswordHasher.maximumLength,
              try await deps.users.authenticate(username: me.user.username, password: password) != nil else {
            return try await show(request, context, error: "Your password is not right; the authenticator stays.", status: .badRequest)
        }
        try await deps.accounts.removeTOTP(userID: me.user.id)
        try await record(.totpRemoved, me, request, context)
        return done("totp-removed")
    }
}

/// A ready response carried through a `Result` (Response itself is not an Error).
struct ResponseBox: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}

extension DateFormatter {
    /// Dates on the account page: `2026-12-03 14:05 UTC`.
    static var accountDay: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter
    }
}

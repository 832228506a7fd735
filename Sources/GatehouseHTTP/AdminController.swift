import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird

/// The admin console (`/admin`). Every path first asks `ConsoleAccess`:
/// not signed in → the login page; not an admin → 403; an admin without an
/// authenticator → 403 with the way to set one up; a session that has not
/// passed the second factor, or whose console use lapsed
/// (`OIDC_ADMIN_SESSION_EXPIRE`) → the code form, which only a POST
/// answers. Every change is a POST with the session's CSRF token, audited
/// with the admin as actor; rotating a secret, deleting and setting a
/// password ask for the admin's password when the sign-in is older than
/// five minutes.
struct AdminController {
    static let path = "/admin"
    let deps: ServerDependencies

    func register(on router: some RouterMethods<GatehouseRequestContext>) {
        router.get("/admin") { request, context in try await page(request, context) { try await overview($0) } }
        router.get("/admin/verify") { request, context in try await showVerify(request, context) }
        router.post("/admin/verify") { request, context in try await verify(request, context) }
        router.get("/admin/clients") { request, context in try await page(request, context) { try await clients(request, $0) } }
        router.get("/admin/clients/new") { request, context in try await page(request, context) { newClient($0) } }
        router.post("/admin/clients") { request, context in try await change(request, context) { try await createClient($0, $1) } }
        router.get("/admin/clients/:id") { request, context in
            try await page(request, context) { try await client(Self.parameter(context, "id"), $0, request: request) }
        }
        router.post("/admin/clients/:id/rotate-secret") { request, context in
            try await change(request, context, sensitive: true) { admin, _ in try await rotateSecret(Self.parameter(context, "id"), admin) }
        }
        router.post("/admin/clients/:id/edit") { request, context in
            try await change(request, context) { admin, form in try await updateClient(Self.parameter(context, "id"), admin, form) }
        }
        router.post("/admin/clients/:id/delete") { request, context in
            try await change(request, context, sensitive: true) { admin, _ in try await deleteClient(Self.parameter(context, "id"), admin) }
        }
        router.get("/admin/users") { request, context in try await page(request, context) { try await users(request, $0) } }
        router.get("/admin/users/new") { request, context in try await page(request, context) { newUser($0) } }
        router.post("/admin/users") { request, context in try await change(request, context) { try await createUser($0, $1) } }
        router.get("/admin/users/:name") { request, context in
            try await page(request, context) { try await user(Self.parameter(context, "name"), $0, request: request) }
        }
        for action in UserAction.allCases {
            router.post("/admin/users/:name/\(action.rawValue)") { request, context in
                try await change(request, context, sensitive: action.isSensitive) {
                    try await userAction(action, Self.parameter(context, "name"), $0, $1)
                }
            }
        }
        router.get("/admin/keys") { request, context in try await page(request, context) { try await keys($0) } }
        router.post("/admin/keys/rotate") { request, context in
            try await change(request, context, sensitive: true) { try await rotateKey($0, $1) }
        }
        router.get("/admin/audit") { request, context in try await page(request, context) { try await audit(request, $0) } }
        // Any other console path: the gate first (403 for a non-admin), then 404.
        router.get("/admin/**") { request, context in try await page(request, context) { _ in deps.pages.error(.adminNotFound) } }
        router.post("/admin/**") { request, context in try await page(request, context) { _ in deps.pages.error(.adminNotFound) } }
    }

    static func parameter(_ context: GatehouseRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The admin behind a request that may use the console.
    struct Admin {
        let sessionID: String
        let user: User
        let authTime: Date?
        let address: String
    }

    /// The console gate, or the response that stands in for the page.
    private func gate(_ request: Request, _ context: GatehouseRequestContext) async throws -> Result<Admin, ResponseBox> {
        let now = deps.clock.now
        let sessionID = deps.sessionID(request)
        let session = try await sessionID.asyncMap { try await deps.sessions.find(id: $0, now: now) } ?? nil
        let user = session?.user
        var state = ConsoleAccess.State(user: user, totpEnabled: false, secondFactorAt: nil, consoleSeenAt: nil)
        if let user, user.isAdmin, let sessionID {
            state.totpEnabled = try await deps.accounts.secondFactor(userID: user.id).enabledAt != nil
            (state.secondFactorAt, state.consoleSeenAt) = try await deps.accounts.consoleState(sessionID: sessionID)
        }
        switch ConsoleAccess.decide(state, now: now, inactivity: deps.settings.adminSessionExpire) {
        case .signIn:
            return .failure(ResponseBox(HTTPResponses.redirect(deps.settings.basePath + "/login?next=" + FormParameters.escape(Self.path))))
        case .forbidden:
            return .failure(ResponseBox(deps.pages.error(.adminOnly)))
        case .enrollSecondFactor:
            return .failure(ResponseBox(deps.pages.error(.adminNeedsSecondFactor)))
        case .verifySecondFactor:
            return .failure(ResponseBox(HTTPResponses.redirect(deps.settings.basePath + "/admin/verify", status: .seeOther)))
        case .allow:
            try await deps.accounts.touchConsole(sessionID: sessionID!, now: now)
            return .success(Admin(sessionID: sessionID!, user: user!, authTime: session?.authTime,
                                  address: deps.clientAddress(request, context)))
        }
    }

    /// A console page: the gate, then `render` with the values every page has.
    private func page(_ request: Request, _ context: GatehouseRequestContext,
                      _ render: (Admin) async throws -> Response) async throws -> Response {
        // A malformed query is refused before anything else, as at /authorize.
        guard request.queryParameters != nil else { return deps.pages.error(.malformedRequest) }
        switch try await gate(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let admin): return try await render(admin)
        }
    }

    private func common(_ admin: Admin, _ values: [String: Any] = [:]) -> [String: Any] {
        var all = values
        all["csrf_token"] = deps.csrfToken(for: admin.sessionID)
        all["needs_password"] = ConsoleAccess.needsPassword(authTime: admin.authTime, now: deps.clock.now)
        return all
    }

    /// A console change: the gate, the form and its CSRF token, the password
    /// when `sensitive` and the sign-in is not recent, then `body`.
    private func change(_ request: Request, _ context: GatehouseRequestContext, sensitive: Bool = false,
                        _ body: (Admin, FormParameters) async throws -> Response) async throws -> Response {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return deps.pages.error(.malformedRequest)
        }
        let admin: Admin
        switch try await gate(request, context) {
        case .failure(let refusal): return refusal.response
        case .success(let allowed): admin = allowed
        }
        guard deps.isValidCSRF(form["csrf_token"], sessionID: admin.sessionID) else { return deps.pages.error(.formExpired) }
        if sensitive && ConsoleAccess.needsPassword(authTime: admin.authTime, now: deps.clock.now) {
            let password = form["password"] ?? ""
            guard !password.isEmpty, password.utf8.count <= PasswordHasher.maximumLength,
                  try await deps.users.authenticate(username: admin.user.username, password: password) != nil else {
                return deps.pages.error(.adminPasswordNeeded)
            }
            try await deps.accounts.reauthenticated(sessionID: admin.sessionID, now: deps.clock.now)
        }
        return try await body(admin, form)
    }

    private func record(_ admin: Admin, _ action: AuditEvent.Action, target: String?, details: [String: String] = [:]) async throws {
        try await deps.audit.record(AuditEvent(at: deps.clock.now, actor: .user(admin.user.username), action: action,
                                               target: target, clientAddress: admin.address, details: details))
    }

    private func back(to path: String, notice: String) -> Response {
        HTTPResponses.redirect(deps.settings.basePath + path + "?done=" + notice, status: .seeOther)
    }

    static let notices = [
        "rotated": "The secret was rotated: the old one no longer works.",
        "deleted": "Deleted.",
        "disabled": "Disabled: the user's sessions ended and their tokens stopped working.",
        "enabled": "Enabled.",
        "unlocked": "Failed sign-ins cleared.",
        "admin-granted": "The user may now enter the console (after a second factor).",
        "admin-removed": "The user may no longer enter the console.",
        "revoked": "Access revoked: the application's tokens for this user no longer work.",
        "signed-out": "That session is signed out.",
        "password-set": "Password set: the user's sessions ended and their tokens were revoked.",
        "key-rotated": "A new key signs now.",
        "updated": "Saved.",
    ]

    private func notice(_ request: Request) -> String? {
        request.queryParameters?["done"].flatMap { Self.notices[$0] }
    }

    // MARK: second factor

    func showVerify(_ request: Request, _ context: GatehouseRequestContext, error: String? = nil) async throws -> Response {
        let now = deps.clock.now
        guard let sessionID = deps.sessionID(request), let session = try await deps.sessions.find(id: sessionID, now: now),
              let user = session.user else {
            return HTTPResponses.redirect(deps.settings.basePath + "/login?next=" + FormParameters.escape(Self.path))
        }
        guard user.isActive, user.isAdmin else { return deps.pages.error(.adminOnly) }
        guard try await deps.accounts.secondFactor(userID: user.id).enabledAt != nil else {
            return deps.pages.error(.adminNeedsSecondFactor)
        }
        var values: [String: Any] = ["csrf_token": deps.csrfToken(for: sessionID)]
        values["error"] = error
        return deps.pages.page("admin-verify", values, status: error == nil ? .ok : .unauthorized)
    }

    func verify(_ request: Request, _ context: GatehouseRequestContext) async throws -> Response {
        var request = request
        guard request.isFormEncoded, let form = try await request.formParameters(limit: context.maxUploadSize) else {
            return deps.pages.error(.malformedRequest)
        }
        let now = deps.clock.now
        guard let sessionID = deps.sessionID(request), deps.isValidCSRF(form["csrf_token"], sessionID: sessionID) else {
            return deps.pages.error(.formExpired)
        }
        guard let session = try await deps.sessions.find(id: sessionID, now: now), let user = session.user else {
            return HTTPResponses.redirect(deps.settings.basePath + "/login?next=" + FormParameters.escape(Self.path))
        }
        guard user.isActive, user.isAdmin else { return deps.pages.error(.adminOnly) }
        guard let stored = try await deps.accounts.totpSecret(userID: user.id), stored.enabled else {
            return deps.pages.error(.adminNeedsSecondFactor)
        }
        let address = deps.clientAddress(request, context)
        let entered = form["code"] ?? ""
        let totp = TOTP(secret: try deps.box.open(stored.sealed))
        var passed = false
        var method = "totp"
        if let step = totp.matchingStep(entered, now: now, lastUsed: stored.lastStep) {
            passed = try await deps.accounts.useTOTP(userID: user.id, step: step, enable: false, recoveryCodeDigests: [], now: now)
        } else if RecoveryCodes.normalized(entered).count == 10 {
            method = "recovery code"
            passed = try await deps.accounts.useRecoveryCode(userID: user.id, digest: RecoveryCodes.digest(entered), now: now)
        }
        let event = AuditEvent(at: now, actor: .user(user.username), action: passed ? .consoleEntered : .consoleSecondFactorFailed,
                               target: "user:\(user.username)", clientAddress: address, details: ["method": method])
        try await deps.audit.record(event)
        guard passed else {
            // Failed codes count against the account like wrong passwords.
            try await deps.throttle.recordFailure(
                accountKey: LoginThrottleKey.account(user.username), addressKey: LoginThrottleKey.address(address), now: now,
                delay: deps.settings.loginDelay,
                address: AddressThrottle(maxFailures: deps.settings.loginMaxFailures, lockout: deps.settings.loginLockout.wholeSeconds))
            return try await showVerify(request, context, error: "That code is not valid. Use the code the app shows now, or an unused recovery code.")
        }
        try await deps.accounts.markSecondFactor(sessionID: sessionID, now: now)
        return HTTPResponses.redirect(deps.settings.basePath + Self.path, status: .seeOther)
    }

    // MARK: pages

    private var time: DateFormatter { .accountDay }

    func overview(_ admin: Admin) async throws -> Response {
        let events = try await deps.audit.list(AuditQuery(limit: 10)).map(eventValues)
        return deps.pages.page("admin-overview", common(admin, [
            "clients": try await deps.clients.list().count, "users": try await deps.users.list().count,
            "keys": try await deps.keys.publishedKeys().count, "events": events,
        ]))
    }

    private func eventValues(_ e: AuditEvent) -> [String: Any] {
        ["time": time.string(from: e.occurredAt), "actor": e.actor.description, "action": e.action.rawValue,
         "target": e.target ?? "", "address": e.clientAddress ?? "",
         "details": e.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
    }

    func clients(_ request: Request, _ admin: Admin) async throws -> Response {
        let q = (request.queryParameters?["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let all = try await deps.clients.list()
        let shown = q.isEmpty ? all : all.filter { $0.name.localizedCaseInsensitiveContains(q) || $0.clientID.contains(q) }
        var values = common(admin, ["q": q, "clients": shown.map {
            ["name": $0.name, "client_id": $0.clientID, "path_id": Self.pathComponent($0.clientID), "type": $0.kind.rawValue,
             "redirects": $0.redirectURIs.joined(separator: " ")] as [String: Any]
        }])
        values["notice"] = notice(request)
        return deps.pages.page("admin-clients", values)
    }

    func newClient(_ admin: Admin, error: String? = nil, form: FormParameters? = nil) -> Response {
        var values = common(admin)
        for name in ["name", "redirect_uris", "grant_types", "response_types", "scopes"] { values[name] = form?[name] ?? "" }
        values["post_logout"] = form?["post_logout_redirect_uris"] ?? ""
        values["error"] = error
        return deps.pages.page("admin-client-new", values, status: error == nil ? .ok : .badRequest)
    }

    /// The registration a client form describes (new or edit), not yet validated.
    static func registration(_ form: FormParameters, kind: Client.Kind) -> ClientRegistration {
        func lines(_ name: String) -> [String] {
            (form[name] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func words(_ name: String) -> [String] { (form[name] ?? "").split(whereSeparator: \.isWhitespace).map(String.init) }
        var registration = ClientRegistration(name: form["name"] ?? "", redirectURIs: lines("redirect_uris"))
        registration.postLogoutRedirectURIs = lines("post_logout_redirect_uris")
        registration.kind = kind
        registration.grantTypes = words("grant_types")
        registration.responseTypes = lines("response_types")
        registration.scopes = words("scopes")
        registration.requireConsent = form["require_consent"] == "on"
        registration.reuseConsent = form["reuse_consent"] == "on"
        registration.idTokenAlgorithm = form["id_token_alg"].flatMap { $0.isEmpty ? nil : $0 }
        registration.authMethod = kind == .public ? nil : form["token_endpoint_auth_method"].flatMap { $0.isEmpty ? nil : $0 }
        return registration
    }

    func createClient(_ admin: Admin, _ form: FormParameters) async throws -> Response {
        let registration = Self.registration(form, kind: form["type"] == "public" ? .public : .confidential)
        let valid: ClientRegistration
        do {
            valid = try registration.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false))
        } catch {
            return newClient(admin, error: "\(error)", form: form)
        }
        let (client, secret) = try await deps.clients.create(valid)
        try await record(admin, .clientCreated, target: "client:\(client.clientID)", details: ["name": client.name])
        var values = common(admin, ["name": client.name, "client_id": client.clientID, "path_id": Self.pathComponent(client.clientID)])
        values["secret"] = secret
        return deps.pages.page("admin-client-created", values)
    }

    func client(_ clientID: String, _ admin: Admin, request: Request? = nil, error: String? = nil) async throws -> Response {
        guard let c = try await deps.clients.find(clientID: clientID) else { return deps.pages.error(.adminNotFound) }
        var values = common(admin, [
            "name": c.name, "client_id": c.clientID, "path_id": Self.pathComponent(c.clientID), "type": c.kind.rawValue,
            "redirects": c.redirectURIs, "post_logout": c.postLogoutRedirectURIs,
            "grant_types": c.grantTypes.map(\.rawValue).joined(separator: " "),
            "response_types": c.responseTypes.map(\.rawValue).joined(separator: ", "), "scopes": c.scopes.joined(separator: " "),
            "consent": (c.requireConsent ? "asked" : "not asked") + (c.reuseConsent ? ", remembered" : ", not remembered"),
            "auth_method": c.tokenEndpointAuthMethod ?? "client_secret_basic or client_secret_post",
            "alg": c.idTokenAlgorithm.rawValue, "created": time.string(from: c.createdAt), "confidential": c.kind == .confidential,
            "redirect_text": c.redirectURIs.joined(separator: "\n"), "post_logout_text": c.postLogoutRedirectURIs.joined(separator: "\n"),
            "response_types_text": c.responseTypes.map(\.rawValue).joined(separator: "\n"),
            "require_consent": c.requireConsent, "reuse_consent": c.reuseConsent,
            "alg_options": SigningAlgorithm.allCases.map { ["value": $0.rawValue, "selected": $0 == c.idTokenAlgorithm] as [String: Any] },
            "auth_options": [("", "client_secret_basic or client_secret_post"), ("client_secret_basic", "client_secret_basic"),
                             ("client_secret_post", "client_secret_post")].map {
                ["value": $0.0, "label": $0.1, "selected": $0.0 == (c.tokenEndpointAuthMethod ?? "")] as [String: Any]
            },
        ])
        values["notice"] = request.flatMap(notice)
        values["error"] = error
        return deps.pages.page("admin-client", values, status: error == nil ? .ok : .badRequest)
    }

    func updateClient(_ clientID: String, _ admin: Admin, _ form: FormParameters) async throws -> Response {
        guard let current = try await deps.clients.find(clientID: clientID) else { return deps.pages.error(.adminNotFound) }
        let registration = Self.registration(form, kind: current.kind)
        do {
            let valid = try registration.validated(policy: RedirectURIPolicy(allowsInsecureHTTP: false))
            guard try await deps.clients.update(clientID: clientID, to: valid) != nil else { return deps.pages.error(.adminNotFound) }
        } catch let error as ClientRegistration.Invalid {
            return try await client(clientID, admin, error: error.description)
        } catch let error as RedirectURIPolicy.Violation {
            return try await client(clientID, admin, error: error.description)
        } catch let error as StoreError {
            return try await client(clientID, admin, error: error.description)
        }
        try await record(admin, .clientUpdated, target: "client:\(clientID)")
        return back(to: "/admin/clients/" + Self.pathComponent(clientID), notice: "updated")
    }

    func rotateSecret(_ clientID: String, _ admin: Admin) async throws -> Response {
        guard let c = try await deps.clients.find(clientID: clientID), c.kind == .confidential else {
            return deps.pages.error(.adminNotFound)
        }
        let secret = try await deps.clients.rotateSecret(clientID: clientID)
        try await record(admin, .clientSecretRotated, target: "client:\(clientID)")
        var values = common(admin, ["name": c.name, "client_id": c.clientID, "path_id": Self.pathComponent(c.clientID)])
        values["secret"] = secret
        return deps.pages.page("admin-client-created", values)
    }

    func deleteClient(_ clientID: String, _ admin: Admin) async throws -> Response {
        guard try await deps.clients.delete(clientID: clientID) else { return deps.pages.error(.adminNotFound) }
        try await record(admin, .clientDeleted, target: "client:\(clientID)")
        return back(to: "/admin/clients", notice: "deleted")
    }

    func users(_ request: Request, _ admin: Admin) async throws -> Response {
        let q = (request.queryParameters?["q"] ?? "").trimmingCharacters(in: .whitespaces)
        let all = try await deps.users.list()
        let shown = q.isEmpty ? all : all.filter {
            $0.username.localizedCaseInsensitiveContains(q) || ($0.profile.name ?? "").localizedCaseInsensitiveContains(q)
                || ($0.profile.email ?? "").localizedCaseInsensitiveContains(q)
        }
        var values = common(admin, ["q": q, "users": shown.map { u -> [String: Any] in
            ["username": u.username, "path_name": Self.pathComponent(u.username), "name": u.profile.name ?? "",
             "email": u.profile.email ?? "", "state": (u.isActive ? "active" : "disabled") + (u.isAdmin ? ", admin" : ""),
             "last_login": u.lastLoginAt.map { time.string(from: $0) } ?? "never"]
        }])
        values["notice"] = notice(request)
        return deps.pages.page("admin-users", values)
    }

    func newUser(_ admin: Admin, error: String? = nil, form: FormParameters? = nil) -> Response {
        var values = common(admin)
        for name in ["username", "given_name", "family_name", "email"] { values[name] = form?[name] ?? "" }
        values["error"] = error
        return deps.pages.page("admin-user-new", values, status: error == nil ? .ok : .badRequest)
    }

    func createUser(_ admin: Admin, _ form: FormParameters) async throws -> Response {
        let given = form["given_name"].flatMap { $0.isEmpty ? nil : $0 }, family = form["family_name"].flatMap { $0.isEmpty ? nil : $0 }
        let name = [given, family].compactMap { $0 }.joined(separator: " ")
        let username = form["username"] ?? ""
        let new = NewUser(username: username, password: form["new_password"] ?? "", profile: UserProfile(
            name: name.isEmpty ? nil : name, givenName: given, familyName: family, preferredUsername: username,
            email: form["email"].flatMap { $0.isEmpty ? nil : $0 }))
        do {
            try PasswordRules(minimumLength: deps.settings.passwordMinLength).check(new.password)
            try new.validate()
            let user = try await deps.users.create(new)
            try await record(admin, .userCreated, target: "user:\(user.username)", details: ["sub": user.subject])
            return HTTPResponses.redirect(deps.settings.basePath + "/admin/users/" + Self.pathComponent(user.username), status: .seeOther)
        } catch let error as StoreError {
            return newUser(admin, error: "\(error)", form: form)
        } catch let error as NewUser.Invalid {
            return newUser(admin, error: error.description, form: form)
        } catch let error as PasswordRules.TooShort {
            return newUser(admin, error: "\(error)", form: form)
        } catch let error as PasswordHasher.Failure {
            return newUser(admin, error: "\(error)", form: form)
        }
    }

    func user(_ username: String, _ admin: Admin, request: Request? = nil, error: String? = nil) async throws -> Response {
        guard let u = try await deps.users.find(username: username) else { return deps.pages.error(.adminNotFound) }
        let now = deps.clock.now
        let applications = try await deps.accounts.applications(userID: u.id, now: now).map { app -> [String: Any] in
            var values: [String: Any] = ["client_id": app.clientID, "client_name": app.clientName, "scopes": app.scopes.joined(separator: " ")]
            if app.liveGrants > 0 { values["grants"] = app.liveGrants }
            return values
        }
        let sessions = try await deps.accounts.sessions(userID: u.id, currentSessionID: nil, now: now).map {
            ["handle": $0.handle, "created": time.string(from: $0.createdAt), "last_seen": time.string(from: $0.lastSeenAt)] as [String: Any]
        }
        var values = common(admin, [
            "username": u.username, "path_name": Self.pathComponent(u.username), "subject": u.subject,
            "state": u.isActive ? "active" : "disabled", "active": u.isActive, "admin": u.isAdmin,
            "created": time.string(from: u.createdAt), "last_login": u.lastLoginAt.map { time.string(from: $0) } ?? "never",
            "claims": u.claims.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": JSONText.value($0.value)] },
            "applications": applications, "sessions": sessions,
        ])
        values["name"] = u.profile.name
        values["email"] = u.profile.email
        values["given_name"] = u.profile.givenName ?? ""
        values["family_name"] = u.profile.familyName ?? ""
        values["email_verified"] = u.profile.emailVerified
        values["phone_number"] = u.profile.phoneNumber ?? ""
        values["notice"] = request.flatMap(notice)
        values["error"] = error
        return deps.pages.page("admin-user", values, status: error == nil ? .ok : .badRequest)
    }

    enum UserAction: String, CaseIterable {
        case disable, enable, unlock, setAdmin = "set-admin", unsetAdmin = "unset-admin", revoke
        case endSession = "end-session", password, delete, profile, setClaim = "set-claim", unsetClaim = "unset-claim"

        var isSensitive: Bool { self == .password || self == .delete }
    }

    func userAction(_ action: UserAction, _ username: String, _ admin: Admin, _ form: FormParameters) async throws -> Response {
        guard let u = try await deps.users.find(username: username) else { return deps.pages.error(.adminNotFound) }
        let target = "user:\(u.username)"
        let page = "/admin/users/" + Self.pathComponent(u.username)
        let now = deps.clock.now
        switch action {
        case .disable, .enable:
            _ = try await deps.users.setActive(username: u.username, active: action == .enable)
            try await record(admin, action == .enable ? .userEnabled : .userDisabled, target: target)
            return back(to: page, notice: action == .enable ? "enabled" : "disabled")
        case .unlock:
            try await deps.throttle.reset(key: LoginThrottleKey.account(u.username))
            try await record(admin, .userUnlocked, target: target)
            return back(to: page, notice: "unlocked")
        case .setAdmin, .unsetAdmin:
            _ = try await deps.users.setAdmin(username: u.username, admin: action == .setAdmin)
            try await record(admin, action == .setAdmin ? .userMadeAdmin : .userAdminRemoved, target: target)
            return back(to: page, notice: action == .setAdmin ? "admin-granted" : "admin-removed")
        case .revoke:
            guard let clientID = form["client_id"], try await deps.accounts.withdraw(userID: u.id, clientID: clientID, now: now) else {
                return deps.pages.error(.adminNotFound)
            }
            try await record(admin, .accessWithdrawn, target: target, details: ["client_id": clientID])
            return back(to: page, notice: "revoked")
        case .endSession:
            guard let handle = form["session"], try await deps.accounts.endSession(userID: u.id, handle: handle) else {
                return deps.pages.error(.adminNotFound)
            }
            try await record(admin, .sessionEnded, target: target)
            return back(to: page, notice: "signed-out")
        case .password:
            let password = form["new_password"] ?? ""
            do {
                try PasswordRules(minimumLength: deps.settings.passwordMinLength).check(password)
            } catch {
                return deps.pages.error(.adminPasswordRefused)
            }
            _ = try await deps.users.setPassword(username: u.username, to: password)
            try await record(admin, .userPasswordSet, target: target)
            return back(to: page, notice: "password-set")
        case .delete:
            _ = try await deps.users.delete(username: u.username)
            try await record(admin, .userDeleted, target: target)
            return back(to: "/admin/users", notice: "deleted")
        case .profile:
            func text(_ name: String) -> String? {
                form[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            }
            var profile = u.profile
            profile.givenName = text("given_name")
            profile.familyName = text("family_name")
            let name = [profile.givenName, profile.familyName].compactMap { $0 }.joined(separator: " ")
            profile.name = name.isEmpty ? nil : name
            profile.email = text("email")
            profile.emailVerified = profile.email != nil && form["email_verified"] == "on"
            profile.phoneNumber = text("phone_number")
            var probe = NewUser(username: u.username, password: "-")
            probe.profile = profile
            do {
                try probe.validate()
            } catch {
                return try await user(u.username, admin, error: "\(error)")
            }
            _ = try await deps.users.updateProfile(username: u.username, to: profile)
            try await record(admin, .userProfileUpdated, target: target)
            return back(to: page, notice: "updated")
        case .setClaim, .unsetClaim:
            let name = (form["claim"] ?? "").trimmingCharacters(in: .whitespaces)
            do {
                try CustomClaims.checkName(name)
                let value = action == .setClaim ? try CustomClaims.value(parsing: form["value"] ?? "") : nil
                _ = try await deps.users.setClaim(username: u.username, name: name, value: value)
            } catch {
                return try await user(u.username, admin, error: "\(error)")
            }
            try await record(admin, action == .setClaim ? .userClaimSet : .userClaimRemoved, target: target, details: ["claim": name])
            return back(to: page, notice: "updated")
        }
    }

    func keys(_ admin: Admin, notice: String? = nil) async throws -> Response {
        let keys = try await deps.keys.publishedKeys().map { key -> [String: Any] in
            ["state": key.state.rawValue, "alg": key.algorithm, "kid": key.kid, "created": time.string(from: key.createdAt),
             "activated": key.activatedAt.map { time.string(from: $0) } ?? "", "retired": key.retiredAt.map { time.string(from: $0) } ?? ""]
        }
        var values = common(admin, ["keys": keys])
        values["notice"] = notice
        return deps.pages.page("admin-keys", values)
    }

    func rotateKey(_ admin: Admin, _ form: FormParameters) async throws -> Response {
        guard let algorithm = form["alg"].flatMap(SigningAlgorithm.init(rawValue:)), algorithm.isAsymmetric else {
            return deps.pages.error(.malformedRequest)
        }
        let box = deps.box
        let rotated = try await deps.keys.requestRotation(
            algorithm, immediately: true, now: deps.clock.now, policy: deps.settings.keyRotationPolicy, check: { _ in },
            make: { try SigningKeyMaterial.generate($0, sealingWith: box) })
        try await record(admin, .keyRotated, target: "key:\(rotated.kid)", details: ["alg": algorithm.rawValue, "when": "now"])
        return try await keys(admin, notice: Self.notices["key-rotated"])
    }

    func audit(_ request: Request, _ admin: Admin) async throws -> Response {
        func field(_ name: String) -> String? {
            request.queryParameters?[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        var problem: String?
        var since: Date?
        if let text = field("since") {
            do { since = try AuditQuery.time(text, now: deps.clock.now) } catch { problem = "\(error)" }
        }
        let events = try await deps.audit.list(AuditQuery(since: since, actor: field("actor"), action: field("action"),
                                                          target: field("target"), limit: 500))
        var values = common(admin, ["events": events.map(eventValues)])
        for name in ["actor", "action", "target", "since"] { values[name] = field(name) ?? "" }
        values["error"] = problem
        return deps.pages.page("admin-audit", values)
    }

    /// A path segment for a client_id or username (percent-encoded).
    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#;")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}

/// The built-in pages. Kept in code rather than as bundle resources so the
/// binary alone is the whole server; OIDC_TEMPLATES_DIR overrides any of them.
///
/// Every page links the stylesheet and the icon served by `StaticAssets`
/// (the CSP allows no inline style) and names the provider (`site_name`).
enum DefaultTemplates {
    /// The `<head>` every built-in page shares; `{{title}}` is the page's title.
    static func head(_ title: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · {{site_name}}</title>
        <link rel="stylesheet" href="{{stylesheet}}"><link rel="icon" href="{{base}}/favicon.ico" sizes="any">
        </head>
        <body><main>
          <p class="site">{{site_name}}</p>
        """
    }

    static let foot = """
        </main></body>
        </html>
        """

    static let login = head("Sign in") + """
          <h1>Sign in{{#client_name}} to continue to {{client_name}}{{/client_name}}</h1>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form method="post" action="{{base}}/login">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="username">Username</label>
            <input type="text" id="username" name="username" value="{{username}}" autocomplete="username" required autofocus>
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
          </form>
        """ + foot

    static let consent = head("Allow access?") + """
          {{#logo_uri}}<img class="client-logo" src="{{logo_uri}}" alt="" width="64" height="64">{{/logo_uri}}
          <h1>{{client_name}} wants to access your account</h1>
          <p>Signed in as <strong>{{username}}</strong>. <a href="{{switch_account}}">Not you? Sign in as someone else</a></p>
          <p>If you allow it, {{client_name}} will be able to:</p>
          <ul>{{#scopes}}<li>{{.}}</li>{{/scopes}}</ul>
          <p class="note">You will be sent to <strong>{{redirect_host}}</strong>.</p>
          {{#has_links}}<p class="note client-links">{{#client_uri}}<a href="{{client_uri}}" rel="noopener noreferrer">About {{client_name}}</a> {{/client_uri}}{{#tos_uri}}<a href="{{tos_uri}}" rel="noopener noreferrer">Terms of service</a> {{/tos_uri}}{{#contact_email}}<span>Contact: <a href="mailto:{{contact_email}}">{{contact_email}}</a></span>{{/contact_email}}</p>{{/has_links}}
          <form method="post" action="{{base}}/consent">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <input type="hidden" name="request" value="{{request}}">
            <button type="submit" name="allow" value="allow">Allow</button>
            <button type="submit" name="deny" value="deny" class="secondary">Deny</button>
          </form>
          <p class="note">You can withdraw this access later: ask the administrator of {{site_name}} to revoke it, or sign out to end this session.</p>
        """ + foot

    static let error = head("{{title}}") + """
          <h1>{{title}}</h1>
          <p role="alert">{{message}}</p>
          <p>{{next_step}}</p>
          <p class="code">Error: {{code}}</p>
        """ + foot

    static let message = head("{{title}}") + """
          <h1>{{title}}</h1>
          <p>{{message}}</p>
        """ + foot

    static let endSession = head("Sign out?") + """
          <h1>Sign out of {{site_name}}?</h1>
          <p>An application asked to end your session{{#username}} as <strong>{{username}}</strong>{{/username}}.</p>
          <form method="post" action="{{base}}/end-session">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">
            {{/fields}}<button type="submit" name="confirm" value="yes">Sign out</button>
          </form>
        """ + foot

    /// Form Post Response Mode §2: the response as a form the browser posts
    /// to the client. The script (a file, allowed by the CSP) submits it at
    /// once; without scripts the button does.
    static let formPost = head("Continue") + """
          <h1>Returning you to the application…</h1>
          <form method="post" action="{{action}}" id="response">
            {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">
            {{/fields}}<p class="note">If nothing happens, continue here:</p>
            <button type="submit">Continue</button>
          </form>
          <script src="{{form_post_script}}"></script>
        """ + foot

    static let all: [(String, String)] = [
        ("login", login), ("consent", consent), ("error", error), ("message", message), ("end-session", endSession),
        ("form-post", formPost), ("account", account), ("account-totp", accountTOTP), ("recovery-codes", recoveryCodes),
        ("admin-verify", adminVerify), ("admin-overview", adminOverview), ("admin-clients", adminClients),
        ("admin-client-new", adminClientNew), ("admin-client-created", adminClientCreated), ("admin-client", adminClient),
        ("admin-users", adminUsers), ("admin-user-new", adminUserNew), ("admin-user", adminUser), ("admin-keys", adminKeys),
        ("admin-audit", adminAudit),
    ]
}

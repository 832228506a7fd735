/// The admin console's pages (`/admin`): server-rendered, no script, every
/// form with the session's CSRF token; the same look and headers as the
/// sign-in pages, on a wider card.
extension DefaultTemplates {
    static func adminHead(_ title: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Admin · {{site_name}}</title>
        <link rel="stylesheet" href="{{stylesheet}}"><link rel="icon" href="{{base}}/favicon.ico" sizes="any">
        </head>
        <body><main class="wide">
          <p class="site">{{site_name}} · Admin</p>
          <nav class="admin-nav"><a href="{{base}}/admin">Overview</a> <a href="{{base}}/admin/clients">Clients</a> <a href="{{base}}/admin/users">Users</a> <a href="{{base}}/admin/keys">Keys</a> <a href="{{base}}/admin/audit">Audit log</a> <a href="{{base}}/account">Your account</a></nav>
          {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        """
    }

    /// The password field sensitive forms show when the sign-in is older than five minutes.
    static let reauth = """
        {{#needs_password}}<label>Your password (you signed in more than five minutes ago)<input type="password" name="password" autocomplete="current-password" required></label>{{/needs_password}}
        """

    static let adminVerify = head("Admin sign-in") + """
          <h1>Second step</h1>
          <p>Enter the six-digit code from your authenticator app, or one of your recovery codes.</p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form method="post" action="{{base}}/admin/verify">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="code">Code</label>
            <input type="text" id="code" name="code" autocomplete="one-time-code" required autofocus>
            <button type="submit">Continue</button>
          </form>
        """ + foot

    static let adminOverview = adminHead("Overview") + """
          <h1>Overview</h1>
          <dl class="facts">
            <dt>Clients</dt><dd><a href="{{base}}/admin/clients">{{clients}}</a></dd>
            <dt>Users</dt><dd><a href="{{base}}/admin/users">{{users}}</a></dd>
            <dt>Signing keys</dt><dd><a href="{{base}}/admin/keys">{{keys}}</a></dd>
          </dl>
          <h2>Latest events</h2>
          <table><thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th></tr></thead><tbody>
          {{#events}}<tr><td class="time">{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td></tr>{{/events}}
          </tbody></table>
        """ + foot

    static let adminClients = adminHead("Clients") + """
          <h1>Clients</h1>
          <form method="get" action="{{base}}/admin/clients" class="search"><input type="text" name="q" value="{{q}}" aria-label="Search clients" placeholder="Name or client_id"><button type="submit" class="secondary">Search</button> <a href="{{base}}/admin/clients/new">New client</a></form>
          <table><thead><tr><th>Name</th><th>client_id</th><th>Type</th><th>Redirect URIs</th></tr></thead><tbody>
          {{#clients}}<tr><td><a href="{{base}}/admin/clients/{{path_id}}">{{name}}</a></td><td><code>{{client_id}}</code></td><td>{{type}}</td><td>{{redirects}}</td></tr>{{/clients}}
          </tbody></table>
          {{^clients}}<p class="note">No client matches.</p>{{/clients}}
        """ + foot

    static let adminClientNew = adminHead("New client") + """
          <h1>New client</h1>
          <form method="post" action="{{base}}/admin/clients">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="name">Name</label><input type="text" id="name" name="name" value="{{name}}" required>
            <label for="redirect_uris">Redirect URIs (one per line)</label><textarea id="redirect_uris" name="redirect_uris" rows="3">{{redirect_uris}}</textarea>
            <label for="post_logout">Post-logout redirect URIs (one per line)</label><textarea id="post_logout" name="post_logout_redirect_uris" rows="2">{{post_logout}}</textarea>
            <label for="type">Type</label><select id="type" name="type"><option value="confidential">confidential (has a secret)</option><option value="public">public (PKCE, no secret)</option></select>
            <label for="grant_types">Grant types (space-separated; empty: authorization_code refresh_token)</label><input type="text" id="grant_types" name="grant_types" value="{{grant_types}}">
            <label for="response_types">Response types (one per line; empty: code)</label><textarea id="response_types" name="response_types" rows="2">{{response_types}}</textarea>
            <label for="scopes">Scopes (space-separated; empty: the standard ones)</label><input type="text" id="scopes" name="scopes" value="{{scopes}}">
            <label for="alg">ID-token algorithm</label><select id="alg" name="id_token_alg"><option>RS256</option><option>ES256</option><option>EdDSA</option><option>HS256</option></select>
            <label for="auth">Token endpoint authentication</label><select id="auth" name="token_endpoint_auth_method"><option value="">client_secret_basic or client_secret_post</option><option>client_secret_basic</option><option>client_secret_post</option></select>
            <label class="check"><input type="checkbox" name="require_consent" value="on" checked> Ask users for consent</label>
            <label class="check"><input type="checkbox" name="reuse_consent" value="on" checked> Remember consent</label>
            <button type="submit">Create client</button>
          </form>
        """ + foot

    static let adminClientCreated = adminHead("Client created") + """
          <h1>{{name}} is registered</h1>
          <dl class="facts"><dt>client_id</dt><dd><code>{{client_id}}</code></dd>
          {{#secret}}<dt>client_secret</dt><dd><code class="secret-value">{{secret}}</code></dd>{{/secret}}</dl>
          {{#secret}}<p class="note">The secret is shown only now: Gatehouse keeps only its digest. Copy it to the application.</p>{{/secret}}
          <p><a href="{{base}}/admin/clients/{{path_id}}">The client's page</a></p>
        """ + foot

    static let adminClient = adminHead("Client") + """
          <h1>{{name}}</h1>
          <dl class="facts">
            <dt>client_id</dt><dd><code>{{client_id}}</code></dd>
            <dt>Type</dt><dd>{{type}}</dd>
            <dt>Redirect URIs</dt><dd>{{#redirects}}{{.}}<br>{{/redirects}}</dd>
            <dt>Post-logout URIs</dt><dd>{{#post_logout}}{{.}}<br>{{/post_logout}}</dd>
            <dt>Grant types</dt><dd>{{grant_types}}</dd>
            <dt>Response types</dt><dd>{{response_types}}</dd>
            <dt>Scopes</dt><dd>{{scopes}}</dd>
            <dt>Consent</dt><dd>{{consent}}</dd>
            <dt>Authentication</dt><dd>{{auth_method}}</dd>
            <dt>ID-token algorithm</dt><dd>{{alg}}</dd>
            <dt>Created</dt><dd>{{created}}</dd>
          </dl>
          <h2>Edit</h2>
          <form method="post" action="{{base}}/admin/clients/{{path_id}}/edit">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="name">Name</label><input type="text" id="name" name="name" value="{{name}}" required>
            <label for="redirect_uris">Redirect URIs (one per line)</label><textarea id="redirect_uris" name="redirect_uris" rows="3">{{redirect_text}}</textarea>
            <label for="post_logout">Post-logout redirect URIs (one per line)</label><textarea id="post_logout" name="post_logout_redirect_uris" rows="2">{{post_logout_text}}</textarea>
            <label for="grant_types">Grant types (space-separated)</label><input type="text" id="grant_types" name="grant_types" value="{{grant_types}}">
            <label for="response_types">Response types (one per line)</label><textarea id="response_types" name="response_types" rows="2">{{response_types_text}}</textarea>
            <label for="scopes">Scopes (space-separated)</label><input type="text" id="scopes" name="scopes" value="{{scopes}}">
            <label for="alg">ID-token algorithm</label><select id="alg" name="id_token_alg">{{#alg_options}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/alg_options}}</select>
            {{#confidential}}<label for="auth">Token endpoint authentication</label><select id="auth" name="token_endpoint_auth_method">{{#auth_options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/auth_options}}</select>{{/confidential}}
            <label class="check"><input type="checkbox" name="require_consent" value="on"{{#require_consent}} checked{{/require_consent}}> Ask users for consent</label>
            <label class="check"><input type="checkbox" name="reuse_consent" value="on"{{#reuse_consent}} checked{{/reuse_consent}}> Remember consent</label>
            <button type="submit">Save</button>
          </form>
          {{#confidential}}
          <h2>Rotate the secret</h2>
          <form method="post" action="{{base}}/admin/clients/{{path_id}}/rotate-secret">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            \(reauth)
            <button type="submit">Rotate the secret</button> <span class="note">The old secret stops working at once.</span>
          </form>
          {{/confidential}}
          <h2>Delete</h2>
          <form method="post" action="{{base}}/admin/clients/{{path_id}}/delete">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            \(reauth)
            <button type="submit" class="danger">Delete this client</button> <span class="note">Every token issued to it stops working.</span>
          </form>
        """ + foot

    static let adminUsers = adminHead("Users") + """
          <h1>Users</h1>
          <form method="get" action="{{base}}/admin/users" class="search"><input type="text" name="q" value="{{q}}" aria-label="Search users" placeholder="Username, name or email"><button type="submit" class="secondary">Search</button> <a href="{{base}}/admin/users/new">New user</a></form>
          <table><thead><tr><th>Username</th><th>Name</th><th>Email</th><th>State</th><th>Last sign-in</th></tr></thead><tbody>
          {{#users}}<tr><td><a href="{{base}}/admin/users/{{path_name}}">{{username}}</a></td><td>{{name}}</td><td>{{email}}</td><td>{{state}}</td><td>{{last_login}}</td></tr>{{/users}}
          </tbody></table>
          {{^users}}<p class="note">No user matches.</p>{{/users}}
        """ + foot

    static let adminUserNew = adminHead("New user") + """
          <h1>New user</h1>
          <form method="post" action="{{base}}/admin/users">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="username">Username</label><input type="text" id="username" name="username" value="{{username}}" required>
            <label for="given">Given name</label><input type="text" id="given" name="given_name" value="{{given_name}}">
            <label for="family">Family name</label><input type="text" id="family" name="family_name" value="{{family_name}}">
            <label for="email">Email</label><input type="text" id="email" name="email" value="{{email}}">
            <label for="password">Password</label><input type="password" id="password" name="new_password" autocomplete="new-password" required>
            <button type="submit">Create user</button>
          </form>
        """ + foot

    static let adminUser = adminHead("User") + """
          <h1>{{username}}</h1>
          <dl class="facts">
            <dt>sub</dt><dd><code>{{subject}}</code></dd>
            {{#name}}<dt>Name</dt><dd>{{name}}</dd>{{/name}}
            {{#email}}<dt>Email</dt><dd>{{email}}</dd>{{/email}}
            <dt>State</dt><dd>{{state}}</dd>
            <dt>Admin</dt><dd>{{#admin}}yes{{/admin}}{{^admin}}no{{/admin}}</dd>
            <dt>Created</dt><dd>{{created}}</dd>
            <dt>Last sign-in</dt><dd>{{last_login}}</dd>
          </dl>
          <div class="actions">
          {{#active}}<form method="post" action="{{base}}/admin/users/{{path_name}}/disable"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><button type="submit" class="secondary">Disable</button></form>{{/active}}
          {{^active}}<form method="post" action="{{base}}/admin/users/{{path_name}}/enable"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><button type="submit" class="secondary">Enable</button></form>{{/active}}
          <form method="post" action="{{base}}/admin/users/{{path_name}}/unlock"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><button type="submit" class="secondary">Unlock</button></form>
          {{#admin}}<form method="post" action="{{base}}/admin/users/{{path_name}}/unset-admin"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><button type="submit" class="secondary">Remove admin</button></form>{{/admin}}
          {{^admin}}<form method="post" action="{{base}}/admin/users/{{path_name}}/set-admin"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><button type="submit" class="secondary">Make admin</button></form>{{/admin}}
          </div>
          <h2>Profile</h2>
          <form method="post" action="{{base}}/admin/users/{{path_name}}/profile">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="given">Given name</label><input type="text" id="given" name="given_name" value="{{given_name}}">
            <label for="family">Family name</label><input type="text" id="family" name="family_name" value="{{family_name}}">
            <label for="email">Email</label><input type="text" id="email" name="email" value="{{email}}">
            <label class="check"><input type="checkbox" name="email_verified" value="on"{{#email_verified}} checked{{/email_verified}}> The email address is verified</label>
            <label for="phone">Phone number</label><input type="text" id="phone" name="phone_number" value="{{phone_number}}">
            <button type="submit">Save profile</button>
          </form>
          <h2>Custom claims</h2>
          {{^claims}}<p class="note">None.</p>{{/claims}}
          {{#claims}}<div class="row"><div><strong>{{name}}</strong><p class="note"><code>{{value}}</code></p></div>
            <form method="post" action="{{base}}/admin/users/{{path_name}}/unset-claim"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><input type="hidden" name="claim" value="{{name}}"><button type="submit" class="secondary">Remove</button></form></div>{{/claims}}
          <form method="post" action="{{base}}/admin/users/{{path_name}}/set-claim" class="search">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <input type="text" name="claim" aria-label="Claim name" placeholder="claim name">
            <input type="text" name="value" aria-label="Value" placeholder="value (JSON or text)">
            <button type="submit" class="secondary">Set claim</button>
          </form>
          <h2>Applications</h2>
          {{^applications}}<p class="note">None.</p>{{/applications}}
          {{#applications}}<div class="row"><div><strong>{{client_name}}</strong><p class="note">{{scopes}}{{#grants}} · {{grants}} grant(s){{/grants}}</p></div>
            <form method="post" action="{{base}}/admin/users/{{path_name}}/revoke"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><input type="hidden" name="client_id" value="{{client_id}}"><button type="submit" class="secondary">Revoke</button></form></div>{{/applications}}
          <h2>Sessions</h2>
          {{^sessions}}<p class="note">None.</p>{{/sessions}}
          {{#sessions}}<div class="row"><div>signed in {{created}}<p class="note">last seen {{last_seen}}</p></div>
            <form method="post" action="{{base}}/admin/users/{{path_name}}/end-session"><input type="hidden" name="csrf_token" value="{{csrf_token}}"><input type="hidden" name="session" value="{{handle}}"><button type="submit" class="secondary">Sign out</button></form></div>{{/sessions}}
          <h2>Set a new password</h2>
          <form method="post" action="{{base}}/admin/users/{{path_name}}/password">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="new-password">New password</label><input type="password" id="new-password" name="new_password" autocomplete="new-password" required>
            \(reauth)
            <button type="submit">Set password</button> <span class="note">Ends the user's sessions and revokes their grants.</span>
          </form>
          <h2>Delete</h2>
          <form method="post" action="{{base}}/admin/users/{{path_name}}/delete">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            \(reauth)
            <button type="submit" class="danger">Delete this user</button>
          </form>
        """ + foot

    static let adminKeys = adminHead("Signing keys") + """
          <h1>Signing keys</h1>
          <table><thead><tr><th>State</th><th>Algorithm</th><th>kid</th><th>Created</th><th>Activated</th><th>Retired</th></tr></thead><tbody>
          {{#keys}}<tr><td>{{state}}</td><td>{{alg}}</td><td><code>{{kid}}</code></td><td class="time">{{created}}</td><td class="time">{{activated}}</td><td class="time">{{retired}}</td></tr>{{/keys}}
          </tbody></table>
          <h2>Rotate now</h2>
          <p class="note">The next key becomes active at once; relying parties with an old cached JWKS refetch it. The old key stays published until its ID tokens expire.</p>
          <form method="post" action="{{base}}/admin/keys/rotate">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="alg">Algorithm</label><select id="alg" name="alg"><option>RS256</option><option>ES256</option><option>EdDSA</option></select>
            \(reauth)
            <button type="submit">Rotate now</button>
          </form>
        """ + foot

    static let adminAudit = adminHead("Audit log") + """
          <h1>Audit log</h1>
          <form method="get" action="{{base}}/admin/audit" class="filters">
            <label>Actor<input type="text" name="actor" value="{{actor}}" placeholder="cli, system, user:NAME"></label>
            <label>Action<input type="text" name="action" value="{{action}}" placeholder="sign-in.failed"></label>
            <label>Target<input type="text" name="target" value="{{target}}" placeholder="user:NAME, client:ID"></label>
            <label>Since<input type="text" name="since" value="{{since}}" placeholder="24h, 2026-12-01"></label>
            <button type="submit" class="secondary">Filter</button>
          </form>
          <table><thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Address</th><th>Details</th></tr></thead><tbody>
          {{#events}}<tr><td class="time">{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td><td>{{address}}</td><td>{{details}}</td></tr>{{/events}}
          </tbody></table>
          {{^events}}<p class="note">No event matches.</p>{{/events}}
        """ + foot
}

/// The built-in pages. Kept in code rather than as bundle resources so the
/// binary alone is the whole server; OIDC_TEMPLATES_DIR overrides any of them.
enum DefaultTemplates {
    static let style = """
        <style>
          body { font-family: system-ui, sans-serif; background: #f5f5f7; color: #1d1d1f; margin: 0; }
          main { max-width: 24rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 12px;
                 box-shadow: 0 1px 4px rgba(0,0,0,.1); }
          h1 { font-size: 1.4rem; margin-top: 0; }
          label { display: block; margin-top: 1rem; font-weight: 600; }
          input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem;
                 margin-top: .3rem; border: 1px solid #888; border-radius: 6px; font-size: 1rem; }
          button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; border-radius: 6px; border: 1px solid #0058b0;
                   background: #0066cc; color: #fff; cursor: pointer; }
          button.secondary { background: #fff; color: #0058b0; }
          .error { color: #b00020; font-weight: 600; }
          ul { padding-left: 1.2rem; }
        </style>
        """

    static let login = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Sign in</title>\(style)</head>
        <body><main>
          <h1>Sign in{{#client_name}} to continue to {{client_name}}{{/client_name}}</h1>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <form method="post" action="/login">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <input type="hidden" name="next" value="{{next}}">
            <label for="username">Username</label>
            <input type="text" id="username" name="username" value="{{username}}" autocomplete="username" required autofocus>
            <label for="password">Password</label>
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
          </form>
        </main></body>
        </html>
        """

    static let consent = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Allow access?</title>\(style)</head>
        <body><main>
          <h1>{{client_name}} wants to access your account</h1>
          <p>Signed in as <strong>{{username}}</strong>. If you allow it, {{client_name}} will be able to:</p>
          <ul>{{#scopes}}<li>{{.}}</li>{{/scopes}}</ul>
          <form method="post" action="/consent">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <input type="hidden" name="request" value="{{request}}">
            <button type="submit" name="allow" value="allow">Allow</button>
            <button type="submit" name="deny" value="deny" class="secondary">Deny</button>
          </form>
        </main></body>
        </html>
        """

    static let error = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{title}}</title>\(style)</head>
        <body><main>
          <h1>{{title}}</h1>
          <p class="error" role="alert">{{message}}</p>
        </main></body>
        </html>
        """

    static let message = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{title}}</title>\(style)</head>
        <body><main>
          <h1>{{title}}</h1>
          <p>{{message}}</p>
        </main></body>
        </html>
        """

    static let all: [(String, String)] = [("login", login), ("consent", consent), ("error", error), ("message", message)]
}

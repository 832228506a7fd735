/// The account page (`/account`) and its second-factor steps. Plain forms,
/// each with the session's CSRF token; no script.
extension DefaultTemplates {
    static let account = head("Your account") + """
          <h1>Your account</h1>
          {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <section>
            <h2>Profile</h2>
            <dl class="facts">
              <dt>Username</dt><dd>{{username}}</dd>
              {{#name}}<dt>Name</dt><dd>{{name}}</dd>{{/name}}
              {{#email}}<dt>Email</dt><dd>{{email}}</dd>{{/email}}
            </dl>
          </section>
          <section>
            <h2>Applications you allowed</h2>
            {{^applications}}<p class="note">No application has access to your account.</p>{{/applications}}
            {{#applications}}
            <div class="row">
              <div><strong>{{client_name}}</strong>
                <p class="note">{{scopes}}{{#consent_until}} · remembered until {{consent_until}}{{/consent_until}}{{#grants}} · {{grants}} active sign-in(s){{/grants}}</p></div>
              <form method="post" action="{{base}}/account/applications/withdraw">
                <input type="hidden" name="csrf_token" value="{{csrf_token}}">
                <input type="hidden" name="client_id" value="{{client_id}}">
                <button type="submit" class="secondary">Withdraw access</button>
              </form>
            </div>
            {{/applications}}
          </section>
          <section>
            <h2>Where you are signed in</h2>
            {{#sessions}}
            <div class="row">
              <div>{{#current}}<strong>This browser</strong>{{/current}}{{^current}}Another browser{{/current}}
                <p class="note">signed in {{created}} · last seen {{last_seen}}</p></div>
              <form method="post" action="{{base}}/account/sessions/end">
                <input type="hidden" name="csrf_token" value="{{csrf_token}}">
                <input type="hidden" name="session" value="{{handle}}">
                <button type="submit" class="secondary">Sign out</button>
              </form>
            </div>
            {{/sessions}}
          </section>
          <section>
            <h2>Two-step sign-in</h2>
            {{#totp_enabled}}
            <p>An authenticator app is set up since {{totp_since}}. Recovery codes left: {{recovery_left}}.</p>
            <form method="post" action="{{base}}/account/totp/remove">
              <input type="hidden" name="csrf_token" value="{{csrf_token}}">
              <label for="remove-password">Your password, to remove it</label>
              <input type="password" id="remove-password" name="password" autocomplete="current-password" required>
              <button type="submit" class="secondary">Remove the authenticator</button>
            </form>
            {{/totp_enabled}}
            {{^totp_enabled}}
            <p class="note">Use an authenticator app (six-digit codes) as a second step after your password.{{#is_admin}} The admin console requires it.{{/is_admin}}</p>
            <form method="post" action="{{base}}/account/totp/start">
              <input type="hidden" name="csrf_token" value="{{csrf_token}}">
              <button type="submit">Set up an authenticator</button>
            </form>
            {{/totp_enabled}}
          </section>
          <section>
            <h2>Change your password</h2>
            <form method="post" action="{{base}}/account/password">
              <input type="hidden" name="csrf_token" value="{{csrf_token}}">
              <label for="current-password">Current password</label>
              <input type="password" id="current-password" name="current_password" autocomplete="current-password" required>
              <label for="new-password">New password</label>
              <input type="password" id="new-password" name="new_password" autocomplete="new-password" required>
              <label for="confirm-password">New password again</label>
              <input type="password" id="confirm-password" name="confirm_password" autocomplete="new-password" required>
              <button type="submit">Change password</button>
            </form>
            <p class="note">Changing it signs you out everywhere and ends every application's access.</p>
          </section>
        """ + foot

    static let accountTOTP = head("Set up an authenticator") + """
          <h1>Set up an authenticator</h1>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <p>In your authenticator app, add an account with this key (time-based, six digits):</p>
          <p class="secret"><code>{{secret}}</code></p>
          <p class="note">Or open this link on the device that has the app: <a class="uri" href="{{uri}}">{{uri}}</a></p>
          <form method="post" action="{{base}}/account/totp/confirm">
            <input type="hidden" name="csrf_token" value="{{csrf_token}}">
            <label for="code">The six-digit code the app shows now</label>
            <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus>
            <button type="submit">Turn on</button>
          </form>
          <p><a href="{{base}}/account">Cancel</a></p>
        """ + foot

    static let recoveryCodes = head("Your recovery codes") + """
          <h1>Your recovery codes</h1>
          <p>Two-step sign-in is on. If you lose your authenticator, each of these codes signs you in once instead of a six-digit code. They are shown only now: keep them somewhere safe.</p>
          <ul class="codes">{{#codes}}<li><code>{{.}}</code></li>{{/codes}}</ul>
          <p><a href="{{base}}/account">Back to your account</a></p>
        """ + foot
}

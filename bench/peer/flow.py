"""One whole browser sign-in at the peer (django-oidc-provider), as a relying
party and a new browser would do it (standard library only):

1. GET /openid/authorize (code flow, scope "openid profile email", state,
   nonce and prompt=consent, so the consent page shows every time)
   -> 302 to Django's login page;
2. GET /accounts/login/?next=... -> the form and the CSRF cookie;
3. POST /accounts/login/ with username, password and csrfmiddlewaretoken
   -> 302 back to /openid/authorize;
4. GET /openid/authorize -> the consent page;
5. POST /openid/authorize with its hidden fields and "allow"
   -> 302 to the redirect URI with the code and state;
6. POST /openid/token (HTTP Basic client authentication) -> tokens, the ID
   token's nonce and audience checked;
7. GET /openid/userinfo with the access token -> the claims, `sub` checked.

sign_in(base_url, cfg) raises on any unexpected answer. cfg holds the keys of
client.env (CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD,
AUTHORIZE_PATH, TOKEN_PATH, USERINFO_PATH). Redirects are followed by hand,
each checked. One cookie jar per sign-in; one HTTPConnection, which reopens
itself when the server closes the connection after a response (gunicorn's
sync workers do after every one).
"""
import base64
import secrets
import urllib.parse

from browser import Browser, FlowError, expect, field, local_path, redeem_and_check

SCOPE = "openid profile email"


def sign_in(base_url: str, cfg: dict) -> None:
    authorize_path = cfg.get("AUTHORIZE_PATH", "/openid/authorize")
    token_path = cfg.get("TOKEN_PATH", "/openid/token")
    userinfo_path = cfg.get("USERINFO_PATH", "/openid/userinfo")
    client_id, redirect_uri = cfg["CLIENT_ID"], cfg["REDIRECT_URI"]
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    browser = Browser(base_url)
    try:
        query = urllib.parse.urlencode({
            "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": SCOPE, "state": state, "nonce": nonce, "prompt": "consent",
        })
        status, headers, page = browser.request("GET", f"{authorize_path}?{query}")
        expect(status, 302, "authorize", page)
        login_path = local_path(headers["Location"])

        status, _, page = browser.request("GET", login_path)
        expect(status, 200, "login page", page)
        if 'name="password"' not in page:
            raise FlowError("login page: no password field")

        status, headers, page = browser.request("POST", login_path.split("?")[0], form={
            "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), "next": field(page, "next"),
            "username": cfg["USERNAME"], "password": cfg["PASSWORD"],
        }, headers={"Referer": f"http://{browser.host}{login_path}"})
        expect(status, 302, "login", page)
        back = local_path(headers["Location"])
        if not back.startswith(authorize_path):
            raise FlowError(f"login: redirected to {back[:200]!r}")

        status, _, page = browser.request("GET", back)
        expect(status, 200, "authorize after login", page)
        form = {name: field(page, name) for name in
                ("csrfmiddlewaretoken", "client_id", "redirect_uri", "response_type", "scope", "state", "nonce")}
        form["allow"] = "Authorize"
        status, headers, page = browser.request("POST", authorize_path, form=form,
                                                headers={"Referer": f"http://{browser.host}{back}"})
        expect(status, 302, "consent", page)
        location = headers["Location"]
        if not location.startswith(redirect_uri):
            raise FlowError(f"consent: redirected to {location[:200]!r}")
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        if params.get("state") != [state] or "code" not in params:
            raise FlowError(f"consent: redirect without the code or state: {location[:200]!r}")

        # django-oidc-provider splits the Basic credentials on ":" without
        # URL-decoding them; the client id and secret are URL-safe.
        basic = base64.b64encode(f"{client_id}:{cfg['CLIENT_SECRET']}".encode()).decode()
        redeem_and_check(browser, cfg, params["code"][0], nonce, basic, token_path, userinfo_path)
    finally:
        browser.close()

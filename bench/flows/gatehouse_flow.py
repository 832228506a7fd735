"""One whole browser sign-in at Gatehouse, as a relying party and a new
browser would do it (standard library only):

1. GET /authorize (code flow, scope "openid email profile", state, nonce and
   prompt=consent, so the consent page shows every time) -> the login page;
2. POST /login with the username, password and CSRF token -> 303 back to /authorize;
3. GET /authorize -> the consent page;
4. POST /consent with "allow" -> 302 to the redirect URI with the code and state;
5. POST /token (HTTP Basic client authentication) -> tokens, the ID token's nonce checked;
6. GET /userinfo with the access token -> the claims, the `sub` checked.

sign_in(base_url, cfg) raises on any unexpected answer. cfg holds the keys of
client.env: CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD and
optionally AUTHORIZE_PATH, TOKEN_PATH, USERINFO_PATH.
"""
import base64
import secrets
import urllib.parse

from browser import Browser, FlowError, expect, field, local_path, redeem_and_check

SCOPE = "openid email profile"


def sign_in(base_url: str, cfg: dict) -> None:
    authorize_path = cfg.get("AUTHORIZE_PATH", "/authorize")
    token_path = cfg.get("TOKEN_PATH", "/token")
    userinfo_path = cfg.get("USERINFO_PATH", "/userinfo")
    client_id, redirect_uri = cfg["CLIENT_ID"], cfg["REDIRECT_URI"]
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    browser = Browser(base_url)
    try:
        query = urllib.parse.urlencode({
            "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": SCOPE, "state": state, "nonce": nonce, "prompt": "consent",
        })
        status, _, page = browser.request("GET", f"{authorize_path}?{query}")
        expect(status, 200, "authorize", page)
        if 'name="password"' not in page:
            raise FlowError("authorize: no login form")

        status, headers, page = browser.request("POST", "/login", form={
            "csrf_token": field(page, "csrf_token"), "next": field(page, "next"),
            "username": cfg["USERNAME"], "password": cfg["PASSWORD"],
        })
        expect(status, 303, "login", page)
        status, _, page = browser.request("GET", local_path(headers["Location"]))
        expect(status, 200, "authorize after login", page)

        status, headers, page = browser.request("POST", "/consent", form={
            "csrf_token": field(page, "csrf_token"), "request": field(page, "request"), "allow": "allow",
        })
        expect(status, 302, "consent", page)
        location = headers["Location"]
        if not location.startswith(redirect_uri):
            raise FlowError(f"consent: redirected to {location[:200]!r}")
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        if params.get("state") != [state] or "code" not in params:
            raise FlowError(f"consent: redirect without the code or state: {location[:200]!r}")

        basic = base64.b64encode(
            f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(cfg['CLIENT_SECRET'], safe='')}".encode()
        ).decode()
        redeem_and_check(browser, cfg, params["code"][0], nonce, basic, token_path, userinfo_path)
    finally:
        browser.close()

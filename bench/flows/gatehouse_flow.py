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
import html
import http.client
import json
import re
import secrets
import urllib.parse
from http.cookies import SimpleCookie

SCOPE = "openid email profile"


class FlowError(Exception):
    pass


class Browser:
    """One keep-alive connection and a cookie jar."""

    def __init__(self, base_url: str):
        url = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, form=None, headers=None, cookies=True):
        headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        if cookies:
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response.status, response.headers, text


def field(page: str, name: str) -> str:
    match = re.search(r'name="%s"\s+value="([^"]*)"' % re.escape(name), page)
    if not match:
        raise FlowError(f"no {name} field in the page")
    return html.unescape(match.group(1))


def expect(status: int, wanted: int, step: str, text: str) -> None:
    if status != wanted:
        raise FlowError(f"{step}: status {status}, expected {wanted}: {text[:200]!r}")


def local_path(location: str) -> str:
    url = urllib.parse.urlsplit(location)
    return url.path + ("?" + url.query if url.query else "")


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


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
        status, _, text = browser.request("POST", token_path, form={
            "grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": redirect_uri,
        }, headers={"Authorization": f"Basic {basic}"}, cookies=False)
        expect(status, 200, "token", text)
        tokens = json.loads(text)
        claims = jwt_claims(tokens["id_token"])
        if claims.get("nonce") != nonce or claims.get("aud") not in (client_id, [client_id]):
            raise FlowError("token: the ID token's nonce or audience is wrong")

        status, _, text = browser.request("GET", userinfo_path, headers={
            "Authorization": f"Bearer {tokens['access_token']}"}, cookies=False)
        expect(status, 200, "userinfo", text)
        if json.loads(text).get("sub") != claims.get("sub"):
            raise FlowError("userinfo: sub differs from the ID token's")
    finally:
        browser.close()

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
import html
import http.client
import json
import re
import secrets
import urllib.parse
from http.cookies import SimpleCookie

SCOPE = "openid profile email"


class FlowError(Exception):
    pass


class Browser:
    def __init__(self, base_url: str):
        url = urllib.parse.urlsplit(base_url)
        self.host = url.netloc
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        self.cookies: dict = {}

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
        if response.will_close:
            self.conn.close()
        if cookies:
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response.status, response.headers, text


def field(page: str, name: str) -> str:
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(r'\bname="%s"' % re.escape(name), tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            if match:
                return html.unescape(match.group(1))
    raise FlowError(f"no {name} field in the page")


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

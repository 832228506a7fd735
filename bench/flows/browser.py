"""What both sign-in flows (bench/flows/gatehouse_flow.py, bench/peer/flow.py)
share: a one-connection browser with a cookie jar, form-field scraping,
status checks, and the code exchange and userinfo call that end a sign-in.
Standard library only.
"""
import base64
import html
import http.client
import json
import re
import urllib.parse
from http.cookies import SimpleCookie


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


def redeem_and_check(browser: Browser, cfg: dict, code: str, nonce: str, basic: str,
                     token_path: str, userinfo_path: str) -> None:
    """POST the code to `token_path` with HTTP Basic `basic`, check the ID
    token's nonce and audience, then GET `userinfo_path` and check its `sub`."""
    client_id, redirect_uri = cfg["CLIENT_ID"], cfg["REDIRECT_URI"]
    status, _, text = browser.request("POST", token_path, form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
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

#!/usr/bin/env python3
"""Runs every response type in every response mode against `gatehouse serve`,
for clients that sign their ID tokens with RS256, ES256, EdDSA and HS256, and
checks each answer, each ID token and each access token; then lets a real
relying party library (Authlib) run a hybrid and an implicit flow.

    check_response_types.py GATEHOUSE_BINARY   (DATABASE_URL names a database it may use)

It migrates the database, creates a user and, per signing algorithm, a
confidential client registered for all six response types (plus one client
registered for `code` only), starts the server on a free port and drives
/authorize as a browser does: cookies kept in a jar by name (`cookiejar.py`),
the sign-in page's form posted once per browser (its CSRF token is bound to
the `gatehouse_login` cookie; signing in sets `gatehouse_session`), the
consent page's form posted with `allow` whenever it is shown. There is one
browser per signing client (the clients run in parallel threads) and one for
Authlib; the extra cases reuse the RS256 client's browser.

The cases: `code` in query, fragment, form_post and the default mode (query);
`id_token`, `id_token token`, `code id_token`, `code token` and
`code id_token token` in fragment, form_post and the default mode (fragment).
Expectations, for each:
  - query and fragment answers are a 302/303 to the redirect URI with the
    parameters in that part only; form_post answers are a 200 HTML page whose
    `<form method="post">` targets the redirect URI with one hidden input per
    parameter, a visible submit button and a same-origin `/static/` script
    (200, a JavaScript type) that submits it; no inline script or handler;
    its CSP has no 'unsafe-inline', lets the script load from 'self' and,
    when it has a form-action, lets the form reach the redirect URI; the page
    is `Cache-Control: no-store`;
  - the parameters are what the type asks for and no other credential:
    `code`; `access_token`, `token_type` (Bearer), `expires_in`; `id_token`;
    always `state` (echoed, though it holds characters to escape) and `iss`;
  - every ID token verifies (joserfc) with the key of its `kid` in /jwks, or
    for HS256 with the client secret, under the client's algorithm; it has
    iss, aud, sub, exp (in the future), iat, auth_time and the nonce sent;
    `at_hash` exactly when an access token came in the same answer, `c_hash`
    exactly when a code did (left half of SHA-256, SHA-512 for EdDSA); an
    ID token that comes alone carries the user's email and names;
  - a code redeems at /token (HTTP Basic): access_token, token_type and an
    ID token that verifies the same way, with `at_hash` for that access token
    and the front channel's `sub`; every access token works at /userinfo and
    names the ID token's `sub`.
Error cases: response_mode=query with a type that returns a token, and an
ID token asked for without a nonce, are `invalid_request` in the fragment (or
in a form_post page when that mode was asked for); the code-only client asking
for `code id_token` is `unauthorized_client`; errors carry state and iss.
Besides: /jwks keys have kid (their RFC 7638 thumbprint), kty, alg, use=sig,
the public members of their curve and no private member; discovery lists the
six types, the three modes and the four algorithms. Authlib's OAuth2Session
then runs `code id_token` (front-channel ID token checked as HybridIDToken,
the code fetched with fetch_token, that ID token checked as CodeIDToken) and
`id_token token` (token_from_fragment, ImplicitIDToken, /userinfo through the
session) against the RS256 and ES256 clients.

GATEHOUSE_SECRET_KEY, when set, is the server's key; otherwise a random one is
made for the run. Each failure is printed on a line of its own, starting with
its case; the last line printed is the summary:
`response types: N flows, M ID tokens verified, failures: K`.
"""
import atexit
import base64
import concurrent.futures
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemcheck  # noqa: E402
from systemcheck import FORM, Page, basic, encode, hidden, why  # noqa: E402

try:
    from joserfc import jwt as jose_jwt
    from joserfc.errors import SecurityWarning
    from joserfc.jwk import KeySet, OctKey, import_key
    import authlib.deprecate
    # authlib.deprecate turns its warnings on when imported; authlib.jose (its own JOSE code,
    # deprecated in favour of joserfc but still a second implementation) warns once imported.
    warnings.filterwarnings("ignore", category=authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oidc.core import CodeIDToken, HybridIDToken, ImplicitIDToken
except ImportError as error:
    sys.exit(f"{error}: run scripts/ensure-python-deps.sh")
try:
    from authlib.jose import JsonWebKey, jwt as authlib_jwt
except ImportError:  # an Authlib without authlib.jose (announced for 2.0): decode as its OpenID client does
    JsonWebKey = authlib_jwt = None

warnings.filterwarnings("ignore", category=SecurityWarning)  # "EdDSA is deprecated via RFC 9864", short HMAC keys

BINARY = sys.argv[1]
HOST = "127.0.0.1"
ALGS = ["RS256", "ES256", "EdDSA", "HS256"]
TYPES = ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"]
MODES = {"code": ["query", "fragment", "form_post", None]}  # None: no response_mode (the type's default)
for _type in TYPES[1:]:
    MODES[_type] = ["fragment", "form_post", None]
SCOPE = "openid profile email"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
JS_TYPES = {"text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript"}

env = systemcheck.environment()

PORT = systemcheck.free_port(HOST)
ISSUER = f"http://{HOST}:{PORT}"
REDIRECT = ISSUER + "/cb"
# Registered besides on the RS256 client: another origin (localhost is not 127.0.0.1), so a
# form_post page whose CSP limited form-action to 'self' would be caught.
OTHER_ORIGIN_REDIRECT = f"http://localhost:{PORT}/cb"

tag = secrets.token_hex(4)
USERNAME, PASSWORD = f"rt_{tag}", "correct horse " + secrets.token_hex(8)
EMAIL, GIVEN, FAMILY = f"rt_{tag}@example.org", "Zoë", "d'Arçy-Ñúñez"

# ---------------------------------------------------------------- bookkeeping

lock = threading.Lock()
failures = systemcheck.Failures()
record = failures.record
counts = {"flows": 0, "verified": 0}
cli = systemcheck.cli_runner(BINARY, env)
servers = systemcheck.Servers(BINARY, env, HOST, "gatehouse-response-types-")
atexit.register(servers.stop)
site = systemcheck.Site(HOST, PORT, ISSUER)
fetch, target_of = site.fetch, site.target_of


def count(name):
    with lock:
        counts[name] += 1


def finish():
    """Prints the failures and the summary (the last line), and exits."""
    systemcheck.finish(failures, servers, f"response types: {counts['flows']} flows, "
                       f"{counts['verified']} ID tokens verified", counts["flows"] > 0)


def abort(step, detail):
    record("set-up", f"{step}: {detail}")
    finish()


# ---------------------------------------------------------------- what reaches the client

checked_scripts = {}  # the script URLs already fetched: each is checked once


def csp_directives(value):
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words and words[0].lower() not in directives:
            directives[words[0].lower()] = words[1:]
    return directives


def origin(url):
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allows(sources, url):
    """Whether a CSP source list lets `url` through (the cases that matter here)."""
    o = origin(url)
    for source in sources:
        s = source.lower().rstrip("/")
        if s == "*" or s == o or s == urllib.parse.urlsplit(url).scheme + ":" or url.lower().startswith(s + "/"):
            return True
        if s == "'self'" and o == origin(ISSUER):
            return True
    return False


def form_post_problems(answer, page, redirect_uri):
    """What is wrong with a form_post page, beyond its parameters."""
    problems = []
    form = page.form(redirect_uri)
    buttons = [b for b in form["buttons"] if b.get("type", "submit").lower() == "submit"
               and "hidden" not in b and "display:none" not in b.get("style", "").replace(" ", "")]
    if not buttons:
        problems.append("no visible <button type=\"submit\"> in the form")
    if page.handlers:
        problems.append(f"inline event handlers (blocked by the CSP): {page.handlers[:3]}")
    sources = [s["attrs"]["src"] for s in page.scripts if s["attrs"].get("src")]
    if any(not s["attrs"].get("src") and s["text"].strip() for s in page.scripts):
        problems.append("an inline <script> (blocked by the CSP)")
    static = [src for src in sources if (target_of(src) or "").startswith("/static/")]
    if not static:
        problems.append(f"no <script src=\"/static/...\"> on the page (scripts: {sources})")
    if "no-store" not in (answer.header("Cache-Control") or "").lower():
        problems.append(f"Cache-Control {answer.header('Cache-Control')!r} lets the page (tokens) be stored")
    csp = answer.header("Content-Security-Policy")
    if csp is None:
        problems.append("no Content-Security-Policy")
    else:
        if "'unsafe-inline'" in csp.lower():
            problems.append(f"CSP allows 'unsafe-inline': {csp!r}")
        d = csp_directives(csp)
        script_sources = d.get("script-src-elem", d.get("script-src", d.get("default-src")))
        if script_sources is not None and not allows(script_sources, ISSUER + "/static/x.js"):
            problems.append(f"CSP does not let the script load from 'self': {csp!r}")
        if "form-action" in d and not allows(d["form-action"], redirect_uri):
            problems.append(f"CSP form-action keeps the form from reaching {redirect_uri}: {csp!r}")
    for src in static:
        with lock:
            seen = src in checked_scripts
            checked_scripts.setdefault(src, None)
        if seen:
            continue
        script = fetch("GET", src)
        if script.status != 200:
            problems.append(f"script {src} answered {script!r}")
        elif script.content_type not in JS_TYPES:
            problems.append(f"script {src} has Content-Type {script.header('Content-Type')!r}")
        elif b"submit" not in script.body:
            problems.append(f"script {src} does not submit the form: {script.body[:200]!r}")
    return problems


def delivered(answer, mode, redirect_uri, fail):
    """The parameters `answer` delivers to `redirect_uri` in `mode`, or None (failure recorded)."""
    if mode in ("query", "fragment"):
        location = answer.header("Location")
        if answer.status not in (302, 303) or not location:
            fail(f"expected a 302/303 to the redirect URI ({mode}), got {answer!r}")
            return None
        parts = urllib.parse.urlsplit(location)
        if urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) != redirect_uri:
            fail(f"redirect to {location[:200]!r}, not to {redirect_uri}")
            return None
        raw, other = (parts.query, parts.fragment) if mode == "query" else (parts.fragment, parts.query)
        if other:
            where = "fragment" if mode == "query" else "query"
            fail(f"parameters in the {where}, not the {mode}: {location[:200]!r}")
            return None
        pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
    elif mode == "form_post":
        if answer.status != 200 or answer.content_type != "text/html":
            fail(f"expected a 200 text/html form_post page, got {answer!r}")
            return None
        page = Page(answer.text)
        form = page.form(redirect_uri)
        if form is None:
            fail(f"no <form method=\"post\" action=\"{redirect_uri}\"> (forms: "
                 f"{[(f['method'], f['action']) for f in page.forms]})")
            return None
        for problem in form_post_problems(answer, page, redirect_uri):
            fail(problem)
        pairs = hidden(form)
    else:
        fail(f"unknown mode {mode}")
        return None
    params = {}
    for name, value in pairs:
        if name in params:
            fail(f"parameter {name} twice")
        params[name] = value
    if not params:
        fail(f"no parameters delivered ({mode})")
        return None
    return params


# ---------------------------------------------------------------- keys and ID tokens

jwks_cache = {"set": None}


def fetch_jwks():
    answer = fetch("GET", "/jwks")
    body = answer.json() if answer.status == 200 else None
    keys = body.get("keys") if body else None
    if not isinstance(keys, list):
        return None, answer
    with lock:
        jwks_cache["set"] = body
    return body, answer


def jwk_for(kid):
    for attempt in range(2):
        with lock:
            current = jwks_cache["set"]
        if current:
            for key in current["keys"]:
                if isinstance(key, dict) and key.get("kid") == kid:
                    return key
        if attempt == 0:
            fetch_jwks()  # a key rotated in since
    return None


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def half_hash(value, alg):
    digest = (hashlib.sha512 if alg == "EdDSA" else
              {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:], hashlib.sha256))
    d = digest(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(d[:len(d) // 2]).rstrip(b"=").decode()


def verify_id_token(client, token, fail, what, nonce, access_token=None, code=None, code_hash="exact",
                    user_claims=False):
    """The claims of `token` when its signature verifies, else None. Every problem is recorded;
    a token without any counts as verified. code_hash: "exact" (c_hash iff `code`) or "any"."""
    alg = client["alg"]
    problems = []
    try:
        header = b64url_json(token.split(".")[0])
    except Exception as error:
        fail(f"{what}: not a JWS ({type(error).__name__})")
        return None
    if header.get("alg") != alg:
        fail(f"{what}: header alg {header.get('alg')!r}, not {alg}")
        return None
    if alg == "HS256":
        key = OctKey.import_key(client["client_secret"].encode("utf-8"))
    else:
        kid = header.get("kid")
        jwk = jwk_for(kid) if kid else None
        if jwk is None:
            fail(f"{what}: header kid {kid!r} is not in /jwks")
            return None
        if jwk.get("alg") != alg:
            problems.append(f"its /jwks key {kid} has alg {jwk.get('alg')!r}, not {alg}")
        try:  # a private member shown is a /jwks failure of its own; the public key still verifies
            key = import_key({k: v for k, v in jwk.items() if k not in PRIVATE_MEMBERS})
        except Exception as error:
            fail(f"{what}: /jwks key {kid} does not import: {why(error)}")
            return None
    try:
        claims = jose_jwt.decode(token, key, algorithms=[alg]).claims
    except Exception as error:
        fail(f"{what}: signature does not verify ({alg}): {why(error)}")
        return None

    now = time.time()
    if claims.get("iss") != ISSUER:
        problems.append(f"iss {claims.get('iss')!r}, not {ISSUER}")
    if claims.get("aud") not in (client["client_id"], [client["client_id"]]):
        problems.append(f"aud {claims.get('aud')!r}, not {client['client_id']}")
    if not isinstance(claims.get("sub"), str) or not claims.get("sub"):
        problems.append(f"sub {claims.get('sub')!r}")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
        problems.append(f"exp {claims.get('exp')!r} is not in the future")
    for name in ("iat", "auth_time"):
        if not isinstance(claims.get(name), (int, float)):
            problems.append(f"{name} {claims.get(name)!r}")
    if claims.get("nonce") != nonce:
        problems.append(f"nonce {claims.get('nonce')!r}, not {nonce!r}")
    if access_token is not None:
        if "at_hash" not in claims:
            problems.append("no at_hash, though an access token came with it")
        elif claims["at_hash"] != half_hash(access_token, alg):
            problems.append("at_hash mismatch")
    elif "at_hash" in claims:
        problems.append("at_hash, though no access token came with it")
    if code is not None:
        if "c_hash" not in claims:
            problems.append("no c_hash, though a code came with it")
        elif claims["c_hash"] != half_hash(code, alg):
            problems.append("c_hash mismatch")
    elif "c_hash" in claims and code_hash == "exact":
        problems.append("c_hash, though no code came with it")
    if user_claims:
        for name, expected in (("email", EMAIL), ("given_name", GIVEN), ("family_name", FAMILY)):
            if claims.get(name) != expected:
                problems.append(f"{name} {claims.get(name)!r}, not {expected!r} (no access token came with it)")
    for problem in problems:
        fail(f"{what}: {problem}")
    if not problems:
        count("verified")
    return claims


def check_userinfo(access_token, sub, fail, what):
    answer = fetch("GET", "/userinfo", {"Authorization": "Bearer " + access_token})
    info = answer.json()
    if answer.status != 200 or info is None:
        fail(f"/userinfo with the {what} answered {answer!r}")
        return None
    if sub is not None and info.get("sub") != sub:
        fail(f"/userinfo with the {what}: sub {info.get('sub')!r}, not the ID token's {sub!r}")
    if "email" in info and info["email"] != EMAIL:
        fail(f"/userinfo with the {what}: email {info['email']!r}, not {EMAIL!r}")
    return info


def redeem(client, code, redirect_uri, fail):
    """The /token answer (a dict) for `code`, or None."""
    answer = fetch("POST", "/token", {"Content-Type": FORM,
                                     "Authorization": basic(client["client_id"], client["client_secret"])},
                  encode([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)]))
    tokens = answer.json()
    if answer.status != 200 or tokens is None:
        fail(f"/token answered {answer!r}")
        return None
    for name in ("access_token", "id_token", "token_type"):
        if not isinstance(tokens.get(name), str) or not tokens[name]:
            fail(f"/token: no {name} ({sorted(tokens)})")
            return None
    if tokens["token_type"].lower() != "bearer":
        fail(f"/token: token_type {tokens['token_type']!r}")
    return tokens


# ---------------------------------------------------------------- the cases

def new_state():
    # Characters a form_post page must escape and a query or fragment must encode.
    return f"s-{secrets.token_hex(4)} &<>\"'+%#="


def new_nonce():
    return f"n-{secrets.token_hex(8)}"


def authorize_url(client, response_type, mode, state, nonce, redirect_uri=REDIRECT):
    pairs = [("client_id", client["client_id"]), ("redirect_uri", redirect_uri), ("response_type", response_type),
             ("scope", SCOPE), ("state", state)]
    if nonce is not None:
        pairs.append(("nonce", nonce))
    if mode is not None:
        pairs.append(("response_mode", mode))
    return "/authorize?" + encode(pairs)


def guarded(case, body):
    """Runs one case; an exception is that case's failure, never the end of the run."""
    count("flows")
    fail = lambda message: record(case, message)  # noqa: E731
    try:
        body(fail)
    except Exception as error:
        fail(f"unexpected {why(error)}")


def success_case(client, browser, response_type, mode, redirect_uri=REDIRECT, label=""):
    words = set(response_type.split())
    effective = mode or ("query" if response_type == "code" else "fragment")
    case = f"{client['alg']} {response_type} {mode or 'default (' + effective + ')'}{label}"

    def body(fail):
        state, nonce = new_state(), new_nonce()
        answer = browser.authorize(authorize_url(client, response_type, mode, state, nonce, redirect_uri), fail)
        if answer is None:
            return
        got = delivered(answer, effective, redirect_uri, fail)
        if got is None:
            return
        if "error" in got:
            fail(f"error {got['error']!r}: {got.get('error_description', '')}")
            return
        if got.get("state") != state:
            fail(f"state {got.get('state')!r}, not {state!r}")
        if got.get("iss") != ISSUER:
            fail(f"iss {got.get('iss')!r}, not {ISSUER}")
        wanted = {"code": "code" in words, "id_token": "id_token" in words, "access_token": "token" in words,
                  "token_type": "token" in words, "expires_in": "token" in words}
        for name, expected in wanted.items():
            if expected and not got.get(name):
                fail(f"no {name} (got {sorted(got)})")
            elif not expected and name in got:
                fail(f"{name}, though {response_type!r} does not ask for it")
        code = got.get("code") if "code" in words else None
        access = got.get("access_token") if "token" in words else None
        if access:
            if (got.get("token_type") or "").lower() != "bearer":
                fail(f"token_type {got.get('token_type')!r}")
            if not (got.get("expires_in") or "").isdigit() or int(got["expires_in"]) <= 0:
                fail(f"expires_in {got.get('expires_in')!r}")
        front_sub = None
        if "id_token" in words and got.get("id_token"):
            claims = verify_id_token(client, got["id_token"], fail, "front-channel ID token", nonce,
                                     access_token=access, code=code, user_claims=(words == {"id_token"}))
            front_sub = claims.get("sub") if claims else None
        back_sub = None
        if code:
            tokens = redeem(client, code, redirect_uri, fail)
            if tokens:
                claims = verify_id_token(client, tokens["id_token"], fail, "/token ID token", nonce,
                                         access_token=tokens["access_token"], code_hash="any")
                back_sub = claims.get("sub") if claims else None
                if front_sub and back_sub and back_sub != front_sub:
                    fail(f"/token ID token sub {back_sub!r} differs from the front channel's {front_sub!r}")
                check_userinfo(tokens["access_token"], back_sub or front_sub, fail, "/token access token")
        if access:
            check_userinfo(access, front_sub or back_sub, fail, "front-channel access token")

    guarded(case, body)


def error_case(client, browser, case, response_type, mode, nonce, expected_error, delivered_in):
    def body(fail):
        state = new_state()
        answer = browser.authorize(authorize_url(client, response_type, mode, state, nonce), fail)
        if answer is None:
            return
        got = delivered(answer, delivered_in, REDIRECT, fail)
        if got is None:
            return
        if got.get("error") != expected_error:
            fail(f"error {got.get('error')!r}, not {expected_error} (got {sorted(got)})")
        if got.get("state") != state:
            fail(f"state {got.get('state')!r}, not {state!r}")
        if got.get("iss") != ISSUER:
            fail(f"iss {got.get('iss')!r}, not {ISSUER}")
        leaked = [name for name in ("code", "access_token", "id_token") if name in got]
        if leaked:
            fail(f"an error answer carries {leaked}")

    guarded(case, body)


def client_matrix(client):
    """Every response type in every mode for one client, in one browser (it signs in once)."""
    browser = systemcheck.Browser(site, USERNAME, PASSWORD)
    for response_type in TYPES:
        for mode in MODES[response_type]:
            success_case(client, browser, response_type, mode)
    return browser


# ---------------------------------------------------------------- Authlib, a real relying party

def authlib_claims(claims_cls, token, client, jwks, nonce, **params):
    """The ID token's claims as Authlib checks them (`claims_cls` from authlib.oidc.core); raises when it rejects them."""
    options = {"iss": {"values": [ISSUER]}, "aud": {"values": [client["client_id"]]}}
    params = dict(params, nonce=nonce, client_id=client["client_id"])
    if authlib_jwt is not None:
        claims = authlib_jwt.decode(token, JsonWebKey.import_key_set(jwks), claims_cls=claims_cls,
                                    claims_options=options, claims_params=params)
    else:  # what authlib.integrations.base_client.sync_openid.OpenIDMixin.parse_id_token does
        decoded = jose_jwt.decode(token, KeySet.import_key_set(jwks), algorithms=[client["alg"]])
        claims = claims_cls(decoded.claims, decoded.header, options, params)
    claims.validate()
    if claims.header.get("alg") != client["alg"]:
        raise ValueError(f"alg {claims.header.get('alg')!r}, not {client['alg']}")
    return claims


def authlib_session(client):
    session = OAuth2Session(client["client_id"], client["client_secret"], scope=SCOPE, redirect_uri=REDIRECT)
    session.trust_env = False  # no proxy from the environment between it and 127.0.0.1
    return session


def final_location(browser, url, fail):
    answer = browser.authorize(url, fail)
    if answer is None:
        return None
    location = answer.header("Location")
    if answer.status not in (302, 303) or not location or not location.startswith(REDIRECT + "#"):
        fail(f"expected a redirect to {REDIRECT}#..., got {answer!r}")
        return None
    return location


def authlib_hybrid(client, browser, endpoints):
    def body(fail):
        session = authlib_session(client)
        nonce, state = new_nonce(), "st-" + secrets.token_hex(8)
        url, state = session.create_authorization_url(endpoints["authorization_endpoint"],
                                                      response_type="code id_token", nonce=nonce, state=state)
        location = final_location(browser, url, fail)
        if location is None:
            return
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).fragment, keep_blank_values=True))
        if "error" in params or params.get("state") != state or not params.get("code") or not params.get("id_token"):
            fail(f"fragment {sorted(params)} (error {params.get('error')!r}, state echoed: "
                 f"{params.get('state') == state})")
            return
        jwks = jwks_cache["set"]
        try:
            front = authlib_claims(HybridIDToken, params["id_token"], client, jwks, nonce, code=params["code"])
        except Exception as error:
            fail(f"Authlib rejects the front-channel ID token (HybridIDToken): {why(error)}")
            return
        count("verified")
        try:
            token = session.fetch_token(endpoints["token_endpoint"], code=params["code"])
        except Exception as error:
            fail(f"Authlib fetch_token: {why(error)}")
            return
        if not token.get("id_token") or not token.get("access_token"):
            fail(f"the token response has {sorted(token)}")
            return
        try:
            back = authlib_claims(CodeIDToken, token["id_token"], client, jwks, nonce,
                                  access_token=token["access_token"])
        except Exception as error:
            fail(f"Authlib rejects the /token ID token (CodeIDToken): {why(error)}")
            return
        if "at_hash" not in back:
            fail("the /token ID token has no at_hash")
        if back.get("sub") != front.get("sub"):
            fail(f"sub {back.get('sub')!r} at /token, {front.get('sub')!r} in the front channel")
        count("verified")

    guarded(f"Authlib {client['alg']} code id_token", body)


def authlib_implicit(client, browser, endpoints):
    def body(fail):
        session = authlib_session(client)
        nonce, state = new_nonce(), "st-" + secrets.token_hex(8)
        url, state = session.create_authorization_url(endpoints["authorization_endpoint"],
                                                      response_type="id_token token", nonce=nonce, state=state)
        location = final_location(browser, url, fail)
        if location is None:
            return
        try:
            token = session.token_from_fragment(location, state)
        except Exception as error:
            fail(f"Authlib token_from_fragment: {why(error)}")
            return
        if not token.get("id_token"):
            fail(f"no id_token in the fragment ({sorted(token)})")
            return
        try:
            claims = authlib_claims(ImplicitIDToken, token["id_token"], client, jwks_cache["set"], nonce,
                                    access_token=token["access_token"])
        except Exception as error:
            fail(f"Authlib rejects the ID token (ImplicitIDToken): {why(error)}")
            return
        count("verified")
        try:
            response = session.get(endpoints["userinfo_endpoint"], timeout=30)
        except Exception as error:
            fail(f"userinfo through the Authlib session: {why(error)}")
            return
        try:
            info = response.json()
        except ValueError:
            info = None
        if response.status_code != 200 or not isinstance(info, dict):
            fail(f"userinfo through the Authlib session: {response.status_code} {response.text[:200]!r}")
        elif info.get("sub") != claims.get("sub") or info.get("email") != EMAIL:
            fail(f"userinfo names sub {info.get('sub')!r} email {info.get('email')!r}, "
                 f"not {claims.get('sub')!r} {EMAIL!r}")

    guarded(f"Authlib {client['alg']} id_token token", body)


# ---------------------------------------------------------------- provider metadata

def check_jwks():
    body, answer = fetch_jwks()
    if body is None:
        record("jwks", f"GET /jwks answered {answer!r}")
        return
    algs = set()
    for index, key in enumerate(body["keys"]):
        name = f"jwks key {key.get('kid', index) if isinstance(key, dict) else index}"
        if not isinstance(key, dict):
            record(name, "not an object")
            continue
        for member in ("kid", "kty", "alg"):
            if not key.get(member):
                record(name, f"no {member}")
        if key.get("use") != "sig":
            record(name, f"use {key.get('use')!r}, not sig")
        exposed = sorted(PRIVATE_MEMBERS & set(key))
        if exposed:
            record(name, f"exposes private members {exposed}")
        kty = key.get("kty")
        if kty == "EC" and (key.get("crv") != "P-256" or not key.get("x") or not key.get("y")):
            record(name, f"EC key with crv {key.get('crv')!r}, x and y wanted")
        elif kty == "OKP" and (key.get("crv") != "Ed25519" or not key.get("x")):
            record(name, f"OKP key with crv {key.get('crv')!r}, x wanted")
        elif kty == "RSA" and (not key.get("n") or not key.get("e")):
            record(name, "RSA key without n and e")
        elif kty not in ("EC", "OKP", "RSA"):
            record(name, f"kty {kty!r}")
        algs.add(key.get("alg"))
        try:
            thumbprint = import_key({k: v for k, v in key.items() if k not in PRIVATE_MEMBERS}).thumbprint()
            if key.get("kid") != thumbprint:
                record(name, f"kid is not the key's RFC 7638 thumbprint {thumbprint}")
        except Exception as error:
            record(name, f"does not import: {why(error)}")
    for alg in ("RS256", "ES256", "EdDSA"):
        if alg not in algs:
            record("jwks", f"no key with alg {alg}")


def check_discovery():
    answer = fetch("GET", "/.well-known/openid-configuration")
    meta = answer.json()
    endpoints = {"authorization_endpoint": ISSUER + "/authorize", "token_endpoint": ISSUER + "/token",
                 "userinfo_endpoint": ISSUER + "/userinfo"}
    if answer.status != 200 or meta is None:
        record("discovery", f"answered {answer!r}")
        return endpoints
    types = {frozenset(t.split()) for t in meta.get("response_types_supported") or [] if isinstance(t, str)}
    missing = [t for t in TYPES if frozenset(t.split()) not in types]
    if missing:
        record("discovery", f"response_types_supported lacks {missing}")
    modes = meta.get("response_modes_supported")
    if not isinstance(modes, list) or set(modes) != {"query", "fragment", "form_post"}:
        record("discovery", f"response_modes_supported {modes!r}, not query, fragment and form_post")
    algs = meta.get("id_token_signing_alg_values_supported")
    if not isinstance(algs, list) or not set(ALGS) <= set(algs):
        record("discovery", f"id_token_signing_alg_values_supported {algs!r} lacks some of {ALGS}")
    for name in endpoints:
        if isinstance(meta.get(name), str) and target_of(meta[name]) is not None:
            endpoints[name] = meta[name]
        else:
            record("discovery", f"{name} {meta.get(name)!r}")
    if meta.get("issuer") != ISSUER:
        record("discovery", f"issuer {meta.get('issuer')!r}, not {ISSUER}")
    return endpoints


# ---------------------------------------------------------------- the run

def create_client(alg):
    """The client for `alg` (its JSON plus "alg"), or None (failure recorded). alg None: code only."""
    name = f"Response types {alg or 'code only'} {tag}"
    args = ["client", "create", "--name", name, "--redirect-uri", REDIRECT]
    if alg == "RS256":
        args += ["--redirect-uri", OTHER_ORIGIN_REDIRECT]
    if alg:
        for t in TYPES:
            args += ["--response-type", t]
        args += ["--id-token-alg", alg]
    else:
        args += ["--response-type", "code"]
    for scope in SCOPE.split():
        args += ["--scope", scope]
    status, out, err = cli(*args, "--json")
    case = f"client {alg or 'code only'}"
    if status != 0:
        record(case, f"gatehouse client create failed ({status}): {err.strip()[-300:]}")
        return None
    try:
        client = json.loads(out)
    except ValueError:
        record(case, f"client create --json printed {out[:200]!r}")
        return None
    if not isinstance(client, dict) or not client.get("client_id") or not client.get("client_secret"):
        record(case, f"no client_id and client_secret in {out[:200]!r}")
        return None
    registered = {frozenset(t.split()) for t in client.get("response_types") or [] if isinstance(t, str)}
    wanted = {frozenset(t.split()) for t in (TYPES if alg else ["code"])}
    if registered != wanted:
        record(case, f"response_types {client.get('response_types')!r}")
    if alg and client.get("id_token_signed_response_alg") != alg:
        record(case, f"id_token_signed_response_alg {client.get('id_token_signed_response_alg')!r}, not {alg}")
    client["alg"] = alg or client.get("id_token_signed_response_alg") or "RS256"
    return client


def main():
    systemcheck.set_up(env, cli, abort, USERNAME, PASSWORD, "--email", EMAIL, "--given-name", GIVEN,
                       "--family-name", FAMILY)
    clients = [c for c in (create_client(alg) for alg in ALGS) if c]
    code_only = create_client(None)

    server = servers.start("server", PORT, ISSUER)
    problem = servers.wait_ready(server, lambda: fetch("GET", "/healthz").status)
    if problem:
        abort("gatehouse serve", problem)

    check_jwks()
    endpoints = check_discovery()
    if jwks_cache["set"] is None:
        jwks_cache["set"] = {"keys": []}

    # One thread per client: each signs in once, then walks its types and modes.
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(clients))) as pool:
        browsers = dict(zip([c["alg"] for c in clients], pool.map(client_matrix, clients)))
    by_alg = {c["alg"]: c for c in clients}

    rs256 = by_alg.get("RS256")
    if rs256:
        browser = browsers["RS256"]
        success_case(rs256, browser, "code id_token", "form_post", OTHER_ORIGIN_REDIRECT,
                     label=" (redirect URI on another origin)")
        for response_type in TYPES[1:]:
            error_case(rs256, browser, f"RS256 {response_type} query (refused)", response_type, "query",
                       new_nonce(), "invalid_request", "fragment")
        for response_type in ("id_token", "id_token token"):
            error_case(rs256, browser, f"RS256 {response_type} without nonce", response_type, None, None,
                       "invalid_request", "fragment")
        error_case(rs256, browser, "RS256 id_token form_post without nonce", "id_token", "form_post", None,
                   "invalid_request", "form_post")
        if code_only:
            error_case(code_only, browser, "code-only client code id_token", "code id_token", None, new_nonce(),
                       "unauthorized_client", "fragment")
            error_case(code_only, browser, "code-only client code id_token token form_post", "code id_token token",
                       "form_post", new_nonce(), "unauthorized_client", "form_post")

    # A browser of its own: Authlib's first URL meets the sign-in page.
    rp_browser = systemcheck.Browser(site, USERNAME, PASSWORD)
    for alg in ("RS256", "ES256"):
        if alg in by_alg:
            authlib_hybrid(by_alg[alg], rp_browser, endpoints)
            authlib_implicit(by_alg[alg], rp_browser, endpoints)
    if "RS256" not in by_alg and "ES256" not in by_alg:
        record("Authlib", "no RS256 or ES256 client to run it against")
    finish()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # the summary is the last line, whatever happened
        record("run", f"unexpected {why(error)}")
        finish()

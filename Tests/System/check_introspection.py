#!/usr/bin/env python3
"""Checks token introspection (RFC 7662) and revocation (RFC 7009) against
`gatehouse serve`, by hand and through a real relying party library (Authlib).

    check_introspection.py GATEHOUSE_BINARY   (DATABASE_URL names a fresh database it may use)

It migrates the database, creates a user and, with the CLI, two ordinary
confidential clients (A and B), a resource server (`--resource-server`: no
redirect URI, `"resource_server": true`), a client_credentials client and a
public client; starts the server on a free port and a second, short-lived one
on the same database with `OIDC_TOKEN_EXPIRE=2`; signs in once through the
sign-in and consent pages (cookies kept by name, `cookiejar.py`) and runs the
code flow for each grant it needs (PKCE for the public client).

Introspection (`POST /introspect`):
  - active (§2.2): the client's own access token (HTTP Basic and
    client_secret_post), its refresh token, an access token sent with the
    refresh_token hint (a hint only), A's tokens asked about by the resource
    server, a client_credentials token (no `sub`, no `username`). Active
    answers are JSON, `Cache-Control: no-store`, with scope, client_id, sub,
    username, token_type (Bearer or refresh_token), exp, iat, iss (the issuer)
    and aud (the client);
  - inactive, exactly `{"active":false}`: an unknown token, a malformed one,
    A's tokens asked about by B, a revoked access token, a token of a revoked
    grant, a refresh token already exchanged, tokens past their expiry (issued
    by the second server: a refreshed user access token and a
    client_credentials token, active at first, inactive 3 s later);
  - errors: wrong secret (Basic and in the body), unknown client and no
    client authentication are 401 invalid_client with `WWW-Authenticate:
    Basic`; a public client is 401 invalid_client; no token is 400
    invalid_request; an unknown token_type_hint is 400 unsupported_token_type;
    GET is 405 with `Allow: POST`.
Revocation (`POST /revoke`): 200 and an empty body for an unknown token and
an already revoked one; another client's token (B's or the resource
server's request) is 400 unauthorized_client and stays active; revoking an
access token ends it alone (introspection inactive, /userinfo 401, the
refresh token still refreshes); revoking a refresh token (with the
refresh_token hint, with none, with the access_token hint) ends its grant
(its access token inactive and refused at /userinfo, the refresh token
refused with invalid_grant); client_secret_post works; a public client
revokes its own refresh token with its client_id alone and cannot revoke
A's; the errors as for introspection.
Discovery lists introspection_endpoint, revocation_endpoint and their
authentication methods (client_secret_basic and client_secret_post; `none`
for revocation only). The CLI's JSON says `"resource_server": true` (and no
redirect URI) for the resource server, false for an ordinary client, and
refuses `--resource-server --public`. A client_credentials token comes with
no refresh token; without `scope` it carries the client's non-user scopes.
Authlib's OAuth2Session (client_secret_basic, and client_secret_post for
one call) runs a code flow, introspects the access token as the client and as
the resource server, revokes the refresh token (`revoke_token`, hint
refresh_token), then sees the access token inactive and /userinfo refuse it.

GATEHOUSE_SECRET_KEY, when set, is the servers' key; otherwise a random one
is made for the run. Each failed check is printed on a line of its own,
starting with its name; the last line printed is the summary:
`introspection and revocation: N checks, failures: K`.
"""
import atexit
import base64
import hashlib
import json
import os
import secrets
import sys
import time
import urllib.parse
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemcheck  # noqa: E402
from systemcheck import FORM, basic, encode, why  # noqa: E402

try:
    import authlib.deprecate
    warnings.filterwarnings("ignore", category=authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.requests_client import OAuth2Session
except ImportError as error:
    sys.exit(f"{error}: run scripts/ensure-python-deps.sh")

BINARY = sys.argv[1]
HOST = "127.0.0.1"
SCOPE = "openid profile email"
CC_SCOPES = ["api.read", "api.write"]
SHORT_LIFETIME = 2  # seconds, OIDC_TOKEN_EXPIRE of the second server

env = systemcheck.environment()

PORT = systemcheck.free_port(HOST)
SHORT_PORT = systemcheck.free_port(HOST, {PORT})
ISSUER = f"http://{HOST}:{PORT}"
SHORT_ISSUER = f"http://{HOST}:{SHORT_PORT}"
REDIRECT = ISSUER + "/cb"

tag = secrets.token_hex(4)
USERNAME, PASSWORD = f"ic_{tag}", "correct horse " + secrets.token_hex(8)
EMAIL = f"ic_{tag}@example.org"

# ---------------------------------------------------------------- bookkeeping

failures = systemcheck.Failures(limit=500)
counts = {"checks": 0}
cli = systemcheck.cli_runner(BINARY, env)
servers = systemcheck.Servers(BINARY, env, HOST, "gatehouse-introspection-")
atexit.register(servers.stop)


def check(name, problems):
    """One named check: passes when `problems` (a list of strings) is empty."""
    counts["checks"] += 1
    problems = [p for p in problems if p]
    if problems:
        failures.record(name, "; ".join(problems))
    return not problems


def finish():
    """Prints the failures and the summary (the last line), and exits."""
    systemcheck.finish(failures, servers, f"introspection and revocation: {counts['checks']} checks",
                       counts["checks"] > 0)


def abort(step, detail):
    check(f"set-up: {step}", [detail])
    finish()


# ---------------------------------------------------------------- HTTP

class Answer(systemcheck.Answer):
    preview = 300  # characters of the body its repr shows


site = systemcheck.Site(HOST, PORT, ISSUER, answer=Answer)
fetch = site.fetch


def post_form(path, pairs, client=None, auth="basic", port=None, secret=None):
    """POST a form to `path`, the client authenticated by `auth`: "basic" (HTTP Basic),
    "post" (client_id and client_secret in the body), "id" (client_id alone) or None.
    `secret` overrides the client's secret (to send a wrong one)."""
    headers = {"Content-Type": FORM}
    pairs = list(pairs)
    if client is not None:
        key = client.get("client_secret") or "" if secret is None else secret
        if auth == "basic":
            headers["Authorization"] = basic(client["client_id"], key)
        elif auth == "post":
            pairs += [("client_id", client["client_id"]), ("client_secret", key)]
        elif auth == "id":
            pairs.append(("client_id", client["client_id"]))
    return fetch("POST", path, headers, encode(pairs), port=port)


browser = systemcheck.Browser(site, USERNAME, PASSWORD)


def code_from(answer, state):
    location = answer.header("Location") or ""
    if answer.status not in (302, 303) or not location.startswith(REDIRECT + "?"):
        raise RuntimeError(f"expected a redirect to {REDIRECT}?..., got {answer!r}")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if params.get("state") != state or not params.get("code"):
        raise RuntimeError(f"redirect without the code or the state: {location[:200]!r}")
    return params["code"]


def sign_in(client):
    """Tokens (a dict: access_token, refresh_token…) from a code flow for `client`; PKCE for a
    public client. Raises RuntimeError on any unexpected answer."""
    state = "st-" + secrets.token_hex(6)
    pairs = [("client_id", client["client_id"]), ("redirect_uri", REDIRECT), ("response_type", "code"),
             ("scope", SCOPE), ("state", state), ("nonce", "n-" + secrets.token_hex(6))]
    verifier = None
    if client.get("public"):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        pairs += [("code_challenge", challenge), ("code_challenge_method", "S256")]
    code = code_from(browser.authorize("/authorize?" + encode(pairs)), state)
    form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]
    if verifier:
        form.append(("code_verifier", verifier))
        answer = post_form("/token", form, client, auth="id")
    else:
        answer = post_form("/token", form, client)
    tokens = answer.json()
    if answer.status != 200 or not tokens or not tokens.get("access_token"):
        raise RuntimeError(f"/token answered {answer!r}")
    return tokens


def refresh(client, refresh_token, port=None):
    form = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)]
    if client.get("public"):
        return post_form("/token", form, client, auth="id", port=port)
    return post_form("/token", form, client, port=port)


def userinfo(access_token):
    return fetch("GET", "/userinfo", {"Authorization": "Bearer " + access_token})


# ---------------------------------------------------------------- expectations

def introspect(client, token, hint=None, auth="basic", secret=None, port=None):
    pairs = [("token", token)] if token is not None else []
    if hint:
        pairs.append(("token_type_hint", hint))
    return post_form("/introspect", pairs, client, auth=auth, secret=secret, port=port)


def revoke(client, token, hint=None, auth="basic", secret=None):
    pairs = [("token", token)] if token is not None else []
    if hint:
        pairs.append(("token_type_hint", hint))
    return post_form("/revoke", pairs, client, auth=auth, secret=secret)


def no_store(answer):
    value = (answer.header("Cache-Control") or "").lower()
    return None if "no-store" in value else f"Cache-Control {answer.header('Cache-Control')!r}, not no-store"


def active_problems(answer, expected, user=True, now=None):
    """What is wrong with an introspection answer that should be active with `expected` members."""
    body = answer.json()
    if answer.status != 200 or body is None:
        return [f"answered {answer!r}"]
    problems = []
    if answer.content_type != "application/json":
        problems.append(f"Content-Type {answer.header('Content-Type')!r}")
    problems.append(no_store(answer))
    if body.get("active") is not True:
        return problems + [f"not active: {body}"]
    for name, value in expected.items():
        if name == "scope":
            got = set(body.get("scope").split()) if isinstance(body.get("scope"), str) else None
            if got != set(value.split()):
                problems.append(f"scope {body.get('scope')!r}, not {value!r}")
        elif body.get(name) != value:
            problems.append(f"{name} {body.get(name)!r}, not {value!r}")
    if user:
        for name in ("sub", "username"):
            if not isinstance(body.get(name), str) or not body.get(name):
                problems.append(f"{name} {body.get(name)!r}")
    else:
        for name in ("sub", "username"):
            if name in body:
                problems.append(f"{name} {body[name]!r}, though a client_credentials token has no user")
    now = now or time.time()
    exp, iat = body.get("exp"), body.get("iat")
    if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now - 1:
        problems.append(f"exp {exp!r} is not a future NumericDate")
    if not isinstance(iat, int) or isinstance(iat, bool) or not (now - 600 <= iat <= now + 5):
        problems.append(f"iat {iat!r} is not about now")
    elif isinstance(exp, int) and exp <= iat:
        problems.append(f"exp {exp} is not after iat {iat}")
    return problems


def inactive_problems(answer):
    body = answer.json()
    if answer.status != 200 or body is None:
        return [f"answered {answer!r}"]
    problems = [no_store(answer)]
    if body != {"active": False}:
        problems.append(f"answered {body}, not exactly {{\"active\": false}}")
    return problems


def error_problems(answer, status, error, challenge=False):
    body = answer.json()
    problems = []
    if answer.status != status or body is None or body.get("error") != error:
        problems.append(f"expected {status} {error}, got {answer!r}")
    if challenge and not (answer.header("WWW-Authenticate") or "").lower().startswith("basic"):
        problems.append(f"WWW-Authenticate {answer.header('WWW-Authenticate')!r}, not Basic …")
    return problems


def revoked_ok(answer):
    if answer.status != 200:
        return [f"expected 200, got {answer!r}"]
    return [] if not answer.body.strip() else [f"the body is not empty: {answer.body[:200]!r}"]


def status_is(answer, status, what):
    return None if answer.status == status else f"{what}: expected {status}, got {answer!r}"


# ---------------------------------------------------------------- set-up

def create_client(case, *args):
    status, out, err = cli("client", "create", "--name", f"{case} {tag}", *args, "--json")
    if status != 0:
        check(f"CLI: client create {case}", [f"exit status {status}: {err.strip()[-300:]}"])
        return None
    try:
        client = json.loads(out)
    except ValueError:
        client = None
    if not isinstance(client, dict) or not client.get("client_id"):
        check(f"CLI: client create {case}", [f"--json printed {out[:200]!r}"])
        return None
    return client


def start_server(name, port, issuer, fatal=True, **extra):
    """Starts `gatehouse serve`; when it does not answer, ends the run (fatal) or raises RuntimeError."""
    def fail(detail):
        if fatal:
            abort(f"gatehouse serve ({name})", detail)
        raise RuntimeError(f"gatehouse serve ({name}): {detail}")

    process = servers.start(name, port, issuer, **extra)
    problem = servers.wait_ready(process, lambda: fetch("GET", "/healthz", port=port).status)
    if problem and process.poll() is not None:  # reported here, not again by finish()
        problem += ": " + servers.forget(process)[-500:]
    if problem:
        fail(problem)
    return process


def guarded(name, body):
    """Runs a group of checks; an exception is one failed check, never the end of the run."""
    try:
        body()
    except Exception as error:
        check(name, [f"unexpected {why(error)}"])


# ---------------------------------------------------------------- the checks

def check_discovery():
    answer = fetch("GET", "/.well-known/openid-configuration")
    meta = answer.json() or {}
    if answer.status != 200 or not meta:
        check("RFC 8414 §2 discovery", [f"answered {answer!r}"])
        return
    check("RFC 8414 §2 discovery: introspection_endpoint",
          [] if meta.get("introspection_endpoint") == ISSUER + "/introspect"
          else [f"{meta.get('introspection_endpoint')!r}, not {ISSUER}/introspect"])
    check("RFC 8414 §2 discovery: revocation_endpoint",
          [] if meta.get("revocation_endpoint") == ISSUER + "/revoke"
          else [f"{meta.get('revocation_endpoint')!r}, not {ISSUER}/revoke"])
    methods = meta.get("introspection_endpoint_auth_methods_supported")
    check("RFC 8414 §2 discovery: introspection_endpoint_auth_methods_supported",
          [] if isinstance(methods, list) and {"client_secret_basic", "client_secret_post"} <= set(methods)
          and "none" not in methods else [f"{methods!r}: client_secret_basic and client_secret_post, not none"])
    methods = meta.get("revocation_endpoint_auth_methods_supported")
    check("RFC 8414 §2 discovery: revocation_endpoint_auth_methods_supported",
          [] if isinstance(methods, list) and {"client_secret_basic", "client_secret_post", "none"} <= set(methods)
          else [f"{methods!r}: client_secret_basic, client_secret_post and none wanted"])


def check_cli(rs, a):
    problems = []
    if rs.get("resource_server") is not True:
        problems.append(f"resource_server {rs.get('resource_server')!r}, not true")
    if rs.get("redirect_uris"):
        problems.append(f"redirect_uris {rs.get('redirect_uris')!r}, though none was given")
    if not rs.get("client_secret"):
        problems.append("no client_secret: a resource server is confidential")
    check("CLI: client create --resource-server", problems)
    check("CLI: an ordinary client is no resource server",
          [] if a.get("resource_server") is False else [f"resource_server {a.get('resource_server')!r}"])
    status, _, err = cli("client", "create", "--name", f"public resource server {tag}", "--resource-server", "--public")
    check("CLI: a resource server cannot be public",
          [] if status != 0 else ["client create --resource-server --public succeeded"])


def check_active_tokens(a, b, rs, grant, sub):
    access, refresh_token = grant["access_token"], grant["refresh_token"]
    scope = grant.get("scope") or SCOPE
    common = {"client_id": a["client_id"], "aud": a["client_id"], "iss": ISSUER, "scope": scope, "sub": sub,
              "username": USERNAME}
    check("RFC 7662 §2.2 active: own access token (client_secret_basic)",
          active_problems(introspect(a, access, "access_token"), dict(common, token_type="Bearer")))
    check("RFC 7662 §2.2 active: own access token (client_secret_post, no hint)",
          active_problems(introspect(a, access, auth="post"), dict(common, token_type="Bearer")))
    check("RFC 7662 §2.1 active: access token sent with the refresh_token hint (a hint only)",
          active_problems(introspect(a, access, "refresh_token"), dict(common, token_type="Bearer")))
    check("RFC 7662 §2.2 active: own refresh token",
          active_problems(introspect(a, refresh_token, "refresh_token"), dict(common, token_type="refresh_token")))
    check("RFC 7662 §2.1 active: resource server introspects A's access token",
          active_problems(introspect(rs, access, "access_token"), dict(common, token_type="Bearer")))
    check("RFC 7662 §2.1 active: resource server introspects A's refresh token (client_secret_post)",
          active_problems(introspect(rs, refresh_token, auth="post"), dict(common, token_type="refresh_token")))
    check("RFC 7662 §2.2 inactive: another client (B) asks about A's access token",
          inactive_problems(introspect(b, access, "access_token")))
    check("RFC 7662 §2.2 inactive: another client (B) asks about A's refresh token",
          inactive_problems(introspect(b, refresh_token)))
    check("RFC 7662 §2.2 inactive: unknown token",
          inactive_problems(introspect(a, base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())))
    check("RFC 7662 §2.2 inactive: unknown token (resource server)",
          inactive_problems(introspect(rs, secrets.token_urlsafe(32), "refresh_token")))
    check("RFC 7662 §2.2 inactive: malformed token",
          inactive_problems(introspect(a, "not a token \u00e9 % ' \" <>" + "x" * 300)))


def check_introspection_errors(a, rs, public, access):
    check("RFC 7662 §2.3 wrong secret (client_secret_basic): 401 invalid_client",
          error_problems(introspect(a, access, secret="wrong-" + secrets.token_hex(8)), 401, "invalid_client", True))
    check("RFC 7662 §2.3 wrong secret (client_secret_post): 401 invalid_client",
          error_problems(introspect(rs, access, auth="post", secret="wrong"), 401, "invalid_client", True))
    check("RFC 7662 §2.3 unknown client: 401 invalid_client",
          error_problems(introspect({"client_id": "no-such-client-" + tag, "client_secret": "x"}, access),
                         401, "invalid_client", True))
    check("RFC 7662 §2.1 no client authentication: 401 invalid_client",
          error_problems(introspect(None, access), 401, "invalid_client", True))
    if public:
        check("RFC 7662 §2.1 public client (client_id only): 401 invalid_client",
              error_problems(introspect(public, access, auth="id"), 401, "invalid_client"))
    check("RFC 7662 §2.1 missing token: 400 invalid_request",
          error_problems(introspect(a, None), 400, "invalid_request"))
    check("RFC 7009 §2.2.1 introspection with an unknown token_type_hint: 400 unsupported_token_type",
          error_problems(introspect(a, access, "id_token"), 400, "unsupported_token_type"))
    answer = fetch("GET", "/introspect?" + encode([("token", access)]),
                   {"Authorization": basic(a["client_id"], a["client_secret"])})
    check("RFC 7662 §2.1 GET /introspect: 405 Allow: POST",
          [] if answer.status == 405 and "POST" in (answer.header("Allow") or "").upper()
          else [f"answered {answer!r} Allow {answer.header('Allow')!r}"])


def check_revocation_errors(a, b, rs, grant):
    access, refresh_token = grant["access_token"], grant["refresh_token"]
    check("RFC 7009 §2.2 revoke an unknown token: 200, empty body",
          revoked_ok(revoke(a, secrets.token_urlsafe(32))))
    check("RFC 7009 §2.1 revoke another client's access token (B): 400 unauthorized_client",
          error_problems(revoke(b, access, "access_token"), 400, "unauthorized_client"))
    check("RFC 7009 §2.1 revoke another client's refresh token (resource server): 400 unauthorized_client",
          error_problems(revoke(rs, refresh_token, "refresh_token"), 400, "unauthorized_client"))
    check("RFC 7009 §2.1 refused revocations revoked nothing",
          active_problems(introspect(a, access), {"client_id": a["client_id"], "token_type": "Bearer"})
          + active_problems(introspect(a, refresh_token), {"client_id": a["client_id"], "token_type": "refresh_token"})
          + [status_is(userinfo(access), 200, "/userinfo")])
    check("RFC 7009 §2.1 revocation with a wrong secret: 401 invalid_client",
          error_problems(revoke(a, access, secret="wrong"), 401, "invalid_client", True))
    check("RFC 7009 §2.1 revocation by a confidential client with its client_id alone: 401 invalid_client",
          error_problems(revoke(a, access, auth="id"), 401, "invalid_client", True))
    check("RFC 7009 §2.1 revocation without a token: 400 invalid_request",
          error_problems(revoke(a, None), 400, "invalid_request"))
    check("RFC 7009 §2.2.1 revocation with an unknown token_type_hint: 400 unsupported_token_type",
          error_problems(revoke(a, access, "id_token"), 400, "unsupported_token_type"))
    answer = fetch("GET", "/revoke?" + encode([("token", access)]),
                   {"Authorization": basic(a["client_id"], a["client_secret"])})
    check("RFC 7009 §2.1 GET /revoke: 405 Allow: POST",
          [] if answer.status == 405 and "POST" in (answer.header("Allow") or "").upper()
          else [f"answered {answer!r} Allow {answer.header('Allow')!r}"])


def check_access_revocation(a, rs, grant):
    """Revoking an access token ends it alone."""
    access, refresh_token = grant["access_token"], grant["refresh_token"]
    check("RFC 7009 §2.2 revoke an access token (hint access_token): 200, empty body",
          revoked_ok(revoke(a, access, "access_token")))
    check("RFC 7662 §2.2 inactive: revoked access token",
          inactive_problems(introspect(a, access)) + inactive_problems(introspect(rs, access)))
    check("RFC 7009 §2.1 revoked access token refused at /userinfo (401)",
          [status_is(userinfo(access), 401, "/userinfo")])
    check("RFC 7009 §2.2 revoke an already revoked access token: 200, empty body",
          revoked_ok(revoke(a, access, "access_token")))
    answer = refresh(a, refresh_token)
    tokens = answer.json() or {}
    new = {}
    problems = [] if answer.status == 200 and tokens.get("access_token") else [f"refresh answered {answer!r}"]
    if not problems:
        new = {"access_token": tokens["access_token"], "refresh_token": tokens.get("refresh_token") or refresh_token}
        problems.append(status_is(userinfo(new["access_token"]), 200, "/userinfo with the refreshed access token"))
    check("RFC 7009 §2.1 revoking an access token leaves its refresh token working", problems)
    if new.get("refresh_token") and new["refresh_token"] != refresh_token:
        check("RFC 7662 §2.2 inactive: refresh token already exchanged",
              inactive_problems(introspect(a, refresh_token, "refresh_token")))
    return new


def check_grant_revocation(a, rs, grant, name, hint, auth="basic"):
    """Revoking a refresh token ends its grant: the access token of it too."""
    access, refresh_token = grant["access_token"], grant["refresh_token"]
    check(f"RFC 7009 §2.2 revoke a refresh token ({name}): 200, empty body",
          revoked_ok(revoke(a, refresh_token, hint, auth=auth)))
    check(f"RFC 7662 §2.2 inactive: revoked refresh token ({name})",
          inactive_problems(introspect(a, refresh_token, "refresh_token")))
    check(f"RFC 7009 §2.1 revoking a refresh token ends its grant's access token ({name})",
          inactive_problems(introspect(a, access)) + inactive_problems(introspect(rs, access))
          + [status_is(userinfo(access), 401, "/userinfo")])
    check(f"RFC 7009 §2.1 revoked refresh token refused at /token: invalid_grant ({name})",
          error_problems(refresh(a, refresh_token), 400, "invalid_grant"))
    check(f"RFC 7009 §2.2 revoke the same refresh token again: 200, empty body ({name})",
          revoked_ok(revoke(a, refresh_token, hint, auth=auth)))


def check_public_client(public, a, a_access):
    tokens = sign_in(public)
    access, refresh_token = tokens["access_token"], tokens.get("refresh_token")
    check("RFC 7009 §2.1 public client revoking another client's token: 400 unauthorized_client",
          error_problems(revoke(public, a_access, "access_token", auth="id"), 400, "unauthorized_client"))
    if refresh_token:
        check("RFC 7009 §2.1 public client revokes its refresh token with its client_id: 200, empty body",
              revoked_ok(revoke(public, refresh_token, "refresh_token", auth="id")))
        check("RFC 7009 §2.1 public client's revoked grant: refresh invalid_grant, /userinfo 401",
              error_problems(refresh(public, refresh_token), 400, "invalid_grant")
              + [status_is(userinfo(access), 401, "/userinfo")])
    else:
        check("RFC 7009 §2.1 public client revokes its access token with its client_id: 200, empty body",
              revoked_ok(revoke(public, access, "access_token", auth="id")))
        check("RFC 7009 §2.1 public client's revoked access token: /userinfo 401",
              [status_is(userinfo(access), 401, "/userinfo")])


def client_credentials_token(cc, scope=None, port=None):
    pairs = [("grant_type", "client_credentials")] + ([("scope", scope)] if scope else [])
    answer = post_form("/token", pairs, cc, port=port)
    tokens = answer.json() or {}
    if answer.status != 200 or not tokens.get("access_token"):
        raise RuntimeError(f"/token client_credentials answered {answer!r}")
    return tokens


def check_client_credentials(cc, b, rs):
    tokens = client_credentials_token(cc, "api.read")
    access = tokens["access_token"]
    check("RFC 6749 §4.4.3 client_credentials: no refresh token",
          [] if "refresh_token" not in tokens else ["a refresh token was issued"])
    expected = {"client_id": cc["client_id"], "aud": cc["client_id"], "iss": ISSUER, "scope": "api.read",
                "token_type": "Bearer"}
    check("RFC 7662 §2.2 active: client_credentials token, own client (no sub, no username)",
          active_problems(introspect(cc, access, "access_token"), expected, user=False))
    check("RFC 7662 §2.2 active: client_credentials token, resource server",
          active_problems(introspect(rs, access), expected, user=False))
    check("RFC 7662 §2.2 inactive: client_credentials token asked about by another client",
          inactive_problems(introspect(b, access)))
    without = client_credentials_token(cc)
    check("RFC 7662 §2.2 active: client_credentials token without scope has the client's API scopes",
          active_problems(introspect(cc, without["access_token"]),
                          dict(expected, scope=" ".join(CC_SCOPES)), user=False))
    check("RFC 7009 §2.2 revoke a client_credentials token (client_secret_post): 200, empty body",
          revoked_ok(revoke(cc, access, auth="post")))
    check("RFC 7662 §2.2 inactive: revoked client_credentials token",
          inactive_problems(introspect(cc, access)) + inactive_problems(introspect(rs, access)))


def start_expiry(a, cc):
    """Tokens from the short-lived server (OIDC_TOKEN_EXPIRE=2), checked active at once; returns
    them with the time they are sure to have expired."""
    start_server("short-lived server", SHORT_PORT, SHORT_ISSUER, fatal=False, OIDC_TOKEN_EXPIRE=str(SHORT_LIFETIME))
    grant = sign_in(a)  # at the main server; refreshed at the short-lived one
    answer = refresh(a, grant["refresh_token"], port=SHORT_PORT)
    tokens = answer.json() or {}
    if answer.status != 200 or not tokens.get("access_token"):
        raise RuntimeError(f"refresh at the short-lived server answered {answer!r}")
    if str(tokens.get("expires_in")) not in (str(SHORT_LIFETIME), str(SHORT_LIFETIME - 1)):
        check("short-lived server: expires_in", [f"{tokens.get('expires_in')!r}, not {SHORT_LIFETIME}"])
    cc_tokens = client_credentials_token(cc, "api.write", port=SHORT_PORT)
    issued = time.time()
    short = {"user": (a, tokens["access_token"]), "client_credentials": (cc, cc_tokens["access_token"])}
    for what, (client, token) in short.items():
        problems = active_problems(introspect(client, token), {"client_id": client["client_id"]},
                                   user=(what == "user"))
        body = introspect(client, token).json() or {}
        if isinstance(body.get("exp"), int) and isinstance(body.get("iat"), int) \
                and not 0 < body["exp"] - body["iat"] <= SHORT_LIFETIME + 1:
            problems.append(f"exp - iat = {body['exp'] - body['iat']}, not {SHORT_LIFETIME}")
        check(f"RFC 7662 §2.2 active before expiry: {what} token of the short-lived server", problems)
    return short, issued + SHORT_LIFETIME + 1.2


def finish_expiry(short, expired_at, rs):
    time.sleep(max(0.0, expired_at - time.time()))
    for what, (client, token) in short.items():
        check(f"RFC 7662 §2.2 inactive: expired {what} access token",
              inactive_problems(introspect(client, token)) + inactive_problems(introspect(rs, token))
              + inactive_problems(introspect(client, token, port=SHORT_PORT)))


def check_authlib(a, rs):
    session = OAuth2Session(a["client_id"], a["client_secret"], token_endpoint_auth_method="client_secret_basic",
                            scope=SCOPE, redirect_uri=REDIRECT)
    session.trust_env = False  # no proxy from the environment between it and 127.0.0.1
    state = "st-" + secrets.token_hex(6)
    url, state = session.create_authorization_url(ISSUER + "/authorize", state=state,
                                                  nonce="n-" + secrets.token_hex(6))
    code = code_from(browser.authorize(url), state)
    token = session.fetch_token(ISSUER + "/token", code=code)
    access, refresh_token = token.get("access_token"), token.get("refresh_token")
    if not access or not refresh_token:
        raise RuntimeError(f"Authlib fetch_token: {sorted(token)}")

    def body_of(response):
        try:
            value = response.json()
        except ValueError:
            value = None
        return value if isinstance(value, dict) else {}

    def as_answer(response):
        return Answer(response.status_code, list(response.headers.items()), response.content)

    expected = {"client_id": a["client_id"], "aud": a["client_id"], "iss": ISSUER, "token_type": "Bearer",
                "username": USERNAME}
    response = session.introspect_token(ISSUER + "/introspect", token=access, token_type_hint="access_token",
                                        timeout=30)
    check("Authlib introspect_token (client_secret_basic): active", active_problems(as_answer(response), expected))
    rs_session = OAuth2Session(rs["client_id"], rs["client_secret"], token_endpoint_auth_method="client_secret_post")
    rs_session.trust_env = False
    response = rs_session.introspect_token(ISSUER + "/introspect", token=access, timeout=30)
    check("Authlib introspect_token as the resource server (client_secret_post): active",
          active_problems(as_answer(response), expected))
    response = session.revoke_token(ISSUER + "/revoke", token=refresh_token, token_type_hint="refresh_token",
                                    timeout=30)
    check("Authlib revoke_token (refresh token): 200", [] if response.status_code == 200
          else [f"{response.status_code} {response.text[:200]!r}"])
    response = session.introspect_token(ISSUER + "/introspect", token=access, token_type_hint="access_token",
                                        timeout=30)
    check("Authlib introspect_token after revoke_token: inactive",
          [] if response.status_code == 200 and body_of(response) == {"active": False}
          else [f"{response.status_code} {response.text[:200]!r}"])
    response = session.get(ISSUER + "/userinfo", timeout=30)
    check("Authlib session /userinfo after revoke_token: 401",
          [] if response.status_code == 401 else [f"{response.status_code} {response.text[:200]!r}"])


# ---------------------------------------------------------------- the run

def main():
    systemcheck.set_up(env, cli, abort, USERNAME, PASSWORD, "--email", EMAIL, "--given-name", "Ida",
                       "--family-name", "Inspector")
    scopes = [arg for s in SCOPE.split() for arg in ("--scope", s)]
    a = create_client("Introspection A", "--redirect-uri", REDIRECT, *scopes)
    b = create_client("Introspection B", "--redirect-uri", REDIRECT, *scopes)
    rs = create_client("Introspection API", "--resource-server")
    cc = create_client("Introspection service", "--redirect-uri", REDIRECT, "--grant-type", "client_credentials",
                       *[arg for s in CC_SCOPES for arg in ("--scope", s)])
    public = create_client("Introspection public", "--public", "--redirect-uri", REDIRECT, *scopes)
    if public is not None:
        public["public"] = True
    if not (a and b and rs and cc):
        abort("gatehouse client create", "see the failures above (does the binary have --resource-server?)")
    for client in (a, b, rs, cc):
        if not client.get("client_secret"):
            abort("gatehouse client create", f"no client_secret for {client.get('client_name') or client['client_id']}")
    check_cli(rs, a)

    start_server("server", PORT, ISSUER)
    check_discovery()

    try:
        first = sign_in(a)
    except Exception as error:
        abort("code flow for client A", why(error))
    if not first.get("refresh_token"):
        abort("code flow for client A", f"no refresh token ({sorted(first)})")
    info = userinfo(first["access_token"]).json() or {}
    sub = info.get("sub")
    if not sub:
        abort("/userinfo with A's access token", f"no sub in {info}")

    short = None
    try:  # tokens that expire while the other checks run
        short, expired_at = start_expiry(a, cc)
    except Exception as error:
        check("RFC 7662 §2.2 inactive: expired tokens (short-lived server)", [f"set-up: {why(error)}"])

    guarded("active and inactive tokens", lambda: check_active_tokens(a, b, rs, first, sub))
    guarded("introspection errors", lambda: check_introspection_errors(a, rs, public, first["access_token"]))
    guarded("revocation errors", lambda: check_revocation_errors(a, b, rs, first))
    refreshed = {}

    def access_then_grant():
        nonlocal refreshed
        refreshed = check_access_revocation(a, rs, first)

    guarded("access token revocation", access_then_grant)
    if refreshed:
        guarded("grant revocation (hint refresh_token)",
                lambda: check_grant_revocation(a, rs, refreshed, "hint refresh_token", "refresh_token"))
    guarded("grant revocation (no hint, client_secret_post)",
            lambda: check_grant_revocation(a, rs, sign_in(a), "no hint, client_secret_post", None, auth="post"))
    guarded("grant revocation (hint access_token)",
            lambda: check_grant_revocation(a, rs, sign_in(a), "hint access_token", "access_token"))
    if public:
        guarded("public client revocation", lambda: check_public_client(public, a, sign_in(a)["access_token"]))
    guarded("client_credentials", lambda: check_client_credentials(cc, b, rs))
    guarded("Authlib", lambda: check_authlib(a, rs))
    if short:
        guarded("expired tokens", lambda: finish_expiry(short, expired_at, rs))
    finish()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # the summary is the last line, whatever happened
        check("run", [f"unexpected {why(error)}"])
        finish()

#!/usr/bin/env python3
"""Checks `gatehouse import django-oidc-provider` end to end, from a real django-oidc-provider 0.9
deployment to a Gatehouse that serves its clients, users and tokens on as they were.

    check_django_import.py GATEHOUSE_BINARY   (DATABASE_URL names an empty, migrated Gatehouse database)
    check_django_import.py --django-only      (builds the Django source alone, prints what it collected)

The Django half (django_source.py) is built for real: a database
`<Gatehouse's database>_django` next to Gatehouse's, Django's migrations, two
RSA keys, five users (alice pbkdf2_sha256, bob pbkdf2_sha1, carol argon2,
dave with an unusable password, erin inactive), three clients with Django-style
ids and secrets (rp: confidential RS256, code and code id_token, consent
required; hsrp: confidential HS256; pub: public), then the peer served by
bench/peer/serve.sh, alice signed in through Django's own pages for rp and
hsrp (codes redeemed: tokens, Django-signed ID tokens, consents) and one more
code for rp left unredeemed. The peer is stopped; its database is dropped at
the end.

Then Gatehouse (`gatehouse import django-oidc-provider --database-url DSN
[--dry-run] [--json]`):
  1. a dry run writes nothing (a dump of users, clients, signing_keys,
     consents, grants, access_tokens, refresh_tokens and authorization_codes
     is the same before and after; with --json and without) and counts what
     it would create (5 users, 3 clients, 2 signing keys, the consents and
     tokens Django holds);
  2. the import exits 0 and counts the same as created; carol (argon2) and
     dave (unusable password) are listed as not carried over, and so are the
     authorization codes; the run's own Gatehouse user is left as it was;
  then `gatehouse serve` on the port the peer used, with the peer's issuer
  (http://127.0.0.1:PORT/openid), every route under /openid: discovery's
  issuer is that issuer, /openid/authorize/ and /openid/token/ answer like
  /openid/authorize and /openid/token;
  3. rp's old client secret authenticates at the token endpoint (HTTP
     Basic), a wrong one gets invalid_client;
  4. the old refresh token refreshes: new access and refresh tokens, an ID
     token whose sub is Django's (str(alice.id));
  5. the old access tokens read /userinfo, sub as at Django;
  6. Django's kids are in Gatehouse's JWKS and the ID token Django signed
     verifies against it (joserfc; iss, aud, sub);
  7. alice signs in with her Django password through Gatehouse's login page
     for rp and sees no consent page (her consent was imported), bob
     (pbkdf2_sha1) does see it; both hashes are scrypt afterwards; erin
     (inactive) gets no code;
  8. the HS256 ID token Gatehouse issues to hsrp verifies with Django's
     client secret;
  9. `gatehouse selftest` passes with rp's old secret and fails (FAIL on the
     token endpoint or client authentication) with a wrong one;
 10. a second import changes nothing: created and updated 0 for every kind,
     the dump identical (alice's hash stays scrypt, the rotated refresh token
     stays rotated); a third, with the human report, neither;
 11. no report (human or JSON), no selftest output and no server log holds
     any of Django's client secrets, tokens, codes, password hashes or
     private keys.

Each failed check is printed on a line of its own, starting with its name;
notes on what happened go to stdout as "note:" lines; the last line printed
is the summary: `django import: N checks, failures: K`.
"""
import atexit
import base64
import html
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemcheck  # noqa: E402
from systemcheck import basic, encode, why  # noqa: E402
import django_source  # noqa: E402
from django_source import DjangoSourceError  # noqa: E402

try:
    from joserfc import jwt
    from joserfc.jwk import KeySet, OctKey
except ImportError as error:
    sys.exit(f"{error}: run scripts/ensure-python-deps.sh")

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
DJANGO_ONLY = "--django-only" in sys.argv[1:]
if not ARGS and not DJANGO_ONLY:
    sys.exit("usage: check_django_import.py GATEHOUSE_BINARY | --django-only")
BINARY = ARGS[0] if ARGS else None
HOST = "127.0.0.1"
REDIRECT = django_source.REDIRECT_URI
SCOPE = django_source.SCOPE
KINDS = ("users", "clients", "signing_keys", "consents", "access_tokens", "refresh_tokens")
TABLES = ("users", "clients", "signing_keys", "consents", "grants", "access_tokens", "refresh_tokens",
          "authorization_codes")

env = systemcheck.environment()
if not env.get("DATABASE_URL"):
    sys.exit("DATABASE_URL must name the (empty, migrated) Gatehouse database")
GATEHOUSE_DSN = env["DATABASE_URL"]

tag = secrets.token_hex(4)
LOCAL_USER, LOCAL_PASSWORD = f"gh_local_{tag}", "local horse " + secrets.token_hex(8)

# ---------------------------------------------------------------- bookkeeping

failures = systemcheck.Failures(limit=700)
counts = {"checks": 0}
notes = []
outputs = {}  # what the CLI printed, by name: checked for leaks at the end
cli = systemcheck.cli_runner(BINARY, env, timeout=300) if BINARY else None
state = {"source": None}


class Servers(systemcheck.Servers):
    """systemcheck.Servers at LOG_LEVEL=info (the default; the logs are checked for leaks), keeping the
    whole log of a server stopped during the run."""

    def __init__(self, *args):
        super().__init__(*args)
        self.stopped_logs = {}

    def start(self, name, port, issuer, **extra):
        log = tempfile.NamedTemporaryFile(prefix=self.log_prefix, suffix=".log", delete=False)
        server_env = dict(self.env, PORT=str(port), OIDC_ISSUER=issuer, OIDC_SWEEP_INTERVAL="0",
                          OIDC_LOGIN_MAX_FAILURES="1000")
        server_env["LOG_LEVEL"] = "info"
        server_env.update(extra)
        process = subprocess.Popen([self.binary, "serve", "--host", self.host], env=server_env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.running.append((name, process, log))
        return process

    def stop_one(self, process):
        """Stops a server (SIGTERM, then SIGKILL) and keeps its whole log; returns the log."""
        for entry in [e for e in self.running if e[1] is process]:
            name, _, log = entry
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            self.running.remove(entry)
            text = systemcheck.log_tail(log.name, tail=10 ** 9)
            self.stopped_logs[f"{name} log"] = text
            os.unlink(log.name)
            return text
        return ""

    def print_logs(self):
        for name, text in self.stopped_logs.items():
            if text.strip():
                print(f"{name} (stopped during the run; tail):\n{text[-3000:]}", file=sys.stderr)
        super().print_logs()

    def all_logs(self):
        logs = dict(self.stopped_logs)
        for name, _, log in self.running:
            logs[f"{name} log"] = systemcheck.log_tail(log.name, tail=10 ** 9)
        return logs


servers = Servers(BINARY, env, HOST, "gatehouse-django-import-")
atexit.register(servers.stop)


def close_source():
    if state["source"] is not None:
        state["source"].close()


atexit.register(close_source)  # runs first (atexit is last in, first out)


def on_sigterm(signum, frame):
    raise SystemExit(f"signal {signum}")


signal.signal(signal.SIGTERM, on_sigterm)


def check(name, problems):
    """One named check: passes when `problems` (a list of strings) is empty."""
    counts["checks"] += 1
    problems = [p for p in problems if p]
    if problems:
        failures.record(name, "; ".join(problems))
    return not problems


def note(text):
    notes.append(text)
    print(f"note: {text}", file=sys.stderr, flush=True)


def finish():
    """Prints the notes, the failures and the summary (the last line), and exits."""
    for text in notes:
        print(f"note: {text}")
    systemcheck.finish(failures, servers, f"django import: {counts['checks']} checks", counts["checks"] > 0,
                       ordered=False)


def abort(step, detail):
    check(f"set-up: {step}", [detail])
    finish()


def guarded(name, body):
    """Runs a group of checks; an exception is one failed check, never the end of the run."""
    try:
        return body()
    except Exception as error:
        check(name, [f"unexpected {why(error)}"])
        return None


# ---------------------------------------------------------------- Gatehouse's tables

def psql(sql):
    return django_source.psql(GATEHOUSE_DSN, sql)


def dump():
    """Gatehouse's tables as text, each row `row::text`, sorted (a table that does not exist is noted)."""
    tables = {}
    for table in TABLES:
        if psql(f"SELECT to_regclass('public.{table}') IS NOT NULL")[0][0] != "t":
            tables[table] = ["(no such table)"]
            continue
        tables[table] = ["\t".join(row) for row in psql(f'SELECT t::text FROM {table} t ORDER BY t::text COLLATE "C"')]
    return tables


def dump_problems(before, after, what):
    problems = []
    for table in TABLES:
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            gone, added = len(set(old) - set(new)), len(set(new) - set(old))
            problems.append(f"{what} changed {table} ({len(old)} rows before, {len(new)} after; "
                            f"{gone} rows no longer there, {added} new or changed)")
    return problems


def password_hash(username):
    rows = psql(f"SELECT password_hash FROM users WHERE username = '{username}'")
    return rows[0][0] if rows else None


# ---------------------------------------------------------------- the import

def run_import(name, *flags):
    """`gatehouse import django-oidc-provider --database-url DSN FLAGS`: (status, stdout, stderr, JSON
    report or None); its output is kept for the leak check."""
    status, out, err = cli("import", "django-oidc-provider", "--database-url", state["source"].dsn, *flags)
    outputs[f"{name}: stdout"], outputs[f"{name}: stderr"] = out, err
    report = None
    if "--json" in flags:
        try:
            report = json.loads(out)
        except ValueError:
            report = None
        if not isinstance(report, dict):
            report = None
    return status, out, err, report


def report_problems(status, out, err, report, dry_run, json_wanted=True):
    problems = []
    if status != 0:
        problems.append(f"exit status {status}: {systemcheck.one_line(err[-600:] or out[-600:])}")
    if json_wanted:
        if report is None:
            problems.append(f"stdout is not one JSON object: {out[:300]!r}")
        elif report.get("dry_run") is not dry_run:
            problems.append(f"dry_run is {report.get('dry_run')!r}, not {dry_run}")
    return problems


def counts_problems(report, expected):
    """`expected`: {kind: {field: number}}, compared with report["counts"]."""
    if report is None:
        return ["no JSON report"]
    got = report.get("counts")
    if not isinstance(got, dict):
        return [f"no counts object: {sorted(report)}"]
    problems = []
    for kind in KINDS:
        entry = got.get(kind)
        if not isinstance(entry, dict):
            problems.append(f"no counts for {kind}")
            continue
        wrong = {f: entry.get(f) for f, n in expected[kind].items() if entry.get(f) != n}
        if wrong:
            problems.append(f"{kind}: {wrong}, expected {expected[kind]}")
    return problems


def not_carried_over_problems(report, source):
    if report is None:
        return ["no JSON report"]
    items = report.get("not_carried_over")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return [f"not_carried_over is {items!r:.200}"]
    # The contract names the kind "user"; ImportReport.Kind spells it "users" (as in counts): either.
    users = {i.get("item") for i in items if i.get("kind") in ("user", "users")}
    problems = []
    for name in ("carol", "dave"):
        if name not in users:
            problems.append(f"{name} (password {source.users[name]['password_hash'][:8]}...) is not listed as a user "
                            f"not carried over")
    for name in ("alice", "bob"):
        if name in users:
            problems.append(f"{name} is listed as not carried over, but Gatehouse verifies Django PBKDF2 hashes")
    if not any(i.get("kind") == "authorization_codes" for i in items):
        problems.append(f"the authorization codes ({len(source.rows['codes'])} in Django) are not mentioned")
    if any(not i.get("reason") for i in items):
        problems.append("an entry without a reason")
    return problems


# ---------------------------------------------------------------- HTTP

class Site(systemcheck.Site):
    """A server whose issuer has a path (/openid): absolute URLs map to their whole path."""

    def target_of(self, url):
        if url.startswith("/") and not url.startswith("//"):
            return url
        origin = f"http://{self.host}:{self.port}"
        if url == origin or url.startswith(origin + "/"):
            return url[len(origin):] or "/"
        return None


class Answer(systemcheck.Answer):
    preview = 300


class Gatehouse:
    """The running server: its site, issuer and endpoints (from discovery)."""

    def __init__(self, port, issuer):
        self.port, self.issuer = port, issuer
        self.site = Site(HOST, port, issuer, answer=Answer)
        prefix = urllib.parse.urlsplit(issuer).path
        self.endpoints = {
            "authorization_endpoint": prefix + "/authorize", "token_endpoint": prefix + "/token",
            "userinfo_endpoint": prefix + "/userinfo", "jwks_uri": prefix + "/jwks",
        }
        self.prefix = prefix

    def fetch(self, method, url, headers=None, body=None):
        return self.site.fetch(method, url, headers, body)

    def token(self, pairs, client_id, secret):
        return self.fetch("POST", self.endpoints["token_endpoint"],
                          {"Content-Type": systemcheck.FORM, "Authorization": basic(client_id, secret)}, encode(pairs))

    def userinfo(self, access_token):
        return self.fetch("GET", self.endpoints["userinfo_endpoint"], {"Authorization": "Bearer " + access_token})

    def jwks(self):
        answer = self.fetch("GET", self.endpoints["jwks_uri"])
        keys = answer.json()
        if answer.status != 200 or not keys or not isinstance(keys.get("keys"), list):
            raise RuntimeError(f"JWKS answered {answer!r}")
        return keys


class Walk:
    """One browser at Gatehouse: cookies by name (cookiejar.py), from the authorization endpoint
    through the sign-in page and, when it shows, the consent page (allow); forms found by the last
    segment of their action (…/login, …/consent), so they may live under the issuer's path."""

    def __init__(self, gatehouse, username, password):
        self.gh, self.username, self.password = gatehouse, username, password
        self.jar = {}
        self.texts = {}  # the last sign-in and consent pages seen, as text

    def request(self, method, url, form=None):
        headers = {}
        if self.jar:
            headers["Cookie"] = systemcheck.cookiejar.header(self.jar)
        body = None
        if form is not None:
            headers["Content-Type"] = systemcheck.FORM
            body = encode(form)
        answer = self.gh.fetch(method, url, headers, body)
        systemcheck.cookiejar.update(self.jar, answer.header_all("Set-Cookie"))
        return answer

    @staticmethod
    def form(page, name):
        for f in page.forms:
            path = urllib.parse.urlsplit(f["action"]).path.rstrip("/")
            if f["method"] == "post" and (path == "/" + name or path.endswith("/" + name)):
                return f
        return None

    def resolve(self, current, action):
        url = urllib.parse.urljoin(f"http://{HOST}:{self.gh.port}{current}", action or current)
        return self.gh.site.target_of(url)

    def authorize(self, pairs):
        """(the answer meant for the client, the pages seen: "login", "consent", "login again").
        Raises RuntimeError on a server error, no answer or a loop."""
        current = self.gh.site.target_of(self.gh.endpoints["authorization_endpoint"]) + "?" + encode(pairs)
        answer = self.request("GET", current)
        pages = []
        for _ in range(10):
            if answer.status is None:
                raise RuntimeError(f"no answer: {answer.error}")
            if answer.status >= 500:
                raise RuntimeError(f"server error {answer!r}")
            page = systemcheck.Page(answer.text) if answer.content_type == "text/html" else None
            login = page and self.form(page, "login")
            consent = page and self.form(page, "consent")
            if login:
                if "login" in pages:
                    pages.append("login again")
                    return answer, pages
                pages.append("login")
                current = self.resolve(current, login["action"])
                answer = self.request("POST", current, systemcheck.hidden(login)
                                      + [("username", self.username), ("password", self.password)])
                continue
            if consent and answer.status == 200:
                if "consent" in pages:
                    raise RuntimeError("the consent page again after allowing")
                pages.append("consent")
                self.texts["consent"] = answer.text
                allow = next(((b.get("name"), b.get("value", "")) for b in consent["buttons"]
                              if b.get("name") == "allow"), ("allow", "allow"))
                current = self.resolve(current, consent["action"])
                answer = self.request("POST", current, systemcheck.hidden(consent) + [allow])
                continue
            location = answer.header("Location")
            if answer.status in (301, 302, 303, 307) and location:
                target = self.resolve(current, location)
                if target is not None:
                    current = target
                    answer = self.request("GET", target)
                    continue
            return answer, pages
        raise RuntimeError("more than 10 steps between the authorization endpoint and the client")


def code_from(answer, state, redirect=REDIRECT):
    location = answer.header("Location") or ""
    if answer.status not in (302, 303) or not location.startswith(redirect + "?"):
        raise RuntimeError(f"expected a redirect to {redirect}?..., got {answer!r}")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    if params.get("state") != state or not params.get("code"):
        raise RuntimeError(f"redirect without the code or the state: {location[:200]!r}")
    return params["code"]


def authorize_pairs(client_id, redirect, state, nonce):
    return [("client_id", client_id), ("redirect_uri", redirect), ("response_type", "code"), ("scope", SCOPE),
            ("state", state), ("nonce", nonce)]


def jose_header(token):
    try:
        head = token.split(".")[0]
        value = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        return value if isinstance(value, dict) else {}
    except (ValueError, IndexError):
        return {}


def audience_ok(aud, client_id):
    return aud == client_id or (isinstance(aud, list) and client_id in aud)


def claims_problems(claims, issuer, client_id, sub, nonce=None, times=True):
    problems = []
    if issuer is not None and claims.get("iss") != issuer:
        problems.append(f"iss {claims.get('iss')!r}, not {issuer!r}")
    if not audience_ok(claims.get("aud"), client_id):
        problems.append(f"aud {claims.get('aud')!r}, not {client_id!r}")
    if claims.get("sub") != sub:
        problems.append(f"sub {claims.get('sub')!r}, not {sub!r}")
    if nonce is not None and claims.get("nonce") != nonce:
        problems.append(f"nonce {claims.get('nonce')!r}, not {nonce!r}")
    if times:
        now = time.time()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now - 60:
            problems.append(f"exp {claims.get('exp')!r} (now {int(now)})")
        if not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > now + 60:
            problems.append(f"iat {claims.get('iat')!r} (now {int(now)})")
    return problems


def verify_with_jwks(token, jwks, alg="RS256"):
    """(claims, problems): the token's signature checked with the JWKS key its kid names."""
    header = jose_header(token)
    if header.get("alg") != alg:
        return {}, [f"header {header}, not alg {alg}"]
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")]
    if not header.get("kid") or not keys:
        return {}, [f"kid {header.get('kid')!r} is not in the JWKS ({[k.get('kid') for k in jwks.get('keys', [])]})"]
    try:
        decoded = jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=[alg])
    except Exception as error:
        return {}, [f"signature does not verify: {why(error)}"]
    return decoded.claims, []


def verify_hs256(token, secret):
    header = jose_header(token)
    if header.get("alg") != "HS256":
        return {}, [f"header {header}, not alg HS256"]
    try:
        decoded = jwt.decode(token, OctKey.import_key(secret), algorithms=["HS256"])
    except Exception as error:
        return {}, [f"does not verify with the client secret: {why(error)}"]
    return decoded.claims, []


# ---------------------------------------------------------------- the Gatehouse half

def start_gatehouse(source):
    """`gatehouse serve` on the port the peer used, with its issuer; on another port (and issuer)
    when that port cannot be had. Returns (Gatehouse, process, same_issuer)."""
    def start(port, issuer):
        gh = Gatehouse(port, issuer)
        process = servers.start("gatehouse serve", port, issuer)

        def healthz():
            status = gh.fetch("GET", "/healthz").status
            return status if status == 200 else gh.fetch("GET", gh.prefix + "/healthz").status
        problem = servers.wait_ready(process, healthz, seconds=60)
        if problem and process.poll() is not None:
            problem += ": " + servers.forget(process)[-800:]
        elif problem:
            servers.stop_one(process)
        return gh, process, problem

    gh, process, problem = start(source.port, source.issuer)
    if problem is None:
        return gh, process, True
    note(f"gatehouse serve on the peer's port {source.port} failed ({systemcheck.one_line(problem, 300)}); "
         "trying another port: Django's ID token is then checked for its signature and kid only")
    port = systemcheck.free_port(HOST, {source.port})
    gh, process, problem = start(port, f"http://{HOST}:{port}/openid")
    if problem:
        abort("gatehouse serve", problem)
    return gh, process, False


def check_discovery(gh):
    answer = gh.fetch("GET", gh.prefix + "/.well-known/openid-configuration")
    meta = answer.json() or {}
    problems = [] if answer.status == 200 and meta else [f"answered {answer!r}"]
    if meta:
        if meta.get("issuer") != gh.issuer:
            problems.append(f"issuer {meta.get('issuer')!r}, not OIDC_ISSUER {gh.issuer!r}")
        for name in gh.endpoints:
            url = meta.get(name)
            if not isinstance(url, str) or not url.startswith(gh.issuer + "/"):
                problems.append(f"{name} {url!r} is not under the issuer")
            else:
                gh.endpoints[name] = url
    check("discovery under the issuer's path: issuer is OIDC_ISSUER, endpoints under it", problems)
    answer = gh.fetch("GET", "/.well-known/openid-configuration")
    if answer.status == 200 and (answer.json() or {}).get("issuer") not in (None, gh.issuer):
        check("discovery at the root", [f"another issuer: {answer!r}"])


def check_trailing_slashes(gh, rp):
    problems = []
    state = "st-" + secrets.token_hex(6)
    authorize = gh.site.target_of(gh.endpoints["authorization_endpoint"])
    query = "?" + encode(authorize_pairs(rp["client_id"], REDIRECT, state, "n-" + secrets.token_hex(6)))
    for pairs_query, what in ((query, "a valid request"), ("?" + encode([("client_id", "no-such-client")]),
                                                          "an unknown client")):
        plain = gh.fetch("GET", authorize + pairs_query)
        slash = gh.fetch("GET", authorize + "/" + pairs_query)
        if plain.status is None or plain.status >= 500 or plain.status == 404:
            problems.append(f"{authorize} ({what}) answered {plain!r}")
        if (slash.status, slash.content_type) != (plain.status, plain.content_type):
            problems.append(f"{authorize}/ ({what}) answered {slash!r}, {authorize} {plain!r}")
        elif plain.header("Location") or slash.header("Location"):
            paths = [urllib.parse.urlsplit(a.header("Location") or "").path for a in (plain, slash)]
            if paths[0] != paths[1]:
                problems.append(f"redirects differ ({what}): {paths}")
        if plain.content_type == "text/html" and what == "a valid request":
            if not Walk.form(systemcheck.Page(slash.text), "login"):
                problems.append(f"{authorize}/ shows no sign-in form")
    check("/openid/authorize/ (trailing slash) answers like /openid/authorize", problems)

    token = gh.site.target_of(gh.endpoints["token_endpoint"])
    pairs = encode([("grant_type", "refresh_token"), ("refresh_token", "not-a-token-" + secrets.token_hex(8))])
    headers = {"Content-Type": systemcheck.FORM, "Authorization": basic(rp["client_id"], rp["client_secret"])}
    plain = gh.fetch("POST", token, headers, pairs)
    slash = gh.fetch("POST", token + "/", headers, pairs)
    problems = []
    if plain.status != 400 or (plain.json() or {}).get("error") != "invalid_grant":
        problems.append(f"{token} with an unknown refresh token answered {plain!r}")
    if (slash.status, (slash.json() or {}).get("error")) != (plain.status, (plain.json() or {}).get("error")):
        problems.append(f"{token}/ answered {slash!r}, {token} {plain!r}")
    check("/openid/token/ (trailing slash) answers like /openid/token", problems)


def check_old_tokens(gh, source, jwks):
    alice = source.users["alice"]
    rp = source.clients["rp"]
    old = source.tokens["rp"]

    # 5 (first: the refresh below may end the old access token) -- both of alice's old access tokens.
    problems = []
    for key in ("rp", "hsrp"):
        answer = gh.userinfo(source.tokens[key]["access_token"])
        info = answer.json() or {}
        if answer.status != 200:
            problems.append(f"{key}'s old access token: {answer!r}")
        elif info.get("sub") != alice["sub"]:
            problems.append(f"{key}'s old access token: sub {info.get('sub')!r}, not {alice['sub']!r}")
        elif key == "rp" and info.get("email") not in (None, alice["email"]):
            problems.append(f"email {info.get('email')!r}, not {alice['email']!r}")
    check("05 Django's access tokens read /userinfo, sub as at Django", problems)

    # 3 -- rp's old secret: a wrong one is refused, the right one below authenticates.
    refresh_pairs = [("grant_type", "refresh_token"), ("refresh_token", old["refresh_token"])]
    wrong = gh.token(refresh_pairs, rp["client_id"], django_source.django_secret())
    error = (wrong.json() or {}).get("error")
    check("03 a wrong secret for rp is refused at the token endpoint (invalid_client)",
          [] if wrong.status in (400, 401) and error == "invalid_client" else [f"answered {wrong!r}"])

    answer = gh.token(refresh_pairs, rp["client_id"], rp["client_secret"])
    tokens = answer.json() or {}
    check("03 rp's old client secret authenticates at the token endpoint (HTTP Basic)",
          [] if answer.status == 200 else [f"refresh with the old secret answered {answer!r}"])

    # 4 -- the old refresh token refreshes.
    problems = []
    if answer.status == 200:
        for name in ("access_token", "refresh_token", "id_token"):
            if not tokens.get(name):
                problems.append(f"no {name} ({sorted(tokens)})")
        if tokens.get("access_token") == old["access_token"]:
            problems.append("the same access token again")
        if tokens.get("refresh_token") == old["refresh_token"]:
            problems.append("the same refresh token again (not rotated)")
        if tokens.get("id_token"):
            claims, bad = verify_with_jwks(tokens["id_token"], jwks)
            problems += [f"new ID token: {p}" for p in bad]
            if claims:
                problems += [f"new ID token: {p}"
                             for p in claims_problems(claims, gh.issuer, rp["client_id"], alice["sub"])]
        if tokens.get("access_token"):
            info = gh.userinfo(tokens["access_token"])
            if info.status != 200 or (info.json() or {}).get("sub") != alice["sub"]:
                problems.append(f"/userinfo with the new access token: {info!r}")
    else:
        problems.append(f"refresh answered {answer!r}")
    check("04 Django's refresh token refreshes: new tokens, ID token sub is Django's", problems)

    # 6 -- Django's keys and its ID token.
    problems = []
    published = [k.get("kid") for k in jwks.get("keys", [])]
    for i, key in enumerate(source.keys):
        if key["kid"] not in published:
            problems.append(f"Django's key {i + 1} (kid {key['kid']}) is not in the JWKS ({published})")
    claims, bad = verify_with_jwks(old["id_token"], jwks)
    problems += [f"Django's ID token: {p}" for p in bad]
    if claims:
        issuer = source.issuer if gh.issuer == source.issuer else None
        problems += [f"Django's ID token: {p}" for p in
                     claims_problems(claims, issuer, rp["client_id"], alice["sub"], old["nonce"], times=False)]
        if issuer is None:
            note("Django's ID token checked for its signature, kid, aud and sub only (Gatehouse's issuer differs)")
    check("06 Django's kids are in /openid/jwks; its ID token verifies against Gatehouse's JWKS", problems)


def sign_in(gh, source, username, client_key, label):
    """Signs `username` in at Gatehouse for the client; returns (tokens, pages seen, {page: text});
    raises RuntimeError."""
    user, client = source.users[username], source.clients[client_key]
    redirect = client["redirect_uris"][0]
    state, nonce = "st-" + secrets.token_hex(6), "n-" + secrets.token_hex(6)
    walk = Walk(gh, username, user["password"])
    answer, pages = walk.authorize(authorize_pairs(client["client_id"], redirect, state, nonce))
    if "login again" in pages:
        raise RuntimeError(f"{username}'s Django password was refused at the sign-in page: "
                           f"{systemcheck.one_line(answer.text, 200)}")
    note(f"{label}: pages seen at Gatehouse: {', '.join(pages) or 'none'}")
    code = code_from(answer, state, redirect)
    answer = gh.token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)],
                      client["client_id"], client["client_secret"])
    tokens = answer.json() or {}
    if answer.status != 200 or not tokens.get("access_token") or not tokens.get("id_token"):
        raise RuntimeError(f"the token endpoint answered {answer!r}")
    return dict(tokens, nonce=nonce), pages, walk.texts


def check_sign_ins(gh, source, jwks):
    rp = source.clients["rp"]

    def user_check(username, consent_expected, why_):
        sub = source.users[username]["sub"]
        try:
            tokens, pages, texts = sign_in(gh, source, username, "rp", f"{username} at rp")
        except RuntimeError as error:
            check(f"07 {username} signs in at Gatehouse with the Django password ({why_})", [str(error)])
            return
        problems = []
        if ("consent" in pages) != consent_expected:
            problems.append(f"the consent page was {'not ' if consent_expected else ''}shown (pages: {pages})")
        if "login" not in pages:
            problems.append(f"no sign-in page (pages: {pages})")
        claims, bad = verify_with_jwks(tokens["id_token"], jwks)
        problems += bad + (claims_problems(claims, gh.issuer, rp["client_id"], sub, tokens["nonce"]) if claims else [])
        stored = password_hash(username) or ""
        if not stored.startswith("$scrypt$"):
            problems.append(f"the stored hash starts {stored[:14]!r}, not '$scrypt$'")
        check(f"07 {username} signs in at Gatehouse with the Django password ({why_})", problems)
        if "consent" in pages:
            text = html.unescape(texts.get("consent", ""))
            missing = [v for v in ("https://rp.example/", "https://rp.example/terms", "ops@rp.example")
                       if v not in text]
            check("07 the consent page shows rp's website, terms and contact e-mail from Django",
                  [f"{missing} not on the page"] if missing else [])

    user_check("alice", False, "pbkdf2_sha256, consent imported: no consent page; hash becomes scrypt")
    user_check("bob", True, "pbkdf2_sha1, no consent: the consent page; hash becomes scrypt")

    # erin is inactive at Django: no code for her.
    erin = source.users["erin"]
    state = "st-" + secrets.token_hex(6)
    answer, pages = Walk(gh, "erin", erin["password"]).authorize(
        authorize_pairs(rp["client_id"], REDIRECT, state, "n-" + secrets.token_hex(6)))
    location = answer.header("Location") or ""
    check("07 erin (inactive at Django) cannot sign in",
          [f"got {answer!r} (pages {pages})"] if location.startswith(REDIRECT) and "code=" in location else [])


def check_hs256(gh, source):
    hsrp, alice = source.clients["hsrp"], source.users["alice"]
    problems = []
    try:
        tokens, _, _ = sign_in(gh, source, "alice", "hsrp", "alice at hsrp")
    except RuntimeError as error:
        check("08 hsrp's ID token from Gatehouse verifies with HS256 keyed with the old Django secret", [str(error)])
        return
    claims, bad = verify_hs256(tokens["id_token"], hsrp["client_secret"])
    problems += bad
    if claims:
        problems += claims_problems(claims, gh.issuer, hsrp["client_id"], alice["sub"], tokens["nonce"])
    check("08 hsrp's ID token from Gatehouse verifies with HS256 keyed with the old Django secret", problems)


def check_selftest(gh, source):
    rp, alice = source.clients["rp"], source.users["alice"]
    with tempfile.TemporaryDirectory(prefix="gatehouse-selftest-") as tmp:
        password_file = os.path.join(tmp, "password")
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(alice["password"])
        args = ["selftest", "--issuer", gh.issuer, "--client-id", rp["client_id"], "--client-secret-stdin",
                "--redirect-uri", REDIRECT, "--username", "alice", "--password-file", password_file]
        status, out, err = cli(*args, stdin=rp["client_secret"] + "\n")
        outputs["selftest: stdout"], outputs["selftest: stderr"] = out, err
        lines = [line for line in out.splitlines() if line.strip()]
        problems = [] if status == 0 else [f"exit status {status}: {systemcheck.one_line((out + err)[-600:])}"]
        if not lines:
            problems.append("printed nothing")
        problems += [f"line {line[:160]!r}" for line in lines if not line.startswith("PASS")][:5]
        check("09 gatehouse selftest with rp's old secret: exit 0, every line PASS", problems)

        wrong = django_source.django_secret()
        status, out, err = cli(*args, stdin=wrong + "\n")
        outputs["selftest (wrong secret): stdout"], outputs["selftest (wrong secret): stderr"] = out, err
        problems = [] if status not in (0, -1) else [
            f"exit status {status}: {systemcheck.one_line((out + err)[-400:])}"]
        fails = [line for line in (out + "\n" + err).splitlines() if line.startswith("FAIL")]
        if not fails:
            problems.append(f"no line starts with FAIL: {systemcheck.one_line(out[-400:])}")
        elif not any(w in line.lower() for line in fails
                     for w in ("token", "client authentication", "invalid_client", "client auth")):
            problems.append(f"no FAIL line names the token endpoint or client authentication: {fails[:3]}")
        check("09 gatehouse selftest with a wrong secret: exit non-zero, FAIL at the token endpoint", problems)


def check_leaks(source):
    forbidden = source.secrets()
    texts = dict(outputs)
    texts.update(servers.all_logs())
    problems = []
    for name, text in texts.items():
        found = sorted({label for value, label in forbidden.items() if value in text})
        if found:
            problems.append(f"{name} holds {', '.join(found)}")
    check("11 no report, selftest output or server log holds Django's secrets, tokens, codes or hashes",
          problems)


def gatehouse_half(source):
    expected_created = {
        "users": 5, "clients": 3, "signing_keys": 2, "consents": source.rows["consents"],
        "access_tokens": source.rows["live_access_tokens"], "refresh_tokens": len(source.rows["refresh_tokens"]),
    }
    first_counts = {k: {"created": n, "updated": 0, "unchanged": 0} for k, n in expected_created.items()}
    note(f"Django holds {json.dumps(expected_created)}; codes: {len(source.rows['codes'])}")

    # 1 -- dry runs.
    before = dump()
    status, out, err, report = run_import("dry run (--json)", "--dry-run", "--json")
    after = dump()
    check("01 dry run (--json): exit 0, one JSON object, dry_run true", report_problems(status, out, err, report, True))
    check("01 dry run (--json) writes nothing", dump_problems(before, after, "the dry run"))
    check("01 dry run counts what it would create", counts_problems(report, first_counts))
    status, out, err, _ = run_import("dry run (human report)", "--dry-run")
    check("01 dry run (human report): exit 0, writes nothing",
          report_problems(status, out, err, None, True, json_wanted=False)
          + dump_problems(before, dump(), "the dry run with the human report")
          + ([] if (out + err).strip() else ["the human report is empty"]))

    # 2 -- the import.
    local_before = [r for r in before["users"] if LOCAL_USER in r]
    status, out, err, report = run_import("import (--json)", "--json")
    if status != 0:
        check("02 import: exit 0, one JSON object, dry_run false", report_problems(status, out, err, report, False))
        abort("import", "the import failed; nothing to serve")
    check("02 import: exit 0, one JSON object, dry_run false", report_problems(status, out, err, report, False))
    check("02 import counts what it created", counts_problems(report, first_counts))
    check("02 not carried over: carol (argon2) and dave (unusable password), the authorization codes",
          not_carried_over_problems(report, source))
    imported = dump()
    problems = []
    if [r for r in imported["users"] if LOCAL_USER in r] != local_before:
        problems.append(f"Gatehouse's own user {LOCAL_USER} changed")
    rows = psql("SELECT username, is_active, subject::text FROM users "
                "WHERE username IN ('alice','bob','carol','dave','erin') ORDER BY username")
    if [r[0] for r in rows] != ["alice", "bob", "carol", "dave", "erin"]:
        problems.append(f"users after the import: {[r[0] for r in rows]}")
    else:
        active = {r[0]: r[1] for r in rows}
        if active["erin"] != "f" or any(v != "t" for k, v in active.items() if k != "erin"):
            problems.append(f"is_active: {active} (only erin is inactive at Django)")
        subjects = {r[0]: r[2] for r in rows}
        wanted = {name: source.users[name]["sub"] for name in subjects}
        if subjects != wanted:
            problems.append(f"subjects {subjects}, not Django's {wanted}")
    check("02 the users are there with Django's sub (erin inactive), Gatehouse's own user untouched", problems)

    # The server, on the peer's port and issuer.
    gh, process, _ = start_gatehouse(source)
    guarded("discovery", lambda: check_discovery(gh))
    guarded("trailing slashes", lambda: check_trailing_slashes(gh, source.clients["rp"]))
    jwks = guarded("06 JWKS", gh.jwks) or {"keys": []}
    guarded("03-06 Django's tokens, secret and keys", lambda: check_old_tokens(gh, source, jwks))
    guarded("07 sign-ins with Django passwords", lambda: check_sign_ins(gh, source, jwks))
    guarded("08 HS256", lambda: check_hs256(gh, source))
    guarded("09 selftest", lambda: check_selftest(gh, source))
    servers.stop_one(process)  # no key rotation or session writes while the imports below compare dumps

    # 10 -- importing again changes nothing.
    scrypt_before = password_hash("alice") or ""
    before = dump()
    status, out, err, report = run_import("second import (--json)", "--json")
    after = dump()
    problems = report_problems(status, out, err, report, False)
    problems += counts_problems(report, {k: {"created": 0, "updated": 0} for k in KINDS}) if report else []
    problems += dump_problems(before, after, "the second import")
    stored = password_hash("alice") or ""
    if not stored.startswith("$scrypt$") or stored != scrypt_before:
        problems.append(f"alice's hash is now {stored[:14]!r}...")
    check("10 a second import changes nothing (created 0, updated 0, tables identical)", problems)
    status, out, err, _ = run_import("third import (human report)")
    check("10 a third import (human report) exits 0 and changes nothing",
          report_problems(status, out, err, None, False, json_wanted=False)
          + dump_problems(after, dump(), "the third import")
          + ([] if (out + err).strip() else ["the human report is empty"]))

    # 11
    check_leaks(source)


# ---------------------------------------------------------------- the run

def build_source():
    port = systemcheck.free_port(HOST)
    source = django_source.start(GATEHOUSE_DSN, port, note)
    state["source"] = source
    django_source.fill(source, note)
    return source


def main_django_only():
    try:
        source = build_source()
    except DjangoSourceError as error:
        print(f"django source: FAILED: {error}")
        sys.exit(1)
    print(json.dumps(source.summary(), indent=2, sort_keys=True))
    print(f"django source: ok ({len(source.secrets())} values never to leak)")
    sys.exit(0)


def main():
    systemcheck.set_up(env, cli, abort, LOCAL_USER, LOCAL_PASSWORD, "--email", f"{LOCAL_USER}@example.org")
    try:
        source = build_source()
    except DjangoSourceError as error:
        abort("the Django source", str(error))
    gatehouse_half(source)
    finish()


if __name__ == "__main__":
    if DJANGO_ONLY:
        main_django_only()
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # the summary is the last line, whatever happened
        check("run", [f"unexpected {why(error)}"])
        finish()

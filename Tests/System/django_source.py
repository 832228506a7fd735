"""A real django-oidc-provider 0.9 deployment to import from, for check_django_import.py.

    source = django_source.build(gatehouse_dsn, port, log)
    ...
    source.close()        # stops the peer (if still running) and drops its database

`build` creates the database `<Gatehouse's database>_django` on the same server
as `gatehouse_dsn` (CREATE DATABASE run over that connection string), makes
sure the peer's virtualenv exists (bench/peer/setup.sh), runs Django's
migrations and seeds through the ORM, in the peer's virtualenv
(DJANGO_SETTINGS_MODULE=peersite.settings, PYTHONPATH=bench/peer):

  - two RSA keys (`creatersakey` twice; Django signs with the first by id and
    publishes both, kid = MD5 hex of the PEM text);
  - users: alice (Django's default hasher, pbkdf2_sha256, with email and
    names), bob (a pbkdf2_sha1 hash stored as is), carol (an argon2id hash
    string), dave (an unusable password), erin (inactive, pbkdf2_sha256);
  - clients, Django-style (6-digit client_id, 56-hex secret): "rp"
    (confidential, RS256, `code` and `code id_token`, consent required and
    reused, website/terms/contact set, empty scope), "hsrp" (confidential,
    HS256, `code`), "pub" (public, `code`).

Then it serves the peer (bench/peer/serve.sh, issuer http://127.0.0.1:PORT/openid)
and signs alice in through Django's real login and consent pages for "rp"
(scope "openid profile email", a nonce) and for "hsrp", redeeming each code at
/openid/token (HTTP Basic), checking the ID tokens (RS256 against Django's own
JWKS, HS256 with the client secret) and /openid/userinfo; starts one more
authorization for "rp" and leaves its code unredeemed; reads Django's discovery
and JWKS; stops the peer and reads back what the database holds.

Runs the peer's Python as subprocesses of bench/.venv-peer/bin/python; this
module itself needs only the standard library and joserfc. Every failure
raises `DjangoSourceError` with what went wrong.
"""
import hashlib
import html.parser
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PEER_DIR = os.path.join(ROOT, "bench", "peer")
VENV_PYTHON = os.path.join(ROOT, "bench", ".venv-peer", "bin", "python")

HOST = "127.0.0.1"
REDIRECT_URI = "http://127.0.0.1:9/cb"  # nothing listens there; redirects are read, never followed
HS_REDIRECT_URIS = ["http://127.0.0.1:9/hs-cb", "https://hs.example/cb"]  # two: newline-separated in Django
PUB_REDIRECT_URI = "https://pub.example/cb"
SCOPE = "openid profile email"
REQUEST_TIMEOUT = 120  # seconds; Django's login runs PBKDF2 with a million iterations


class DjangoSourceError(Exception):
    pass


# ---------------------------------------------------------------- processes and SQL

def run(args, what, timeout=300, env=None, stdin=None):
    """stdout of a command that must exit 0; DjangoSourceError otherwise."""
    try:
        done = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DjangoSourceError(f"{what}: {type(error).__name__}: {error}") from None
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip())[-1500:]
        raise DjangoSourceError(f"{what}: exit status {done.returncode}: {detail}")
    return done.stdout


def psql(dsn, sql, timeout=60):
    """The rows of one statement run by psql, each a list of tab-separated fields."""
    out = run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
              f"psql {sql[:80]!r}", timeout=timeout)
    return [line.split("\t") for line in out.splitlines() if line != ""]


def with_dbname(dsn, name):
    """`dsn` (a libpq URI or key=value string) naming database `name` instead. A URI gets `name` as
    its path and loses any dbname in its query (which would override the path); a key=value string
    gets `dbname=name` appended (a later dbname wins in libpq)."""
    if "://" in dsn:
        url = urllib.parse.urlsplit(dsn)
        query = "&".join(p for p in url.query.split("&") if p and p.split("=", 1)[0] != "dbname")
        return urllib.parse.urlunsplit((url.scheme, url.netloc, "/" + urllib.parse.quote(name, safe=""), query,
                                        url.fragment))
    return f"{dsn} dbname='{name}'"


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def venv_env(dsn):
    env = dict(os.environ)
    env.update(PEER_DATABASE_URL=dsn, DJANGO_SETTINGS_MODULE="peersite.settings", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=PEER_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""))
    return env


def ensure_venv():
    """bench/peer/setup.sh (idempotent; pip-installs the pins the first time): its version line."""
    return run(["bash", os.path.join(PEER_DIR, "setup.sh")], "bench/peer/setup.sh", timeout=1200).strip()


# ---------------------------------------------------------------- seeding (runs in the peer's venv)

SEED = r'''
import base64, hashlib, json, os, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2SHA1PasswordHasher
from django.core.management import call_command
from oidc_provider.models import Client, ResponseType, RSAKey

spec = json.load(sys.stdin)
out = {}

with open(os.devnull, "w") as devnull:
    call_command("creatersakey", stdout=devnull)
    call_command("creatersakey", stdout=devnull)
out["keys"] = [{"id": k.id, "kid": k.kid, "md5": hashlib.md5(k.key.encode()).hexdigest(), "pem": k.key}
               for k in RSAKey.objects.order_by("id")]

User = get_user_model()
# Django's ids start far from Gatehouse's own (which count from 1): a sub that is Gatehouse's id
# rather than Django's shows.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT setval(pg_get_serial_sequence('auth_user', 'id'), %s)", [spec["first_user_id"] - 1])

def user(username, first, last, active=True):
    return User(username=username, email=f"{username}@example.org", first_name=first, last_name=last,
                is_active=active)

alice = user("alice", "Alice", "Liddell")
alice.set_password(spec["passwords"]["alice"])
alice.save()
bob = user("bob", "Bob", "Builder")
hasher = PBKDF2SHA1PasswordHasher()
bob.password = hasher.encode(spec["passwords"]["bob"], hasher.salt())
bob.save()
carol = user("carol", "Carol", "Danvers")
carol.password = spec["argon2"]
carol.save()
dave = user("dave", "Dave", "Lister")
dave.set_unusable_password()
dave.save()
erin = user("erin", "Erin", "Inactive", active=False)
erin.set_password(spec["passwords"]["erin"])
erin.save()
out["users"] = {u.username: {"id": u.id, "password_hash": u.password, "is_active": u.is_active,
                             "email": u.email, "given_name": u.first_name, "family_name": u.last_name}
                for u in User.objects.order_by("id")}

types = {t.value: t for t in ResponseType.objects.all()}
def client(key, name, client_type, jwt_alg, redirect_uris, response_types, **extra):
    c = Client(name=name, client_type=client_type, client_id=spec["client_ids"][key],
               client_secret=spec["client_secrets"].get(key, ""), jwt_alg=jwt_alg, **extra)
    c.redirect_uris = redirect_uris
    c.scope = []
    c.save()
    c.response_types.set([types[v] for v in response_types])
    return c

client("rp", "Django RP", "confidential", "RS256", [spec["redirect_uri"]], ["code", "code id_token"],
       require_consent=True, reuse_consent=True, website_url="https://rp.example/",
       terms_url="https://rp.example/terms", contact_email="ops@rp.example")
client("hsrp", "Django HS256 RP", "confidential", "HS256", spec["hs_redirect_uris"], ["code"],
       require_consent=True, reuse_consent=True)
client("pub", "Django public RP", "public", "RS256", [spec["pub_redirect_uri"]], ["code"])
out["clients"] = {c.client_id: {"name": c.name, "client_type": c.client_type, "jwt_alg": c.jwt_alg,
                                "client_secret": c.client_secret, "redirect_uris": c.redirect_uris,
                                "response_types": sorted(t.value for t in c.response_types.all())}
                  for c in Client.objects.order_by("id")}
print(json.dumps(out))
'''


def b64(raw):
    import base64
    return base64.b64encode(raw).decode().rstrip("=")


def django_client_ids():
    """Three distinct 6-digit client ids as Django's admin makes them (randint(1, 999999), zero-filled);
    the first ("rp") with a leading zero, which an importer must keep."""
    rp = "0" + str(random.randint(10000, 99999))
    others = set()
    while len(others) < 2:
        candidate = str(random.randint(100000, 999999))
        if candidate != rp:
            others.add(candidate)
    hsrp, pub = sorted(others)
    return {"rp": rp, "hsrp": hsrp, "pub": pub}


def django_secret():
    """A client secret as Django's admin makes it: sha224 of a uuid4 hex, 56 hex characters."""
    return hashlib.sha224(uuid.uuid4().hex.encode()).hexdigest()


# ---------------------------------------------------------------- HTTP against the peer

class Answer:
    def __init__(self, status=None, headers=(), body=b"", error=None):
        self.status, self.headers, self.body, self.error = status, list(headers), body, error

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def __repr__(self):
        if self.status is None:
            return f"no answer ({self.error})"
        location = self.header("Location")
        if location:
            return f"{self.status} to {location[:200]!r}"
        return f"{self.status} {self.body[:300]!r}"


def fetch(port, method, target, headers=None, body=None, timeout=REQUEST_TIMEOUT):
    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return Answer(response.status, response.getheaders(), response.read())
    except (OSError, http.client.HTTPException) as error:
        return Answer(error=repr(error))
    finally:
        conn.close()


class Forms(html.parser.HTMLParser):
    """The POST forms of a page: action and every input (name, type, value)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self._form = [], None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "inputs": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form["inputs"].append(a)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def post_form(self, action_path):
        for form in self.forms:
            if form["method"] == "post" and urllib.parse.urlsplit(form["action"]).path == action_path:
                return form
        return None


def hidden_fields(form):
    return [(i["name"], i.get("value", "")) for i in form["inputs"]
            if i.get("type", "text").lower() == "hidden" and i.get("name")]


class PeerBrowser:
    """One browser at the peer: cookies by name, redirects followed by hand."""

    def __init__(self, port):
        self.port, self.jar = port, {}

    def request(self, method, target, form=None, headers=None):
        headers = dict(headers or {})
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(form)
        answer = fetch(self.port, method, target, headers, body)
        for k, v in answer.headers:
            if k.lower() == "set-cookie":
                pair = v.split(";")[0]
                name, _, value = pair.strip().partition("=")
                if value and "max-age=0" not in v.lower().replace(" ", ""):
                    self.jar[name] = value
                else:
                    self.jar.pop(name, None)
        if answer.status is None:
            raise DjangoSourceError(f"{method} {target[:120]}: {answer!r}")
        if answer.status >= 500:
            raise DjangoSourceError(f"{method} {target[:120]}: {answer!r}")
        return answer

    def local(self, location):
        url = urllib.parse.urlsplit(location)
        if url.netloc and url.netloc != f"{HOST}:{self.port}":
            return None
        return url.path + ("?" + url.query if url.query else "")

    def authorize(self, client_id, redirect_uri, username, password, nonce, state, scope=SCOPE):
        """Walks /openid/authorize through Django's login and consent pages; returns (code, pages seen)."""
        query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect_uri,
                                        "response_type": "code", "scope": scope, "state": state, "nonce": nonce})
        target, pages = f"/openid/authorize?{query}", []
        answer = self.request("GET", target)
        for _ in range(10):
            location = answer.header("Location")
            if answer.status in (301, 302, 303) and location:
                if location.startswith(redirect_uri):
                    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
                    if params.get("error"):
                        raise DjangoSourceError(f"authorize for {client_id}: error {params}")
                    if params.get("state") != state or not params.get("code"):
                        raise DjangoSourceError(f"authorize: redirect without code or state: {location[:200]!r}")
                    return params["code"], pages
                local = self.local(location)
                if local is None:
                    raise DjangoSourceError(f"authorize: redirected away to {location[:200]!r}")
                target = local
                answer = self.request("GET", target)
                continue
            if answer.status != 200:
                raise DjangoSourceError(f"authorize: {answer!r}")
            forms = Forms(answer.text)
            login = forms.post_form("/accounts/login/")
            consent = forms.post_form("/openid/authorize")
            if login:
                if "login" in pages:
                    raise DjangoSourceError(f"the login page again after signing in as {username}")
                pages.append("login")
                fields = dict(hidden_fields(login))
                answer = self.request("POST", "/accounts/login/", form={
                    "csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", ""), "next": fields.get("next", ""),
                    "username": username, "password": password},
                    headers={"Referer": f"http://{HOST}:{self.port}{target}"})
                continue
            if consent:
                if "consent" in pages:
                    raise DjangoSourceError("the consent page again after allowing")
                pages.append("consent")
                answer = self.request("POST", "/openid/authorize",
                                      form=hidden_fields(consent) + [("allow", "Authorize")],
                                      headers={"Referer": f"http://{HOST}:{self.port}{target}"})
                continue
            raise DjangoSourceError(f"authorize: a page with neither login nor consent form: {answer.text[:300]!r}")
        raise DjangoSourceError("authorize: more than 10 steps")


def basic(client_id, secret):
    import base64
    # django-oidc-provider splits Basic credentials on ":" without URL-decoding; ids and secrets are hex.
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def jwt_parts(token):
    import base64

    def part(p):
        return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    pieces = token.split(".")
    if len(pieces) != 3:
        raise DjangoSourceError(f"not a JWS compact token: {token[:40]!r}...")
    return part(pieces[0]), part(pieces[1])


# ---------------------------------------------------------------- the peer process

class Peer:
    """bench/peer/serve.sh DSN PORT (gunicorn), in a process group of its own, its output in a log file."""

    def __init__(self, dsn, port):
        self.dsn, self.port = dsn, port
        self.log = tempfile.NamedTemporaryFile(prefix="django-peer-", suffix=".log", delete=False)
        self.process = subprocess.Popen(["bash", os.path.join(PEER_DIR, "serve.sh"), dsn, str(port)],
                                        stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)

    def wait_ready(self, seconds=90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DjangoSourceError(f"the peer exited with status {self.process.returncode}: "
                                        f"{self.log_text()[-1500:]}")
            answer = fetch(self.port, "GET", "/openid/.well-known/openid-configuration", timeout=10)
            if answer.status == 200:
                return
            time.sleep(0.2)
        raise DjangoSourceError(f"the peer did not answer discovery within {seconds} s: {self.log_text()[-1500:]}")

    def log_text(self):
        try:
            with open(self.log.name, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM to the peer's process group (gunicorn and its workers), SIGKILL after 20 s; then waits
        until nothing listens on the port."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        # Workers of the group may outlive the master for a moment.
        for _ in range(100):
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _ in range(100):
            if fetch(self.port, "GET", "/", timeout=2).status is None:
                break
            time.sleep(0.1)

    def remove_log(self):
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


# ---------------------------------------------------------------- the source

class Source:
    """What `build` made and collected. Attributes:

    dsn, name, admin_dsn, port, issuer; version (setup.sh's line);
    users {username: {id, sub, password (None when unknown), password_hash, is_active, ...}};
    clients {"rp"|"hsrp"|"pub": {client_id, client_secret, jwt_alg, redirect_uris, ...}};
    keys [{id, kid, pem}] (by id); jwks (Django's /openid/jwks), discovery;
    tokens {"rp"|"hsrp": {access_token, refresh_token, id_token, nonce, claims, header}};
    unredeemed_codes [code]; consent_pages {"rp": [...pages seen], ...};
    rows: what the Django database holds after the sign-ins (counts and values read back)."""

    def __init__(self):
        self.peer = None
        self.dropped = False
        self.name = None

    def close(self):
        """Stops the peer if it still runs and drops the database (errors ignored)."""
        if self.peer is not None:
            try:
                self.peer.stop()
            finally:
                self.peer.remove_log()
                self.peer = None
        if self.name and not self.dropped:
            try:
                psql(self.admin_dsn, f"DROP DATABASE IF EXISTS {quote_ident(self.name)} WITH (FORCE)")
                self.dropped = True
            except DjangoSourceError:
                pass

    def secrets(self):
        """{value: what it is} for every value of the Django deployment that must never show up in a
        report or a log: client secrets, access and refresh tokens, codes, password hashes (whole and
        their hash part) and pieces of each private key."""
        values = {}

        def add(value, label):
            if value and len(value) >= 16:
                values.setdefault(value, label)
        for key, c in self.clients.items():
            add(c["client_secret"], f"{key}'s client secret")
        for key, t in self.tokens.items():
            add(t["access_token"], f"{key}'s access token")
            add(t["refresh_token"], f"{key}'s refresh token")
        for v in self.rows["access_tokens"]:
            add(v, "an access token")
        for v in self.rows["refresh_tokens"]:
            add(v, "a refresh token")
        for v in self.unredeemed_codes + self.rows["codes"]:
            add(v, "an authorization code")
        for name, u in self.users.items():
            h = u["password_hash"]
            add(h, f"{name}'s password hash")
            add(h.rsplit("$", 1)[-1], f"the hash part of {name}'s password hash")
        for i, k in enumerate(self.keys):
            lines = [line for line in k["pem"].splitlines() if line and not line.startswith("-----")]
            for line in lines[1:3]:  # 64 base64 characters of the private key each
                add(line, f"a piece of RSA key {i + 1}'s private key")
        return values

    def summary(self):
        """What `--django-only` prints."""
        return {
            "peer": self.version, "database": self.name, "dsn": self.dsn, "issuer": self.issuer,
            "users": {n: {k: v for k, v in u.items()} for n, u in self.users.items()},
            "clients": self.clients,
            "keys": [{"id": k["id"], "kid": k["kid"]} for k in self.keys],
            "jwks_kids": [k.get("kid") for k in self.jwks.get("keys", [])],
            "discovery_issuer": self.discovery.get("issuer"),
            "tokens": {c: {"access_token": t["access_token"], "refresh_token": t["refresh_token"],
                           "id_token_header": t["header"], "id_token_claims": t["claims"]}
                       for c, t in self.tokens.items()},
            "unredeemed_codes": self.unredeemed_codes,
            "pages_seen": self.pages,
            "rows": {k: (v if isinstance(v, int) else len(v)) for k, v in self.rows.items()},
            "consents": self.consents,
        }


def build(gatehouse_dsn, port, log=lambda message: None):
    """The Django source on `port`, stopped again, its database left for the import. On failure
    raises DjangoSourceError; the caller closes the source it got (see `start`)."""
    source = start(gatehouse_dsn, port, log)
    try:
        fill(source, log)
    except BaseException:
        source.close()
        raise
    return source


def start(gatehouse_dsn, port, log):
    source = Source()
    source.admin_dsn, source.port = gatehouse_dsn, port
    source.issuer = f"http://{HOST}:{port}/openid"
    if shutil.which("psql") is None:
        raise DjangoSourceError("psql is not on PATH")
    log("django source: bench/peer/setup.sh")
    source.version = ensure_venv()
    log(f"django source: {source.version}")
    gatehouse_db = psql(gatehouse_dsn, "SELECT current_database()")[0][0]
    source.name = f"{gatehouse_db}_django"[:63]
    source.dsn = with_dbname(gatehouse_dsn, source.name)
    psql(gatehouse_dsn, f"DROP DATABASE IF EXISTS {quote_ident(source.name)} WITH (FORCE)")
    psql(gatehouse_dsn, f"CREATE DATABASE {quote_ident(source.name)}")
    return source


def fill(source, log):
    env = venv_env(source.dsn)
    log(f"django source: migrate {source.name}")
    run([VENV_PYTHON, "-m", "django", "migrate", "--noinput", "-v", "0"], "django migrate", env=env,
        timeout=600)

    passwords = {u: f"{u}-pw-" + secrets.token_hex(8) for u in ("alice", "bob", "erin")}
    client_ids = django_client_ids()
    client_secrets = {"rp": django_secret(), "hsrp": django_secret()}
    argon2 = "argon2$argon2id$v=19$m=102400,t=2,p=8$" + b64(os.urandom(16)) + "$" + b64(os.urandom(32))
    spec = {"passwords": passwords, "client_ids": client_ids, "client_secrets": client_secrets, "argon2": argon2,
            "first_user_id": random.randint(4001, 4999),
            "redirect_uri": REDIRECT_URI, "hs_redirect_uris": HS_REDIRECT_URIS, "pub_redirect_uri": PUB_REDIRECT_URI}
    log("django source: seed (2 RSA keys, 5 users, 3 clients)")
    out = run([VENV_PYTHON, "-c", SEED], "seeding through the ORM", env=env, stdin=json.dumps(spec), timeout=600)
    try:
        seeded = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise DjangoSourceError(f"seeding printed no JSON: {out[-500:]!r}") from None

    source.keys = seeded["keys"]
    for k in source.keys:
        if k["kid"] != k["md5"]:
            raise DjangoSourceError(f"RSAKey.kid {k['kid']} is not the MD5 of its PEM ({k['md5']})")
    source.users = {}
    for name, u in seeded["users"].items():
        source.users[name] = dict(u, sub=str(u["id"]), password=passwords.get(name))
    source.clients = {}
    for key, client_id in client_ids.items():
        c = seeded["clients"].get(client_id)
        if c is None:
            raise DjangoSourceError(f"client {client_id} ({key}) missing after seeding: {sorted(seeded['clients'])}")
        source.clients[key] = dict(c, client_id=client_id)
    if source.clients["rp"]["client_secret"] != client_secrets["rp"] or source.clients["pub"]["client_secret"]:
        raise DjangoSourceError("the clients' secrets were not stored as given")
    hashes = {n: u["password_hash"].split("$")[0] for n, u in source.users.items()}
    if not (hashes.get("alice") == "pbkdf2_sha256" and hashes.get("bob") == "pbkdf2_sha1"
            and hashes.get("carol") == "argon2" and source.users["dave"]["password_hash"].startswith("!")
            and hashes.get("erin") == "pbkdf2_sha256" and not source.users["erin"]["is_active"]):
        raise DjangoSourceError(f"unexpected password hashes: {hashes}")

    log(f"django source: serve on {source.issuer}")
    source.peer = Peer(source.dsn, source.port)
    source.peer.wait_ready()
    collect(source)
    log("django source: stop the peer")
    source.peer.stop()
    source.peer.remove_log()
    source.peer = None
    read_back(source)


def collect(source):
    """Discovery, JWKS, the sign-ins and the unredeemed code, while the peer runs."""
    port = source.port
    answer = fetch(port, "GET", "/openid/.well-known/openid-configuration")
    source.discovery = answer.json() or {}
    if source.discovery.get("issuer") != source.issuer:
        raise DjangoSourceError(f"Django's issuer is {source.discovery.get('issuer')!r}, not {source.issuer!r}")
    answer = fetch(port, "GET", "/openid/jwks")
    source.jwks = answer.json() or {}
    published = sorted(k.get("kid") for k in source.jwks.get("keys", []))
    if published != sorted(k["kid"] for k in source.keys):
        raise DjangoSourceError(f"Django's JWKS kids {published} are not its keys' {[k['kid'] for k in source.keys]}")

    alice = source.users["alice"]
    browser = PeerBrowser(port)
    source.tokens, source.pages = {}, {}
    for key in ("rp", "hsrp"):
        c = source.clients[key]
        redirect = c["redirect_uris"][0]
        nonce, state = "n-" + secrets.token_urlsafe(12), "s-" + secrets.token_urlsafe(8)
        code, pages = browser.authorize(c["client_id"], redirect, "alice", alice["password"], nonce, state)
        source.pages[key] = pages
        answer = fetch(port, "POST", "/openid/token", {
            "Authorization": basic(c["client_id"], c["client_secret"]),
            "Content-Type": "application/x-www-form-urlencoded"},
            urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}))
        tokens = answer.json() or {}
        if answer.status != 200 or not all(tokens.get(k) for k in ("access_token", "refresh_token", "id_token")):
            raise DjangoSourceError(f"/openid/token for {key}: {answer!r}")
        header, claims = jwt_parts(tokens["id_token"])
        if claims.get("nonce") != nonce or claims.get("sub") != alice["sub"] or claims.get("iss") != source.issuer \
                or claims.get("aud") not in (c["client_id"], [c["client_id"]]):
            raise DjangoSourceError(f"Django's ID token for {key} has claims {claims}")
        verify_django_id_token(source, key, tokens["id_token"], header)
        answer = fetch(port, "GET", "/openid/userinfo", {"Authorization": "Bearer " + tokens["access_token"]})
        info = answer.json() or {}
        if answer.status != 200 or info.get("sub") != alice["sub"]:
            raise DjangoSourceError(f"/openid/userinfo for {key}: {answer!r}")
        source.tokens[key] = dict(tokens, nonce=nonce, header=header, claims=claims, code=code)

    # One more authorization for rp, its code left unredeemed (the consent is reused now).
    rp = source.clients["rp"]
    code, pages = browser.authorize(rp["client_id"], rp["redirect_uris"][0], "alice", alice["password"],
                                    "n-" + secrets.token_urlsafe(12), "s-" + secrets.token_urlsafe(8))
    source.pages["rp (again, code left unredeemed)"] = pages
    source.unredeemed_codes = [code]


def verify_django_id_token(source, key, id_token, header):
    from joserfc import jwt
    from joserfc.jwk import KeySet, OctKey
    c = source.clients[key]
    try:
        if c["jwt_alg"] == "HS256":
            if header.get("alg") != "HS256":
                raise DjangoSourceError(f"Django's ID token for {key} has header {header}")
            jwt.decode(id_token, OctKey.import_key(c["client_secret"]), algorithms=["HS256"])
        else:
            if header.get("alg") != "RS256" or header.get("kid") != source.keys[0]["kid"]:
                raise DjangoSourceError(f"Django's ID token for {key} has header {header}, "
                                        f"not RS256 with the first key's kid {source.keys[0]['kid']}")
            jwt.decode(id_token, KeySet.import_key_set(source.jwks), algorithms=["RS256"])
    except DjangoSourceError:
        raise
    except Exception as error:
        raise DjangoSourceError(f"Django's ID token for {key} does not verify: {type(error).__name__}: {error}") \
            from None


def read_back(source):
    """What the Django database holds now, for the expected counts and the values never to leak."""
    dsn = source.dsn

    def count(sql):
        return int(psql(dsn, sql)[0][0])

    def column(sql):
        return [row[0] for row in psql(dsn, sql)]

    rows = {
        "users": count("SELECT count(*) FROM auth_user"),
        "clients": count("SELECT count(*) FROM oidc_provider_client"),
        "signing_keys": count("SELECT count(*) FROM oidc_provider_rsakey"),
        "consents": count("SELECT count(*) FROM oidc_provider_userconsent"),
        "live_access_tokens": count("SELECT count(*) FROM oidc_provider_token WHERE expires_at > now()"),
        "access_tokens": column("SELECT access_token FROM oidc_provider_token ORDER BY id"),
        "refresh_tokens": column("SELECT refresh_token FROM oidc_provider_token WHERE refresh_token <> '' ORDER BY id"),
        "codes": column("SELECT code FROM oidc_provider_code ORDER BY id"),
    }
    source.rows = rows
    source.consents = [{"username": r[0], "client_id": r[1], "scope": r[2]} for r in psql(dsn, """
        SELECT u.username, c.client_id, uc._scope FROM oidc_provider_userconsent uc
        JOIN auth_user u ON u.id = uc.user_id JOIN oidc_provider_client c ON c.id = uc.client_id
        ORDER BY uc.id""")]
    if rows["users"] != 5 or rows["clients"] != 3 or rows["signing_keys"] != 2:
        raise DjangoSourceError(f"the Django database holds {rows['users']} users, {rows['clients']} clients, "
                                f"{rows['signing_keys']} keys (wanted 5, 3, 2)")
    held = set(rows["access_tokens"])
    for key, t in source.tokens.items():
        if t["access_token"] not in held or t["refresh_token"] not in rows["refresh_tokens"]:
            raise DjangoSourceError(f"the tokens of the {key} sign-in are not in oidc_provider_token")
    if not set(source.unredeemed_codes) <= set(rows["codes"]):
        raise DjangoSourceError(f"the unredeemed code is not in oidc_provider_code ({len(rows['codes'])} codes)")
    if not any(c["username"] == "alice" and c["client_id"] == source.clients["rp"]["client_id"]
               for c in source.consents):
        raise DjangoSourceError(f"no consent of alice for rp in oidc_provider_userconsent: {source.consents}")

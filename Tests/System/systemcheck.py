"""What the system checks that drive `gatehouse serve` over HTTP share:
check_response_types.py, check_introspection.py and check_form_post_browser.py.
(fuzz_endpoints.py keeps its own: it works over raw sockets on purpose.)
They import it, as cookiejar.py, with this folder first on sys.path.

  - the binary: `environment()` (os.environ, GATEHOUSE_SQL_DIR defaulting to
    this tree's sql/), `cli_runner()` (`cli(*args, stdin=None)` -> exit status,
    stdout, stderr), `set_up()` (GATEHOUSE_SECRET_KEY, `migrate`, the run's
    user), `free_port()` and `Servers` (`gatehouse serve` processes, each with
    a name and a log file: started, waited for, reported when they die, killed);
  - the outcome: `Failures` (one line per failure, thread-safe) and `finish()`
    (the failures, the server logs' tails, the summary line, the exit status);
  - HTTP, for check_response_types.py and check_introspection.py: `Site`
    (`fetch()` on a new connection, answers as `Answer`), `FORM`, `encode()`,
    `basic()`, `Page` and `hidden()` (forms and scripts of a page), and
    `Browser`: cookies by name (`cookiejar.py`) and the walk from /authorize
    through the sign-in and consent pages.
"""
import base64
import html.parser
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import cookiejar

HERE = os.path.dirname(os.path.abspath(__file__))



# Seconds one request may take before the check calls it unanswered.
REQUEST_TIMEOUT = 120

def why(error):
    """An exception as text, even one whose message is empty."""
    return f"{type(error).__name__}: {error}" if str(error) else repr(error)


def one_line(text, limit=400):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


# ---------------------------------------------------------------- the binary

def environment():
    """The environment the binary runs with: os.environ, GATEHOUSE_SQL_DIR defaulting to this tree's sql/."""
    env = dict(os.environ)
    env.setdefault("GATEHOUSE_SQL_DIR", os.path.join(HERE, "..", "..", "sql"))
    return env


def cli_runner(binary, env, timeout=120):
    """`cli(*args, stdin=None)`: (exit status, stdout, stderr) of `gatehouse ARGS` in `env`
    (read when it runs); status -1 when it cannot start or takes longer than `timeout` s."""
    def cli(*args, stdin=None):
        try:
            done = subprocess.run([binary, *args], env=env, input=stdin, capture_output=True, text=True,
                                  timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as error:
            return -1, "", repr(error)
        return done.returncode, done.stdout, done.stderr
    return cli


def set_up(env, cli, abort, username, password, *user_args):
    """GATEHOUSE_SECRET_KEY defaults to a random key (the CLI needs the server's key: it seals the
    signing keys and HS256 clients' secrets with it); then `gatehouse migrate` and `gatehouse user
    create --username USERNAME USER_ARGS --password-stdin`. A failure is `abort(step, detail)`."""
    env.setdefault("GATEHOUSE_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    status, _, err = cli("migrate")
    if status != 0:
        abort("gatehouse migrate", f"exit status {status}: {err.strip()[-500:]}")
    status, _, err = cli("user", "create", "--username", username, *user_args, "--password-stdin",
                         stdin=password + "\n")
    if status != 0:
        abort("gatehouse user create", f"exit status {status}: {err.strip()[-500:]}")


def free_port(host, taken=()):
    """A TCP port free on `host` now, none of `taken`."""
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port


def log_tail(path, tail=3000):
    """The last `tail` characters of a log file ("" when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-tail:]
    except OSError:
        return ""


class Servers:
    """The run's `gatehouse serve` processes, as (name, process, log file): the log file (named
    LOG_PREFIX...log) takes stdout and stderr. `stop()` (for atexit) kills them and removes the logs."""

    def __init__(self, binary, env, host, log_prefix):
        self.binary, self.env, self.host, self.log_prefix = binary, env, host, log_prefix
        self.running = []

    def start(self, name, port, issuer, **extra):
        """Starts a server on host:port with `issuer`, no sweeper, warnings only, a high sign-in
        failure limit, and `extra` in its environment."""
        log = tempfile.NamedTemporaryFile(prefix=self.log_prefix, suffix=".log", delete=False)
        server_env = dict(self.env, PORT=str(port), OIDC_ISSUER=issuer, OIDC_SWEEP_INTERVAL="0",
                          LOG_LEVEL="warning", OIDC_LOGIN_MAX_FAILURES="1000", **extra)
        process = subprocess.Popen([self.binary, "serve", "--host", self.host], env=server_env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.running.append((name, process, log))
        return process

    @staticmethod
    def wait_ready(process, healthz, seconds=30):
        """None once `healthz()` (an HTTP status) is 200, polled every 0.05 s; else what went wrong:
        the server exited, or no 200 came within `seconds`."""
        for _ in range(round(seconds / 0.05)):
            if process.poll() is not None:
                return f"exited with status {process.returncode}"
            if healthz() == 200:
                return None
            time.sleep(0.05)
        return f"no 200 from /healthz within {seconds} s"

    def forget(self, process):
        """Drops a server that exited (so `finish()` does not report it) and its log; returns the log's tail."""
        for entry in [e for e in self.running if e[1] is process]:
            self.running.remove(entry)
            text = log_tail(entry[2].name)
            os.unlink(entry[2].name)
            return text
        return ""

    def record_exits(self, failures):
        for name, process, _ in self.running:
            if process.poll() is not None:
                failures.record(name, f"exited with status {process.returncode} during the run")

    def print_logs(self):
        for name, _, log in self.running:
            text = log_tail(log.name)
            if text.strip():
                print(f"{name} log (tail):\n{text}", file=sys.stderr)

    def stop(self):
        for _, process, log in self.running:
            if process.poll() is None:
                process.kill()
                process.wait()
            if os.path.exists(log.name):
                os.unlink(log.name)


# ---------------------------------------------------------------- the outcome

class Failures:
    """The run's failures, each a line `CASE: message` (white space folded, cut at `limit`)."""

    def __init__(self, limit=400):
        self.lines, self.limit, self.lock = [], limit, threading.Lock()

    def record(self, case, message):
        with self.lock:
            self.lines.append(one_line(f"{case}: {message}", self.limit))


def finish(failures, servers, summary, ran, ordered=True):
    """Records each server that died during the run, prints the failures (sorted when `ordered`),
    the servers' log tails on stderr when anything failed, and last the line `SUMMARY, failures: K`;
    exits 0 when nothing failed and `ran` (something was checked), else 1."""
    servers.record_exits(failures)
    for line in sorted(failures.lines) if ordered else failures.lines:
        print(line)
    if failures.lines:
        servers.print_logs()
    print(f"{summary}, failures: {len(failures.lines)}", flush=True)
    sys.exit(0 if not failures.lines and ran else 1)


# ---------------------------------------------------------------- HTTP

class Answer:
    preview = 200  # characters of the body its repr shows

    def __init__(self, status=None, headers=(), body=b"", error=None):
        self.status, self.headers, self.body, self.error = status, list(headers), body, error

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

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
        return f"{self.status} {self.content_type or 'no Content-Type'} {self.body[:self.preview]!r}"


class Site:
    """A server at host:port whose issuer is `issuer`; its answers are `answer` objects."""

    def __init__(self, host, port, issuer, answer=Answer):
        self.host, self.port, self.issuer, self.answer = host, port, issuer, answer

    def target_of(self, url):
        """The request target for `url` (a path, or an absolute URL on the server), or None."""
        if url.startswith("/") and not url.startswith("//"):
            return url
        if url.startswith(self.issuer + "/"):
            return url[len(self.issuer):]
        return None

    def fetch(self, method, url, headers=None, body=None, port=None):
        """The answer to one request on a new connection (to `port` instead, when given)."""
        target = self.target_of(url)
        if target is None:
            return self.answer(error=f"not a URL of this server: {url[:200]!r}")
        if isinstance(body, str):
            body = body.encode()
        # Generous: a debug-build sign-in (scrypt, 128 MiB) queued behind
        # others while every other suite runs can take tens of seconds; a hang
        # is still caught, later. (30 s once failed one sign-in in a clean-clone run.)
        conn = http.client.HTTPConnection(self.host, port or self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, target, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            return self.answer(response.status, response.getheaders(), response.read())
        except (OSError, http.client.HTTPException) as error:
            return self.answer(error=repr(error))
        finally:
            conn.close()


FORM = "application/x-www-form-urlencoded"


def encode(pairs):
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote)


def basic(client_id, secret):
    raw = urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(secret)
    return "Basic " + base64.b64encode(raw.encode()).decode()


class Page(html.parser.HTMLParser):
    """The forms (method, action, inputs, buttons), scripts and inline event handlers of a page.
    Attribute values come unescaped (html.parser applies html.unescape to them)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self.scripts, self.handlers = [], [], []
        self._form = self._script = None
        try:
            self.feed(text)
            self.close()
        except Exception as error:  # a page the parser cannot read has no forms
            self.error = repr(error)

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        self.handlers += [f"<{tag} {k}>" for k in a if k.startswith("on")]
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""),
                          "inputs": [], "buttons": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            self._form["inputs"].append(a)
        elif tag == "button" and self._form is not None:
            self._form["buttons"].append(a)
        elif tag == "script":
            self._script = {"attrs": a, "text": ""}
            self.scripts.append(self._script)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def form(self, action):
        for f in self.forms:
            if f["method"] == "post" and f["action"] == action:
                return f
        return None


def hidden(form):
    """The hidden inputs of `form` as (name, value) pairs, in order."""
    return [(i.get("name", ""), i.get("value", "")) for i in form["inputs"]
            if i.get("type", "text").lower() == "hidden" and "name" in i]


def _raise(message):
    raise RuntimeError(message)


class Browser:
    """Cookies by name, and the walk from /authorize through the sign-in page (as `username`)
    and the consent page (allow)."""

    def __init__(self, site, username, password):
        self.site, self.username, self.password = site, username, password
        self.jar = {}

    def request(self, method, url, form=None):
        headers = {}
        if self.jar:
            headers["Cookie"] = cookiejar.header(self.jar)
        body = None
        if form is not None:
            headers["Content-Type"] = FORM
            body = encode(form)
        answer = self.site.fetch(method, url, headers, body)
        cookiejar.update(self.jar, answer.header_all("Set-Cookie"))
        return answer

    def authorize(self, url, fail=_raise):
        """The answer meant for the client once /authorize, sign-in and consent are done. When the
        walk goes wrong, what `fail(message)` returns (by default it raises RuntimeError)."""
        answer = self.request("GET", url)
        signed_in = consented = False
        for _ in range(8):
            if answer.status is None:
                return fail(f"no answer: {answer.error}")
            if answer.status >= 500:
                return fail(f"server error {answer!r}")
            page = Page(answer.text) if answer.content_type == "text/html" else None
            login = page and page.form("/login")
            consent = page and page.form("/consent")
            if login:
                if signed_in:
                    return fail(f"the sign-in page again after signing in ({answer.status})")
                fields = dict(hidden(login))
                answer = self.request("POST", "/login", [
                    ("username", self.username), ("password", self.password),
                    ("csrf_token", fields.get("csrf_token", "")), ("next", fields.get("next", ""))])
                signed_in = True
                continue
            if consent and answer.status == 200:
                if consented:
                    return fail("the consent page again after allowing")
                answer = self.request("POST", "/consent", hidden(consent) + [("allow", "allow")])
                consented = True
                continue
            location = answer.header("Location")
            if answer.status in (301, 302, 303, 307) and location:
                target = self.site.target_of(location)
                path = urllib.parse.urlsplit(target).path if target else None
                if path in ("/authorize", "/login", "/consent"):
                    answer = self.request("GET", location)
                    continue
            return answer
        return fail("more than 8 steps between /authorize and the client")

#!/usr/bin/env python3
"""Stops PostgreSQL under load and checks that Gatehouse degrades and recovers.

    check_db_outage.py GATEHOUSE_BINARY

It starts a private cluster of its own (never the one in DATABASE_URL), migrates
it, creates a user and a client, starts `gatehouse serve` with a short pool
timeout, obtains tokens (client_credentials and the full code flow) and puts
/userinfo and /token under load. Then it stops Postgres for OUTAGE_SECONDS
(default 10) and starts it again on the same data directory and socket.

Expectations:
  - before the outage every request succeeds;
  - during it every request is answered within the pool timeout plus
    SLACK_SECONDS (default 1.5), never with another 5xx than 503, and the
    503s of /token and /userinfo are JSON `temporarily_unavailable`;
    /readyz is 503 and /healthz 200; the browser pages that need the
    database answer an HTML 503, and the bare sign-in page (which needs
    none: its form is bound to a signed cookie, not a session row) 200;
  - after the restart /readyz, /userinfo and /token answer 200 again within
    RECOVERY_SECONDS (default 5) without restarting Gatehouse, and from then
    on every request succeeds;
  - every token obtained before the outage still works after it.
The last line printed is the summary with the numbers measured.
"""
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import cookiejar  # Tests/System/cookiejar.py, beside this file

BINARY = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
POOL_TIMEOUT = 1.0
SLACK = float(os.environ.get("SLACK_SECONDS", "1.5"))
OUTAGE = float(os.environ.get("OUTAGE_SECONDS", "10"))
RECOVERY = float(os.environ.get("RECOVERY_SECONDS", "5"))
THREADS = int(os.environ.get("LOAD_THREADS", "6"))
HOST = "127.0.0.1"
REDIRECT = "http://127.0.0.1/cb"

failures = []
root = tempfile.mkdtemp(prefix="gho", dir="/tmp")  # short: a socket path must fit in ~100 bytes
os.chmod(root, 0o755)
data_dir = os.path.join(root, "data")
pg_port = "5432"  # names the socket file only; nothing listens on TCP
server = None
log_file = tempfile.NamedTemporaryFile(prefix="gatehouse-outage-", suffix=".log", delete=False)


def pg(command):
    args = [os.path.join(HERE, "..", "..", "scripts", "pg-cluster.sh"), command, data_dir] + ([root, pg_port] if command == "start" else [])
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise SystemExit(f"pg-cluster.sh {command} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def server_log(tail=3000):
    with open(log_file.name, "rb") as f:
        return f.read().decode("utf-8", "replace")[-tail:]


def cleanup():
    if server is not None and server.poll() is None:
        server.kill()
        server.wait()
    try:
        pg("stop")
    except SystemExit as error:
        print(error, file=sys.stderr)
    shutil.rmtree(root, ignore_errors=True)
    try:
        os.unlink(log_file.name)
    except OSError:
        pass


def request(method, path, body=None, headers=None, timeout=30, conn=None):
    """(status, headers, body text, seconds); status is an error string when the exchange failed.
    The headers are the response's message (case-insensitive; get_all gives every Set-Cookie), or {}."""
    started = time.monotonic()
    own = conn is None
    try:
        if own:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, response.msg, text, time.monotonic() - started
    except Exception as error:  # reset, timeout, empty reply
        if conn is not None:
            conn.close()
        return f"{type(error).__name__}: {error}", {}, "", time.monotonic() - started
    finally:
        if own and conn is not None:
            conn.close()


def form(pairs):
    return urllib.parse.urlencode(pairs)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SESSION_COOKIES = ("gatehouse_session", "__Host-gatehouse_session")


def update_jar(jar, headers):
    cookiejar.update(jar, (headers.get_all("Set-Cookie") if hasattr(headers, "get_all") else None) or [])


cookie_header = cookiejar.header


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else None


def must(condition, what, response):
    if not condition:
        raise SystemExit(f"set-up failed at {what}: {response[0]} {response[2][:300]}\n{server_log()}")


def main():
    global server, PORT
    database_url = pg("start")
    env = dict(os.environ, DATABASE_URL=database_url)
    env.setdefault("GATEHOUSE_SQL_DIR", os.path.join(HERE, "..", "..", "sql"))

    def cli(*args, stdin=None):
        done = subprocess.run([BINARY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise SystemExit(f"gatehouse {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    cli("migrate")
    password = "outage password 1234"
    cli("user", "create", "--username", "olive", "--email", "olive@example.org", "--password-stdin", stdin=password + "\n")
    client = json.loads(cli("client", "create", "--name", "Outage RP", "--redirect-uri", REDIRECT, "--no-consent",
                            "--grant-type", "authorization_code", "--grant-type", "refresh_token",
                            "--grant-type", "client_credentials", "--json"))
    auth = [("client_id", client["client_id"]), ("client_secret", client["client_secret"])]

    with socket.socket() as s:
        s.bind((HOST, 0))
        PORT = s.getsockname()[1]
    server_env = dict(env, PORT=str(PORT), GATEHOUSE_SECRET_KEY=secrets.token_urlsafe(48), OIDC_ISSUER=f"http://{HOST}:{PORT}",
                      OIDC_SWEEP_INTERVAL="0", LOG_LEVEL="warning", GATEHOUSE_DB_POOL_TIMEOUT=str(POOL_TIMEOUT))
    server = subprocess.Popen([BINARY, "serve", "--host", HOST], env=server_env, stdout=log_file,
                              stderr=subprocess.STDOUT)
    for _ in range(400):
        if request("GET", "/healthz", timeout=2)[0] == 200:
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"server did not start:\n{server_log()}")

    # A signed-in browser, then three code flows and three client_credentials grants. The sign-in
    # page sets the gatehouse_login cookie its form is bound to; signing in sets gatehouse_session
    # and clears gatehouse_login, in two Set-Cookie headers: the jar keeps them by name.
    jar = {}
    page = request("GET", "/login")
    must(page[0] == 200, "sign-in page", page)
    update_jar(jar, page[1])
    signed_in = request("POST", "/login", form([("username", "olive"), ("password", password),
                                                ("csrf_token", field(page[2], "csrf_token")), ("next", "")]),
                        {**FORM, "Cookie": cookie_header(jar)})
    update_jar(jar, signed_in[1])
    must(signed_in[0] == 200 and any(name in jar for name in SESSION_COOKIES), "sign-in", signed_in)
    session = cookie_header(jar)
    code_tokens, cc_tokens = [], []
    for i in range(3):
        query = form([("client_id", client["client_id"]), ("redirect_uri", REDIRECT), ("response_type", "code"),
                      ("scope", "openid email offline_access"), ("state", f"s{i}"), ("nonce", f"n{i}")])
        redirect = request("GET", "/authorize?" + query, headers={"Cookie": session})
        location = redirect[1].get("Location", "")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [None])[0]
        must(redirect[0] == 302 and code, "authorize", redirect)
        tokens = request("POST", "/token", form([("grant_type", "authorization_code"), ("code", code),
                                                 ("redirect_uri", REDIRECT)] + auth), FORM)
        must(tokens[0] == 200, "code exchange", tokens)
        code_tokens.append(json.loads(tokens[2]))
        cc = request("POST", "/token", form([("grant_type", "client_credentials")] + auth), FORM)
        must(cc[0] == 200, "client_credentials", cc)
        cc_tokens.append(json.loads(cc[2])["access_token"])
    for tokens in code_tokens:
        info = request("GET", "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
        must(info[0] == 200, "userinfo", info)

    # Load: each thread keeps one connection and records (start, seconds, status, body, route).
    results = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(index):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        token = code_tokens[index % len(code_tokens)]["access_token"]
        while not stop.is_set():
            if index % 2 == 0:
                route, args = "/userinfo", ("GET", "/userinfo", None, {"Authorization": "Bearer " + token})
            else:
                route, args = "/token", ("POST", "/token", form([("grant_type", "client_credentials")] + auth), FORM)
            started = time.monotonic()
            status, headers, body, seconds = request(*args, conn=conn)
            if not isinstance(status, int):
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            elif headers.get("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            with lock:
                results.append((started, seconds, status, body, route))
            time.sleep(0.01)

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(2)

    stop_began = time.monotonic()
    pg("stop")
    outage_began = time.monotonic()
    # Probes: (time, route, status, seconds, problem). The browser pages that need the database
    # must answer with an HTML 503, not a hang or a 500: /authorize, and the sign-in page when its
    # `next` names a client (it shows the client's name). The bare sign-in page needs no database.
    authorize = "/authorize?" + form([("client_id", client["client_id"]), ("redirect_uri", REDIRECT),
                                      ("response_type", "code"), ("scope", "openid"), ("state", "x")])
    login_for_client = "/login?" + form([("next", authorize)])
    expected = {"/readyz": 503, "/healthz": 200, "/.well-known/openid-configuration": 200, "/jwks": 200,
                authorize: 503, login_for_client: 503, "/login": 200}
    labels = {login_for_client: "/login?next=/authorize?..."}
    probes = []
    while time.monotonic() - outage_began < OUTAGE:
        for route, want in expected.items():
            headers = {"Cookie": session} if route == authorize else {}
            status, response_headers, body, seconds = request("GET", route, headers=headers, timeout=30)
            problem = None
            if status != want:
                problem = f"{status}, expected {want}: {body[:120]!r}"
            elif want == 503 and route != "/readyz" and not response_headers.get("Content-Type", "").startswith("text/html"):
                problem = f"503 that is not an HTML page: {response_headers.get('Content-Type')!r}"
            probes.append((time.monotonic(), labels.get(route, route.split("?")[0]), status, seconds, problem))
        time.sleep(0.25)
    outage_ended = time.monotonic()
    pg("start")
    restarted = time.monotonic()

    first_ok = {}
    deadline = restarted + max(RECOVERY, 5) + 10
    while time.monotonic() < deadline and len(first_ok) < 3:
        status = request("GET", "/readyz", timeout=30)[0]
        if status == 200 and "/readyz" not in first_ok:
            first_ok["/readyz"] = time.monotonic() - restarted
        with lock:
            for started, seconds, status, _, route in results:
                if started >= restarted and status == 200 and route not in first_ok:
                    first_ok[route] = started + seconds - restarted
        time.sleep(0.05)
    time.sleep(3)  # load after recovery
    stop.set()
    for t in threads:
        t.join(timeout=60)
    alive = server.poll() is None

    # Tokens obtained before the outage still work; refresh tokens too.
    tokens_ok = 0
    for tokens in code_tokens:
        info = request("GET", "/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
        refreshed = request("POST", "/token", form([("grant_type", "refresh_token"),
                                                    ("refresh_token", tokens["refresh_token"])] + auth), FORM)
        if info[0] == 200 and refreshed[0] == 200:
            tokens_ok += 1
        else:
            failures.append(f"a token from before the outage no longer works: userinfo {info[0]} {info[2][:160]!r}, "
                            f"refresh {refreshed[0]} {refreshed[2][:160]!r}")
    cc_again = request("POST", "/token", form([("grant_type", "client_credentials")] + auth), FORM)
    if cc_again[0] != 200:
        failures.append(f"client_credentials after the outage: {cc_again[0]} {cc_again[2][:160]!r}")

    # ------------------------------------------------------------ judge
    bound = POOL_TIMEOUT + SLACK
    before = [r for r in results if r[0] + r[1] < stop_began]
    during = [r for r in results if r[0] >= outage_began and r[0] + r[1] <= outage_ended]
    straddling = [r for r in results if stop_began <= r[0] + r[1] and r[0] < restarted and r not in during]
    recovered_at = restarted + max(first_ok.get("/userinfo", 1e9), first_ok.get("/token", 1e9))
    recovering = [r for r in results if restarted <= r[0] <= recovered_at]
    after = [r for r in results if r[0] > recovered_at]

    def describe(r):
        return f"{r[4]} at +{r[0] - stop_began:.2f} s took {r[1]:.2f} s: {r[2]} {r[3][:160]!r}"

    for r in before:
        if r[2] != 200:
            failures.append("before the outage: " + describe(r))
    for r in during + straddling + recovering:
        if not isinstance(r[2], int):
            failures.append("no HTTP answer: " + describe(r))
        elif r[2] not in (200, 503) or (r in during and r[2] != 503):
            failures.append("status other than 503 while Postgres was down: " + describe(r))
        elif r[2] == 503:
            body = {}
            try:
                body = json.loads(r[3])
            except ValueError:
                pass
            if body.get("error") != "temporarily_unavailable":
                failures.append("503 without a JSON temporarily_unavailable error: " + describe(r))
    slow = [r for r in during + straddling + recovering if r[1] > bound]
    for r in slow:
        failures.append(f"slower than the pool timeout + slack ({bound:.1f} s): " + describe(r))
    for when, route, status, seconds, problem in probes:
        if problem:
            failures.append(f"GET {route} during the outage at +{when - outage_began:.2f} s: {problem}")
        if seconds > bound:
            failures.append(f"{route} during the outage took {seconds:.2f} s")
    for route in ("/readyz", "/userinfo", "/token"):
        if route not in first_ok:
            failures.append(f"{route} did not answer 200 within {deadline - restarted:.0f} s of the restart")
        elif first_ok[route] > RECOVERY:
            failures.append(f"{route} answered 200 only {first_ok[route]:.2f} s after the restart (limit {RECOVERY:.0f} s)")
    late = [r for r in after if r[2] != 200]
    for r in late[:20]:
        failures.append("after recovery: " + describe(r))
    if not alive:
        failures.append(f"the server exited (status {server.poll()})")

    max_during = max((r[1] for r in during + straddling + recovering), default=0.0)
    full = max((r[0] + r[1] - restarted for r in results if r[0] >= restarted and r[2] != 200), default=0.0)
    statuses = {}
    for r in during:
        statuses[r[2]] = statuses.get(r[2], 0) + 1
    for failure in failures:
        print("FAIL " + failure)
    if failures:
        print(f"server log (tail):\n{server_log()}")
    print(f"db outage: {len(results)} requests ({len(before)} before, {len(during)} during {outage_ended - outage_began:.1f} s "
          f"outage: {statuses}, max latency {max_during:.3f} s, bound {bound:.1f} s); /readyz during outage: "
          f"{sorted({p[2] for p in probes if p[1] == '/readyz'}, key=str)}; first 200 after restart: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(first_ok.items()))
          + f"; last non-200 {full:.2f} s after restart; {len(after)} requests after recovery, {len(late)} not 200; "
          f"tokens still valid {tokens_ok}/{len(code_tokens)}; {len(failures)} failures")


try:
    main()
except SystemExit as error:
    if error.code not in (None, 0):
        print(error.code if isinstance(error.code, str) else "", file=sys.stderr)
        cleanup()
        sys.exit(1)
finally:
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    cleanup()
sys.exit(1 if failures else 0)

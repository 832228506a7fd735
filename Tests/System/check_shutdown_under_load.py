#!/usr/bin/env python3
"""Sends SIGTERM to `gatehouse serve` under load and checks that no accepted request is lost.

    check_shutdown_under_load.py GATEHOUSE_BINARY   (DATABASE_URL names a database it may use)

THREADS threads (default 16) send requests to /userinfo (a user's token),
/token (client_credentials) and the discovery document, each on a connection
of its own. After a second of load the server gets SIGTERM; the threads go on
until connections are refused. This is done ROUNDS times (default 3), each
with a fresh server.

Expectations:
  - every request the server accepted and read gets a complete HTTP response,
    and it is a 200 (no reset, no empty reply, no 5xx): the server's request
    log counts what it read, and that count must equal the answers received;
  - a connection refused once the listener is closed is fine (counted apart),
    and so is one reset at SIGTERM that the server never read: it was still in
    the kernel's accept queue when the listener closed, or on a connection
    accepted an instant before whose bytes the server had not read yet
    (counted apart; nothing happened, so the client may retry it);
  - the server exits 0 within EXIT_SECONDS (default 10) of the SIGTERM.
The last line printed is the summary with the counts.
"""
import atexit
import html
import json
import os
import re
import secrets
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
THREADS = int(os.environ.get("THREADS", "16"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
EXIT_SECONDS = float(os.environ.get("EXIT_SECONDS", "10"))
HOST = "127.0.0.1"
REDIRECT = "http://127.0.0.1/cb"

env = dict(os.environ)
env.setdefault("GATEHOUSE_SQL_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sql"))
# One key for every round: the signing key the first server stores is sealed with it.
SECRET_KEY = env.get("GATEHOUSE_SECRET_KEY") or secrets.token_urlsafe(48)
log_file = tempfile.NamedTemporaryFile(prefix="gatehouse-shutdown-", suffix=".log", delete=False)
server = None


@atexit.register
def stop_server():
    if server is not None and server.poll() is None:
        server.kill()
        server.wait()
    if os.path.exists(log_file.name):
        os.unlink(log_file.name)


def cli(*args, stdin=None):
    done = subprocess.run([BINARY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        print(f"gatehouse {' '.join(args)} failed: {done.stderr.strip()}", file=sys.stderr)
        sys.exit(1)
    return done.stdout


def server_log(tail=3000):
    with open(log_file.name, "rb") as f:
        return f.read().decode("utf-8", "replace")[-tail:]


def exchange(port, raw, timeout=30.0):
    """One request on a new connection: ("refused", None), ("lost", detail) or ("answered", (status, body))."""
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        try:
            sock.connect((HOST, port))
        except ConnectionRefusedError:
            return "refused", None
        except OSError as error:
            return "refused", repr(error)
        try:
            sock.sendall(raw)
        except OSError as error:
            return "lost", f"sending: {error!r}"
        data = b""
        while True:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                head = data[:end].decode("latin-1")
                match = re.search(r"(?im)^content-length:\s*(\d+)", head)
                if match and len(data) - end - 4 >= int(match.group(1)):
                    return "answered", (int(head.split(" ")[1]), data[end + 4:end + 4 + int(match.group(1))])
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return "lost", f"no complete response within {timeout:.0f} s (got {data[:80]!r})"
            except OSError as error:
                return "lost", f"{error!r} after {len(data)} bytes of response"
            if not chunk:
                return "lost", "connection closed " + (f"after {data[:80]!r}" if data else "with an empty reply")
            data += chunk
    finally:
        sock.close()


def raw_request(method, path, port, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    if method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def simple(port, method, path, headers=(), body=b""):
    outcome, detail = exchange(port, raw_request(method, path, port, headers, body))
    return detail if outcome == "answered" else (None, str(detail).encode())


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server():
    port = free_port()
    server_env = dict(env, PORT=str(port), GATEHOUSE_SECRET_KEY=SECRET_KEY,
                      OIDC_ISSUER=f"http://{HOST}:{port}", OIDC_SWEEP_INTERVAL="0", LOG_LEVEL="info")
    server = subprocess.Popen([BINARY, "serve", "--host", HOST], env=server_env, stdout=log_file,
                              stderr=subprocess.STDOUT)
    for _ in range(400):
        if server.poll() is None and simple(port, "GET", "/healthz")[0] == 200:
            return server, port
        time.sleep(0.05)
    server.kill()
    print(f"server did not start:\n{server_log()}", file=sys.stderr)
    sys.exit(1)


FORM = ("Content-Type", "application/x-www-form-urlencoded")
SESSION_COOKIES = ("gatehouse_session", "__Host-gatehouse_session")


def update_jar(jar, head):
    cookiejar.update(jar, re.findall(r"(?im)^set-cookie:[ \t]*([^\r\n]*)", head))


cookie_header = cookiejar.header


# Set-up: a user, a client, a signed-in session and one user access token.
tag = os.urandom(4).hex()
username, password = f"shutdown_{tag}", "shutdown password " + tag
cli("migrate")
cli("user", "create", "--username", username, "--email", f"{username}@example.org", "--password-stdin",
    stdin=password + "\n")
client = json.loads(cli("client", "create", "--name", f"Shutdown RP {tag}", "--redirect-uri", REDIRECT, "--no-consent",
                        "--grant-type", "authorization_code", "--grant-type", "client_credentials", "--json"))
auth = [("client_id", client["client_id"]), ("client_secret", client["client_secret"])]

def fetch(port, method, path, headers=(), body=b""):
    """Status, raw head and body of one set-up request (read to the end of the connection)."""
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.sendall(raw_request(method, path, port, headers, body))
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head.decode("latin-1"), rest


def setup_failed(what, answer):
    print(f"set-up failed at {what}: {answer!r}"[:600] + f"\n{server_log()}", file=sys.stderr)
    server.kill()
    sys.exit(1)


server, port = start_server()
# The sign-in page sets the gatehouse_login cookie its form is bound to; signing in sets
# gatehouse_session and clears gatehouse_login: the jar keeps the cookies by name.
jar = {}
status, head, page = fetch(port, "GET", "/login")
update_jar(jar, head)
csrf = re.search(rb'name="csrf_token" value="([^"]*)"', page)
if status != 200 or not csrf:
    setup_failed("sign-in page", (status, page[:300]))
csrf = html.unescape(csrf.group(1).decode())
status, head, page = fetch(port, "POST", "/login", [FORM, ("Cookie", cookie_header(jar))], urllib.parse.urlencode(
    [("username", username), ("password", password), ("csrf_token", csrf), ("next", "")]).encode())
update_jar(jar, head)
if status != 200 or not any(name in jar for name in SESSION_COOKIES):
    setup_failed("sign-in", (status, page[:300]))
query = urllib.parse.urlencode([("client_id", client["client_id"]), ("redirect_uri", REDIRECT),
                                ("response_type", "code"), ("scope", "openid email"), ("state", "s")])
status, head, page = fetch(port, "GET", "/authorize?" + query, [("Cookie", cookie_header(jar))])
code = re.search(r"(?im)^location:.*[?&]code=([^&\r\n]+)", head)
if not code:
    setup_failed("authorize", (status, head))
status, head, body = fetch(port, "POST", "/token", [FORM], urllib.parse.urlencode(
    [("grant_type", "authorization_code"), ("code", urllib.parse.unquote(code.group(1))),
     ("redirect_uri", REDIRECT)] + auth).encode())
if status != 200:
    setup_failed("code exchange", (status, body[:300]))
access_token = json.loads(body)["access_token"]
server.send_signal(signal.SIGTERM)
server.wait(timeout=30)

CC_BODY = urllib.parse.urlencode([("grant_type", "client_credentials")] + auth).encode()


def requests_for(port):
    return [
        ("/userinfo", raw_request("GET", "/userinfo", port, [("Authorization", "Bearer " + access_token)])),
        ("/token", raw_request("POST", "/token", port, [FORM], CC_BODY)),
        ("discovery", raw_request("GET", "/.well-known/openid-configuration", port)),
    ]


failures = []
totals = {"answered": 0, "answered after SIGTERM": 0, "refused": 0, "lost": 0, "not 200": 0,
          "reset unread": 0}
LOAD_ROUTES = ("route=/userinfo ", "route=/token ", "route=/.well-known/openid-configuration ")


def handled_by_server(log_text):
    """Requests to the load routes the server read and logged (one line each)."""
    return sum(1 for line in log_text.splitlines() if line.endswith(" request") or "] request" in line
               if any(route in line + " " for route in LOAD_ROUTES))
exit_times = []
for round_number in range(1, ROUNDS + 1):
    log_file.flush()
    log_start = os.path.getsize(log_file.name)
    server, port = start_server()
    kinds = requests_for(port)
    sigterm_at = [None]
    lock = threading.Lock()
    records = []  # (thread, route, started, finished, outcome, detail)

    def hammer(index):
        n = index
        refused_in_a_row = 0
        while refused_in_a_row < 3:
            route, raw = kinds[n % len(kinds)]
            n += 1
            started = time.monotonic()
            outcome, detail = exchange(port, raw)
            with lock:
                records.append((index, route, started, time.monotonic(), outcome, detail))
            if outcome == "refused":
                refused_in_a_row += 1
                time.sleep(0.02)
            else:
                refused_in_a_row = 0
            if sigterm_at[0] is None and time.monotonic() - begun > 30:
                break

    begun = time.monotonic()
    threads = [threading.Thread(target=hammer, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(1.0 + 0.3 * round_number)
    sigterm_at[0] = time.monotonic()
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=EXIT_SECONDS)
        exit_times.append(time.monotonic() - sigterm_at[0])
    except subprocess.TimeoutExpired:
        code = None
        failures.append(f"round {round_number}: the server did not exit within {EXIT_SECONDS:.0f} s of SIGTERM")
        server.kill()
        server.wait()
    for t in threads:
        t.join(timeout=60)
    if code not in (0, None):
        failures.append(f"round {round_number}: the server exited with status {code}")

    with open(log_file.name, errors="replace") as f:
        f.seek(log_start)
        handled = handled_by_server(f.read())
    answered = sum(1 for r in records if r[4] == "answered")
    resets = [r for r in records if r[4] == "lost"]
    if handled != answered:
        failures.append(f"round {round_number}: the server read {handled} requests but {answered} answers arrived")
    for index, route, started, finished, outcome, detail in records:
        after = finished >= sigterm_at[0]
        if outcome == "refused":
            totals["refused"] += 1
            if started < sigterm_at[0]:
                failures.append(f"round {round_number}: {route} connection refused before SIGTERM: {detail}")
            continue
        if outcome == "lost" and handled == answered and sigterm_at[0] - 0.5 <= finished <= sigterm_at[0] + 0.5:
            # Never read by the server (its count matches the answers): reset
            # in the kernel's accept queue when the listener closed.
            totals["reset unread"] += 1
            continue
        if outcome == "lost":
            totals["lost"] += 1
            failures.append(f"round {round_number}: {route} lost (started {started - sigterm_at[0]:+.3f} s, "
                            f"ended {finished - sigterm_at[0]:+.3f} s from SIGTERM): {detail}")
            continue
        totals["answered"] += 1
        totals["answered after SIGTERM"] += after
        status, body = detail
        if status != 200:
            totals["not 200"] += 1
            failures.append(f"round {round_number}: {route} answered {status} "
                            f"({started - sigterm_at[0]:+.3f} s from SIGTERM): {body[:160]!r}")
    if not any(r[3] >= sigterm_at[0] and r[4] == "answered" for r in records):
        failures.append(f"round {round_number}: no request was answered after SIGTERM: nothing was in flight")

for failure in failures[:60]:
    print("FAIL " + failure)
if len(failures) > 60:
    print(f"... and {len(failures) - 60} more")
if failures:
    print(f"server log (tail):\n{server_log()}")
print(f"shutdown under load: {ROUNDS} rounds x {THREADS} threads; {totals['answered']} answered "
      f"({totals['answered after SIGTERM']} after SIGTERM), {totals['not 200']} not 200, {totals['lost']} lost, {totals['reset unread']} reset unread at SIGTERM, "
      f"{totals['refused']} refused after the listener closed; exit within "
      f"{max(exit_times, default=0):.2f} s; {len(failures)} failures")
sys.exit(1 if failures else 0)

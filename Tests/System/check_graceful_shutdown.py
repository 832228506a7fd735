#!/usr/bin/env python3
"""Starts `gatehouse serve`, puts sign-in requests in flight, sends SIGTERM,
and checks that every request got its answer and the server exited 0.

    check_graceful_shutdown.py GATEHOUSE_BINARY   (DATABASE_URL names a migrated database)
"""
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

binary = sys.argv[1]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]

# The caller's key when it gives one: a database that holds a signing key needs the key it was sealed with.
secret_key = os.environ.get("GATEHOUSE_SECRET_KEY") or secrets.token_urlsafe(48)
env = dict(os.environ, PORT=str(port), GATEHOUSE_SECRET_KEY=secret_key, OIDC_SWEEP_INTERVAL="0",
           OIDC_LOGIN_MAX_FAILURES="1000", LOG_LEVEL="warning")
server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=240)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    return response.status, response.msg.get_all("Set-Cookie") or [], data.decode()


def login_cookie(set_cookies):
    """The sign-in cookie (`gatehouse_login`, `__Host-` prefixed with an https issuer) as name=value."""
    for line in set_cookies:
        pair = line.split(";")[0].strip()
        if pair.split("=", 1)[0] in ("gatehouse_login", "__Host-gatehouse_login"):
            return pair
    return ""


for _ in range(200):
    try:
        if request("GET", "/healthz")[0] == 200:
            break
    except OSError:
        time.sleep(0.05)
else:
    print("server did not start", file=sys.stderr)
    sys.exit(1)

status, set_cookies, page = request("GET", "/login")
csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
form = urllib.parse.urlencode({"username": "nobody", "password": "wrong-password", "csrf_token": csrf})
headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": login_cookie(set_cookies)}

# Each login costs a full scrypt verification, so these are in flight together.
# Hashes run on at most half the cores (memory), so in a debug build under a
# loaded machine the last ones wait tens of seconds: the timeouts allow for it.
results = []
def sign_in():
    try:
        results.append(request("POST", "/login", form, headers)[0])
    except Exception as error:  # a dropped connection is a failure
        results.append(repr(error))

threads = [threading.Thread(target=sign_in) for _ in range(24)]
for t in threads:
    t.start()
time.sleep(0.3)
server.send_signal(signal.SIGTERM)
for t in threads:
    t.join()
try:
    code = server.wait(timeout=120)
except subprocess.TimeoutExpired:
    server.kill()
    print("server did not exit after SIGTERM", file=sys.stderr)
    sys.exit(1)

answered = [r for r in results if r == 401]
print(f"{len(answered)} of {len(results)} in-flight sign-ins answered; server exit status {code}")
if len(answered) != len(threads) or code != 0:
    print(f"results: {results}\nstderr: {server.stderr.read().decode()[-2000:]}", file=sys.stderr)
    sys.exit(1)

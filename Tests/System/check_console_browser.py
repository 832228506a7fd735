#!/usr/bin/env python3
"""Drives the admin console (`/admin`) and the account page (`/account`) of
`gatehouse serve` in a real browser (headless Chromium through chromedriver
and Selenium), as an administrator and as ordinary users would, and checks
what each change does to tokens and sessions over HTTP.

    check_console_browser.py GATEHOUSE_BINARY   (DATABASE_URL names an empty database it may use)

It migrates the database and, with the CLI, creates an administrator
(`--admin`), two ordinary users and one confidential client whose redirect
URI is a fake relying party (`http.server` on a free port that records the
query of every GET /cb). Two browsers (fresh profiles): the admin's, and the
users' (the second user in it after its cookies are cleared). Tokens are
exchanged, refreshed and used with Python's http.client.

  a. The admin signs in (/login?next=/admin) and is refused the console
     (403, "Set up two-step sign-in first") until enrolled; enrols an
     authenticator on /account (the key read from the page, the code computed
     here: RFC 6238, SHA-1, 6 digits, 30 s), is shown 10 recovery codes, then
     /admin sends them to /admin/verify, where a code of a later 30-s step
     than the enrolment's lets them in: the overview.
  b. The admin creates a client on /admin/clients/new (grant types
     authorization_code refresh_token client_credentials, scopes openid api),
     reads the client_id and secret shown once, and POST /token with
     grant_type=client_credentials&scope=api (HTTP Basic) gives 200, an
     access token, scope api.
  c. The first user signs in through the code flow of the CLI client in the
     users' browser (consent allowed); the code from the RP is exchanged at
     /token for an access and a refresh token; /userinfo accepts the former.
  d. The admin disables that user on /admin/users/NAME (the page comes back
     with `?done=disabled`, State "disabled" and the notice saying what was
     done): /userinfo refuses the access token (401), the refresh token gets
     invalid_grant, and the user's /account sends the browser to the sign-in
     page.
  e. The admin enables the user again; the user signs in once more and gets
     new tokens (/userinfo 200); the admin clicks Revoke on the client's row
     under "Applications" (the row goes; each change's notice shows): the
     refresh token then gets invalid_grant and the access token 401 at
     /userinfo.
  f. The second user signs in through the RP, then clicks "Withdraw access"
     on /account: the RP's refresh token then gets invalid_grant.
  g. The second user (no admin) gets the "Administrators only" page on
     /admin, /admin/clients and /admin/users, with status 403 (asked with
     that browser's session cookie over http.client).
  h. /admin/audit lists each of these actions with its actor and target:
     user.totp-enabled, console.second-factor-passed, client.created,
     user.disabled, account.access-withdrawn (the admin's revoke and the
     user's withdrawal), sign-in.succeeded (each of the three); and
     `gatehouse audit list --json` lists the same events as the page.

GATEHOUSE_SECRET_KEY, when set, is the server's key (and the CLI's); otherwise
a random one is made for the run. Every page load and wait has its own
timeout (WAIT); the whole run is bounded (DEADLINE). The server, chromedriver
and Chromium are killed at exit. Each failed check is printed on a line of
its own, starting with its name; the last line printed is the summary:
`console in chromium: N checks, failures: K`.
"""
import atexit
import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemcheck  # noqa: E402
from systemcheck import FORM, basic, encode  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError as error:
    sys.exit(f"{error}: run scripts/ensure-browser.sh")

BINARY = sys.argv[1]
HOST = "127.0.0.1"
DEADLINE = 900  # seconds for the whole run: two Chromiums, a debug build, a 2-core machine under load
WAIT = 90  # seconds for any one page walk or wait
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

PORT = systemcheck.free_port(HOST)
RP_PORT = systemcheck.free_port(HOST, {PORT})
ISSUER = f"http://{HOST}:{PORT}"
RP_ORIGIN = f"http://{HOST}:{RP_PORT}"
REDIRECT = RP_ORIGIN + "/cb"
RP_SCOPE = "openid profile"

tag = secrets.token_hex(4)
ADMIN, ADMIN_PASSWORD = f"admin_{tag}", "correct horse " + secrets.token_hex(8)
ALICE, ALICE_PASSWORD = f"alice_{tag}", "battery staple " + secrets.token_hex(8)
BOB, BOB_PASSWORD = f"bob_{tag}", "staple battery " + secrets.token_hex(8)
NEW_CLIENT = f"Reports API {tag}"

env = systemcheck.environment()

# ---------------------------------------------------------------- bookkeeping

failures = systemcheck.Failures(limit=600)
counts = {"checks": 0}
cli = systemcheck.cli_runner(BINARY, env, timeout=120)
servers = systemcheck.Servers(BINARY, env, HOST, "gatehouse-console-")
drivers = []  # (driver, service) of every browser started
profiles = tempfile.mkdtemp(prefix="gatehouse-console-chromium-")


class Deadline(BaseException):
    """Raised by SIGALRM when the run outlasts DEADLINE (a BaseException: no `except Exception` eats it)."""


def on_alarm(signum, frame):
    raise Deadline(f"the run took longer than {DEADLINE} s")


def why(error):
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else repr(error)


def check(name, problems):
    """One named check: passes when `problems` (a list of strings, None for none) is empty."""
    counts["checks"] += 1
    problems = [p for p in problems if p]
    if problems:
        failures.record(name, "; ".join(problems))
    return not problems


def finish():
    """Prints the failures and the summary (the last line), and exits."""
    signal.alarm(0)
    systemcheck.finish(failures, servers, f"console in chromium: {counts['checks']} checks", counts["checks"] > 0,
                       ordered=False)


def abort(step, detail):
    check(f"set-up: {step}", [detail])
    finish()


class Stop(Exception):
    """A step whose failure (already recorded) leaves the later steps nothing to stand on."""


def quietly(action):
    try:
        action()
    except Exception:
        pass


@atexit.register
def clean_up():
    for driver, service in drivers:
        process = getattr(service, "process", None)
        # A graceful quit first (Chromium closes its profile), but never a hang on it.
        quitter = threading.Thread(target=quietly, args=(driver.quit,), daemon=True)
        quitter.start()
        quitter.join(timeout=10)
        # chromedriver runs in a session of its own, so its group holds it and the Chromium it
        # started. Only while Python has not reaped it is that group id certainly still ours.
        if process is not None and process.returncode is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                process.wait(timeout=5)
            except Exception:
                pass
    servers.stop()
    shutil.rmtree(profiles, ignore_errors=True)


# ---------------------------------------------------------------- HTTP (the relying party's side)

class Answer(systemcheck.Answer):
    preview = 300


site = systemcheck.Site(HOST, PORT, ISSUER, answer=Answer)


def healthz():
    return site.fetch("GET", "/healthz").status


def token_request(client_id, secret, pairs):
    return site.fetch("POST", "/token", {"Content-Type": FORM, "Authorization": basic(client_id, secret)}, encode(pairs))


def userinfo(access_token):
    return site.fetch("GET", "/userinfo", {"Authorization": "Bearer " + access_token})


def refresh(client, refresh_token):
    return token_request(client["client_id"], client["client_secret"],
                         [("grant_type", "refresh_token"), ("refresh_token", refresh_token)])


def expect_invalid_grant(answer):
    """None when `answer` is 400 invalid_grant, else what it is."""
    body = answer.json() or {}
    if answer.status == 400 and body.get("error") == "invalid_grant":
        return None
    return f"the refresh got {answer!r}, not 400 invalid_grant"


class RelyingParty(http.server.BaseHTTPRequestHandler):
    """Records the query of each GET /cb (as a dict); answers 200 with a small page."""
    received = []
    lock = threading.Lock()

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/cb":
            with self.lock:
                self.received.append(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
            page = b"<!doctype html><title>RP</title><h1>The relying party got the answer</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            page = b""
            self.send_response(204 if path == "/favicon.ico" else 404)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass

    @classmethod
    def take(cls):
        with cls.lock:
            received, cls.received = cls.received, []
        return received

    @classmethod
    def count(cls):
        with cls.lock:
            return len(cls.received)


# ---------------------------------------------------------------- TOTP (RFC 6238)

def totp_code(key, step):
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def totp_key(shown):
    """The secret behind the key the page shows (base32 in groups of four)."""
    text = "".join(shown.split()).upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def step_now():
    return int(time.time()) // 30


# ---------------------------------------------------------------- the browser

def browser(name):
    """A fresh headless Chromium with its own profile."""
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-crash-reporter",
                "--password-store=basic", "--window-size=1280,900",
                f"--user-data-dir={os.path.join(profiles, name)}"):
        options.add_argument(arg)
    # A session of its own, so that the exit can kill chromedriver with the Chromium it started.
    service = Service(executable_path=CHROMEDRIVER, popen_kw={"start_new_session": True})
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:
        process = getattr(service, "process", None)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        raise
    drivers.append((driver, service))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(10)
    return driver


def where(driver):
    try:
        heading = " / ".join(h.text for h in driver.find_elements(By.TAG_NAME, "h1"))
        alerts = "; ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "[role=alert]") if e.text)
        return f"{driver.current_url[:200]} (title {driver.title!r}, h1 {heading!r}{', ' + repr(alerts) if alerts else ''})"
    except WebDriverException as error:
        return why(error)


def wait_for(driver, done, what):
    """None once `done(driver)` holds (polled), else what went wrong after WAIT s."""
    stop = time.monotonic() + WAIT
    while time.monotonic() < stop:
        try:
            if done(driver):
                return None
        except WebDriverException:  # a page replaced under our feet: look again
            pass
        time.sleep(0.1)
    return f"no {what} within {WAIT} s; the browser is at {where(driver)}"


def stale(element):
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


def click_and_wait(driver, element, done, what):
    """Clicks `element` (a submit button), then waits for a new page on which `done(driver)` holds."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    return wait_for(driver, lambda d: stale(old) and done(d), what)


def h1(driver):
    return " ".join(e.text for e in driver.find_elements(By.TAG_NAME, "h1"))


def on_path(path):
    return lambda d: urllib.parse.urlsplit(d.current_url).path == path and d.execute_script(
        "return document.readyState") == "complete"


def notice(driver):
    return " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "p.notice"))


def button(driver, action, label=None, client_id=None):
    """The submit button of the POST form to `action` (with that hidden client_id, when given)."""
    for form in driver.find_elements(By.CSS_SELECTOR, f"form[action='{action}']"):
        if client_id is not None:
            ids = [i.get_attribute("value") for i in form.find_elements(By.CSS_SELECTOR, "input[name=client_id]")]
            if client_id not in ids:
                continue
        for b in form.find_elements(By.CSS_SELECTOR, "button[type=submit]"):
            if label is None or b.text.strip() == label:
                return b
    return None


def sign_in(driver, username, password, done, what):
    """On a sign-in page: fills it in and submits; then waits for `done`."""
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit = driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]")
    return click_and_wait(driver, submit, done, what)


def authorize_url(client_id, state, nonce):
    return ISSUER + "/authorize?" + encode({"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
                                            "scope": RP_SCOPE, "state": state, "nonce": nonce})


def rp_walk(driver, client, username, password):
    """The code flow in the browser: /authorize, the sign-in page (when shown), the consent page (when
    shown), the RP. Returns the token answer's JSON; raises Stop (failure recorded) when it goes wrong."""
    case = f"code flow as {username}"
    RelyingParty.take()
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    driver.get(authorize_url(client["client_id"], state, nonce))
    signed_in = allowed = False
    stop = time.monotonic() + WAIT
    problem = f"the RP got nothing within {WAIT} s"
    while time.monotonic() < stop:
        try:
            if RelyingParty.count() and driver.current_url.startswith(RP_ORIGIN + "/"):
                problem = None
                break
            if driver.find_elements(By.NAME, "password") and driver.find_elements(By.CSS_SELECTOR, "form[action='/login']"):
                if signed_in:
                    problem = f"the sign-in page again after signing in: {where(driver)}"
                    break
                driver.find_element(By.NAME, "username").send_keys(username)
                driver.find_element(By.NAME, "password").send_keys(password)
                driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
                signed_in = True
                continue
            allow = driver.find_elements(By.CSS_SELECTOR, "form[action='/consent'] button[name=allow]")
            if allow:
                if allowed:
                    problem = "the consent page again after allowing"
                    break
                allow[0].click()
                allowed = True
                continue
            if driver.find_elements(By.CSS_SELECTOR, "p.code"):  # the provider's error page
                problem = f"an error page: {where(driver)}"
                break
        except WebDriverException:
            pass
        time.sleep(0.1)
    if problem:
        check(case, [problem + f"; the browser is at {where(driver)}"])
        raise Stop
    received = RelyingParty.take()
    query = received[-1] if received else {}
    answer = token_request(client["client_id"], client["client_secret"],
                           [("grant_type", "authorization_code"), ("code", query.get("code", "")),
                            ("redirect_uri", REDIRECT)])
    tokens = answer.json() or {}
    ok = check(case, [
        len(received) != 1 and f"the RP got {len(received)} answers, not one",
        query.get("state") != state and f"state came back as {query.get('state')!r}",
        not query.get("code") and f"no code: {query}",
        answer.status != 200 and f"the code exchange got {answer!r}",
        answer.status == 200 and not (tokens.get("access_token") and tokens.get("refresh_token"))
        and f"the token answer lacks an access or a refresh token: {sorted(tokens)}",
    ])
    if not ok:
        raise Stop
    return tokens


def session_cookie(driver):
    cookie = driver.get_cookie("gatehouse_session")
    return cookie["value"] if cookie else None


# ---------------------------------------------------------------- the steps

def step_a_enrol(admin):
    """Returns the recovery codes."""
    admin.get(ISSUER + "/login?next=/admin")
    problem = wait_for(admin, lambda d: d.find_elements(By.NAME, "password"), "sign-in page at /login?next=/admin")
    if not problem:
        problem = sign_in(admin, ADMIN, ADMIN_PASSWORD, lambda d: "Set up two-step sign-in first" in h1(d),
                          "refusal to enter the console before enrolment")
    cookie = session_cookie(admin)
    answer = site.fetch("GET", "/admin", {"Cookie": f"gatehouse_session={cookie}"}) if cookie else None
    if not check("a. the console refuses an admin without an authenticator", [
        problem,
        not problem and urllib.parse.urlsplit(admin.current_url).path != "/admin"
        and f"the sign-in sent the browser to {admin.current_url!r}, not /admin",
        cookie is None and "no gatehouse_session cookie in the browser after signing in",
        answer is not None and answer.status != 403 and f"GET /admin with the session cookie got {answer!r}, not 403",
        answer is not None and "/account" not in answer.text and "the refusal does not point to /account",
    ]):
        raise Stop

    admin.get(ISSUER + "/account")
    start = None
    problem = wait_for(admin, lambda d: button(d, "/account/totp/start", "Set up an authenticator"),
                       "'Set up an authenticator' button on /account")
    if not problem:
        start = button(admin, "/account/totp/start", "Set up an authenticator")
        problem = click_and_wait(admin, start, lambda d: d.find_elements(By.CSS_SELECTOR, "p.secret code"),
                                 "key on the set-up page")
    key = None
    if not problem:
        shown = admin.find_element(By.CSS_SELECTOR, "p.secret code").text
        try:
            key = totp_key(shown)
        except ValueError as error:
            problem = f"the key shown, {shown!r}, is not base32: {why(error)}"
    if not check("a. /account shows an authenticator key", [problem]):
        raise Stop

    # A code whose step has at least 3 s left, so that the server sees the same step.
    while 30 - time.time() % 30 < 3:
        time.sleep(0.2)
    enrol_step = step_now()
    admin.find_element(By.ID, "code").send_keys(totp_code(key, enrol_step))
    problem = click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/account/totp/confirm'] button"),
                             lambda d: "Your recovery codes" in h1(d) or d.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                             "recovery codes after confirming the code")
    codes = [c.text for c in admin.find_elements(By.CSS_SELECTOR, "ul.codes li code")] if not problem else []
    if not check("a. confirming the code shows 10 recovery codes", [
        problem,
        not problem and "Your recovery codes" not in h1(admin) and f"not the recovery codes: {where(admin)}",
        not problem and len(codes) != 10 and f"{len(codes)} recovery codes, not 10: {codes}",
        len(set(codes)) != len(codes) and f"repeated recovery codes: {codes}",
    ]):
        raise Stop

    admin.get(ISSUER + "/admin")
    problem = wait_for(admin, lambda d: on_path("/admin/verify")(d) and d.find_elements(By.NAME, "code"),
                       "code form at /admin/verify")
    if not problem:
        # A fresh code: the enrolment's step is spent.
        while step_now() <= enrol_step or 30 - time.time() % 30 < 3:
            time.sleep(0.2)
        admin.find_element(By.NAME, "code").send_keys(totp_code(key, step_now()))
        problem = click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/admin/verify'] button"),
                                 lambda d: h1(d) == "Overview" or d.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                                 "overview after the second step")
    check("a. a fresh code at /admin/verify opens the overview", [
        problem,
        not problem and h1(admin) != "Overview" and f"not the overview: {where(admin)}",
        not problem and admin.current_url != ISSUER + "/admin" and f"the overview is at {admin.current_url!r}",
    ])
    if h1(admin) != "Overview":
        raise Stop
    return codes


def step_b_new_client(admin):
    """Returns the new client's client_id."""
    admin.get(ISSUER + "/admin/clients/new")
    problem = wait_for(admin, lambda d: d.find_elements(By.NAME, "redirect_uris"), "new-client form")
    client_id = secret = None
    if not problem:
        admin.find_element(By.NAME, "name").send_keys(NEW_CLIENT)
        admin.find_element(By.NAME, "redirect_uris").send_keys("https://rp.example/cb")
        admin.find_element(By.NAME, "grant_types").send_keys("authorization_code refresh_token client_credentials")
        admin.find_element(By.NAME, "scopes").send_keys("openid api")
        submit = button(admin, "/admin/clients", "Create client")
        problem = click_and_wait(admin, submit, lambda d: d.find_elements(By.CSS_SELECTOR, "code.secret-value")
                                 or d.find_elements(By.CSS_SELECTOR, "[role=alert]"), "the new client's secret")
    if not problem:
        secrets_shown = admin.find_elements(By.CSS_SELECTOR, "code.secret-value")
        ids = [dd.text for dt, dd in zip(admin.find_elements(By.CSS_SELECTOR, "dl.facts dt"),
                                         admin.find_elements(By.CSS_SELECTOR, "dl.facts dd")) if dt.text == "client_id"]
        client_id = ids[0].strip() if ids else None
        secret = secrets_shown[0].text.strip() if secrets_shown else None
        if not (client_id and secret):
            problem = f"no client_id ({client_id!r}) or secret ({secret!r}) shown: {where(admin)}"
    answer = tokens = None
    if not problem:
        answer = token_request(client_id, secret, [("grant_type", "client_credentials"), ("scope", "api")])
        tokens = answer.json() or {}
    check("b. a client made in the console gets a client_credentials token", [
        problem,
        answer is not None and answer.status != 200 and f"POST /token got {answer!r}",
        answer is not None and answer.status == 200 and not tokens.get("access_token") and f"no access_token: {tokens}",
        answer is not None and answer.status == 200 and tokens.get("scope") != "api" and f"scope {tokens.get('scope')!r}",
        answer is not None and answer.status == 200 and "refresh_token" in tokens and "a refresh token came too",
    ])
    return client_id


def admin_user_page(admin, username):
    admin.get(ISSUER + "/admin/users/" + urllib.parse.quote(username))
    return wait_for(admin, lambda d: h1(d) == username, f"the admin page of {username}")


def admin_action(case, admin, username, action, label, done, expected_notice, client_id=None):
    """On /admin/users/NAME, clicks `label` of the form posting /admin/users/NAME/ACTION and waits for the
    user's page again (`?done=DONE`). Returns None or a problem. Whether that page shows `expected_notice`
    is a check of its own."""
    problem = admin_user_page(admin, username)
    if problem:
        return problem
    path = "/admin/users/" + urllib.parse.quote(username)
    target = button(admin, f"{path}/{action}", label, client_id=client_id)
    if target is None:
        return f"no {label!r} button posting to {path}/{action} (client {client_id}): {where(admin)}"
    problem = click_and_wait(admin, target, lambda d: on_path(path)(d) or d.find_elements(By.CSS_SELECTOR, "p.code"),
                             f"the user's page after {label}")
    if problem:
        return problem
    if admin.current_url != f"{ISSUER}{path}?done={done}":
        return f"after {label}: {where(admin)}, not {path}?done={done}"
    check(f"{case} the user's page says what {label} did", [
        expected_notice not in notice(admin)
        and f"GET {path}?done={done} shows no notice {expected_notice!r} (p.notice: {notice(admin)!r})"])
    return None


def user_state(admin):
    """The State the admin's user page shows."""
    for dt, dd in zip(admin.find_elements(By.CSS_SELECTOR, "dl.facts dt"), admin.find_elements(By.CSS_SELECTOR, "dl.facts dd")):
        if dt.text == "State":
            return dd.text
    return None


def step_d_disable(admin, user_browser, client, tokens):
    problem = admin_action("d.", admin, ALICE, "disable", "Disable", "disabled", "Disabled: the user's sessions ended")
    check("d. the admin disables the user", [problem or (user_state(admin) != "disabled"
                                                         and f"the page shows State {user_state(admin)!r}")])
    if problem:
        raise Stop
    answer = userinfo(tokens["access_token"])
    check("d. a disabled user's access token is refused at /userinfo", [
        answer.status != 401 and f"/userinfo got {answer!r}, not 401"])
    check("d. a disabled user's refresh token is refused", [expect_invalid_grant(refresh(client, tokens["refresh_token"]))])
    user_browser.get(ISSUER + "/account")
    problem = wait_for(user_browser, lambda d: on_path("/login")(d) and d.find_elements(By.NAME, "password"),
                       "sign-in page at /account")
    check("d. a disabled user's browser session is gone (/account asks to sign in)", [problem])


def step_e_revoke(admin, user_browser, client):
    problem = admin_action("e.", admin, ALICE, "enable", "Enable", "enabled", "Enabled.")
    check("e. the admin enables the user again", [problem or (user_state(admin) != "active"
                                                              and f"the page shows State {user_state(admin)!r}")])
    if problem:
        raise Stop
    tokens = rp_walk(user_browser, client, ALICE, ALICE_PASSWORD)
    answer = userinfo(tokens["access_token"])
    check("e. the enabled user's new access token works", [answer.status != 200 and f"/userinfo got {answer!r}"])
    problem = admin_action("e.", admin, ALICE, "revoke", "Revoke", "revoked", "Access revoked", client_id=client["client_id"])
    check("e. the admin revokes the application on the user's page", [
        problem or (button(admin, "/admin/users/" + urllib.parse.quote(ALICE) + "/revoke", client_id=client["client_id"])
                    and "the application is still listed after Revoke")])
    if problem:
        return
    check("e. a revoked grant's refresh token gets invalid_grant",
          [expect_invalid_grant(refresh(client, tokens["refresh_token"]))])
    answer = userinfo(tokens["access_token"])
    check("e. a revoked grant's access token is refused at /userinfo",
          [answer.status != 401 and f"/userinfo got {answer!r}, not 401"])


def step_f_withdraw(user_browser, client):
    user_browser.delete_all_cookies()
    tokens = rp_walk(user_browser, client, BOB, BOB_PASSWORD)
    user_browser.get(ISSUER + "/account")
    problem = wait_for(user_browser, lambda d: h1(d) == "Your account", "/account")
    target = None
    if not problem:
        target = button(user_browser, "/account/applications/withdraw", "Withdraw access", client_id=client["client_id"])
        if target is None:
            problem = f"no 'Withdraw access' button for the client: {where(user_browser)}"
    if not problem:
        problem = click_and_wait(user_browser, target, lambda d: notice(d) or d.find_elements(By.CSS_SELECTOR, "[role=alert]"),
                                 "notice after withdrawing")
    if not problem and "Access withdrawn" not in notice(user_browser):
        problem = f"after withdrawing: {where(user_browser)}"
    if not problem and button(user_browser, "/account/applications/withdraw", client_id=client["client_id"]):
        problem = "the application is still listed after withdrawing"
    check("f. the user withdraws the application's access on /account", [problem])
    if not problem:
        check("f. the withdrawn application's refresh token gets invalid_grant",
              [expect_invalid_grant(refresh(client, tokens["refresh_token"]))])


def step_g_not_admin(user_browser):
    cookie = session_cookie(user_browser)
    for path in ("/admin", "/admin/clients", "/admin/users"):
        user_browser.get(ISSUER + path)
        problem = wait_for(user_browser, lambda d: "Administrators only" in h1(d) or d.find_elements(By.TAG_NAME, "h1"),
                           f"a page at {path}")
        answer = site.fetch("GET", path, {"Cookie": f"gatehouse_session={cookie}"}) if cookie else None
        check(f"g. a non-admin gets 'Administrators only' at {path}", [
            problem,
            not problem and "Administrators only" not in h1(user_browser) and f"the page is {where(user_browser)}",
            not problem and not user_browser.title.startswith("Administrators only") and f"title {user_browser.title!r}",
            not problem and user_browser.current_url != ISSUER + path and f"the browser moved to {user_browser.current_url!r}",
            cookie is None and "the user's browser has no gatehouse_session cookie",
            answer is not None and answer.status != 403 and f"with the user's cookie: {answer!r}, not 403",
        ])


def step_h_audit(admin, new_client_id, client):
    expected = [  # (actor, action, target)
        (f"user:{ADMIN}", "sign-in.succeeded", f"user:{ADMIN}"),
        (f"user:{ALICE}", "sign-in.succeeded", f"user:{ALICE}"),
        (f"user:{BOB}", "sign-in.succeeded", f"user:{BOB}"),
        (f"user:{ADMIN}", "user.totp-enabled", f"user:{ADMIN}"),
        (f"user:{ADMIN}", "console.second-factor-passed", f"user:{ADMIN}"),
        (f"user:{ADMIN}", "client.created", f"client:{new_client_id}"),
        (f"user:{ADMIN}", "user.disabled", f"user:{ALICE}"),
        (f"user:{ADMIN}", "user.enabled", f"user:{ALICE}"),
        (f"user:{ADMIN}", "account.access-withdrawn", f"user:{ALICE}"),
        (f"user:{BOB}", "account.access-withdrawn", f"client:{client['client_id']}"),
    ]
    actions = sorted({a for _, a, _ in expected})
    admin.get(ISSUER + "/admin/audit")
    problem = wait_for(admin, lambda d: h1(d) == "Audit log", "the audit log")
    rows = []
    if not problem:
        text = admin.find_element(By.TAG_NAME, "table").text
        missing_text = [a for a in actions if a not in text]
        if missing_text:
            problem = f"the table's text lacks {missing_text}"
        rows = [tuple(td.text for td in tr.find_elements(By.TAG_NAME, "td"))
                for tr in admin.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    page = [(r[1], r[2], r[3]) for r in rows if len(r) >= 4]
    withdrawn = [r for r in page if r[1] == "account.access-withdrawn"]
    check("h. /admin/audit lists each action", [
        problem,
        not problem and [e for e in expected if e not in page] and f"missing rows (actor, action, target): "
        f"{[e for e in expected if e not in page]}",
        not problem and len(withdrawn) != 2 and f"{len(withdrawn)} account.access-withdrawn rows, not 2: {withdrawn}",
    ])
    status, out, err = cli("audit", "list", "--json", "--limit", "1000")
    try:
        events = json.loads(out) if status == 0 else None
    except ValueError:
        events = None
    if events is None:
        check("h. `gatehouse audit list --json` agrees", [f"exit status {status}, {out[:200]!r} {err.strip()[-300:]!r}"])
        return
    listed = [(e.get("actor"), e.get("action"), e.get("target")) for e in events]
    mine = sorted(e for e in listed if e[1] in actions)
    shown = sorted(e for e in page if e[1] in actions)
    check("h. `gatehouse audit list --json` agrees", [
        [e for e in expected if e not in listed] and f"missing events: {[e for e in expected if e not in listed]}",
        not problem and mine != shown and f"the CLI lists {mine}, the page {shown}",
    ])


def guarded(case, body, *args):
    """Runs a step; an unexpected exception is a failure of that step. Returns its value, or Stop."""
    try:
        return body(*args)
    except (Deadline, Stop):
        raise
    except Exception as error:
        check(case, [f"unexpected {why(error)}"])
        raise Stop


# ---------------------------------------------------------------- the run

def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(DEADLINE)
    if not CHROMIUM or not CHROMEDRIVER:
        abort("browser", f"chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) not found: "
                         "run scripts/ensure-browser.sh")
    systemcheck.set_up(env, cli, abort, ADMIN, ADMIN_PASSWORD, "--admin")
    for username, password in ((ALICE, ALICE_PASSWORD), (BOB, BOB_PASSWORD)):
        status, _, err = cli("user", "create", "--username", username, "--password-stdin", stdin=password + "\n")
        if status != 0:
            abort("gatehouse user create", f"exit status {status}: {err.strip()[-500:]}")
    status, out, err = cli("client", "create", "--name", f"Wiki {tag}", "--redirect-uri", REDIRECT, "--json")
    if status != 0:
        abort("gatehouse client create", f"exit status {status}: {err.strip()[-500:]}")
    try:
        client = json.loads(out)
        client["client_id"], client["client_secret"]
    except (ValueError, KeyError, TypeError):
        abort("gatehouse client create", f"--json printed {out[:200]!r}")

    server = servers.start("server", PORT, ISSUER)
    rp = http.server.ThreadingHTTPServer((HOST, RP_PORT), RelyingParty)
    rp.daemon_threads = True
    threading.Thread(target=rp.serve_forever, daemon=True).start()
    problem = servers.wait_ready(server, healthz, seconds=60)
    if problem:
        abort("gatehouse serve", problem)

    try:
        admin = browser("admin")
        user_browser = browser("users")
    except Exception as error:
        abort("chromium", why(error))

    try:
        guarded("a. enrolment", step_a_enrol, admin)
        new_client_id = guarded("b. new client", step_b_new_client, admin)
        tokens = guarded("c. code flow", rp_walk, user_browser, client, ALICE, ALICE_PASSWORD)
        answer = userinfo(tokens["access_token"])
        check("c. the user's access token works at /userinfo", [answer.status != 200 and f"/userinfo got {answer!r}"])
        guarded("d. disable", step_d_disable, admin, user_browser, client, tokens)
        guarded("e. enable and revoke", step_e_revoke, admin, user_browser, client)
        guarded("f. withdraw", step_f_withdraw, user_browser, client)
        guarded("g. not an admin", step_g_not_admin, user_browser)
        guarded("h. audit", step_h_audit, admin, new_client_id, client)
    except Stop:
        check("run", ["stopped early: a step the later ones need failed"])
    finish()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # the summary is the last line, whatever happened
        check("run", [f"unexpected {why(error)}"])
        finish()

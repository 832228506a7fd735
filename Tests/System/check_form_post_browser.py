#!/usr/bin/env python3
"""Drives a real browser (headless Chromium through chromedriver and Selenium)
through `response_mode=form_post` answers from `gatehouse serve`, and checks
that the form-post page reaches the client on its own when JavaScript is on,
and through its visible "Continue" button when JavaScript is off.

    check_form_post_browser.py GATEHOUSE_BINARY   (DATABASE_URL names a database it may use)

It migrates the database, creates a user and one ES256 client registered for
`code id_token`, `id_token token` and `id_token` with the redirect URI
http://127.0.0.1:RP_PORT/cb, starts the server on a free port and, on another
free port, a fake relying party (`http.server`) that records every POST body
it receives (and answers GET /favicon.ico with 204, so it logs no error of its
own). Each browser is a fresh Chromium (`--headless=new`, `--no-sandbox`,
`--disable-dev-shm-usage`, a temporary profile) that keeps its console log
(goog:loggingPrefs browser ALL); it signs in on the sign-in page and allows on
the consent page when that is shown, as a person would.

The cases:
  a. JavaScript on, `code id_token` in form_post: with no click after the
     consent, the page's script (/static/form-post.js, the only script its CSP
     `script-src 'self'` allows; nothing inline) submits the form, so the RP
     receives exactly one POST to /cb with `code`, `id_token` (its nonce and
     aud are the ones asked for), `iss` (the issuer), `state` (exactly the one
     sent, though it holds `<&>"'` and a space) and no access token; the browser
     ends on the redirect URI; the console shows no CSP violation
     ("Content Security Policy", "Refused to") from the provider's origin.
     (To show that the console would tell, an image from another origin is
     then added to a provider page on purpose: its violation must show.)
  b. JavaScript off (the content setting, in a second fresh browser that signs
     in again), `id_token token` in form_post: the browser stays on the
     provider's page (title "Continue ..."), the RP has received nothing, and
     a button reading "Continue" is displayed; clicking it delivers exactly one
     POST carrying the page's hidden fields unchanged: `access_token`,
     `token_type` (Bearer), `expires_in`, `id_token`, `state`, `iss`, no code.
  c. JavaScript on, `id_token` in form_post without a nonce: the error reaches
     the RP as a POST (by the script) with `error=invalid_request`, the state
     and `iss`, and no credential; no CSP violation in the console either.
They run in the order a, c (in a's browser, signed in), b.
When FORM_POST_SCREENSHOT names a file, the JS-off form-post page of case b is
saved there as a PNG (for the documentation).

GATEHOUSE_SECRET_KEY, when set, is the server's key (and the CLI's); otherwise
a random one is made for the run. The whole run is bounded (75 s, DEADLINE;
every wait has its own timeout); the server, chromedriver and Chromium are
killed at exit. Each failure is printed on a line of its own, starting with
its case; the last line printed is the summary:
`form_post in chromium: N cases, failures: K`.
"""
import atexit
import base64
import http.client
import http.server
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systemcheck  # noqa: E402

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
DEADLINE = 75  # seconds for the whole run, set-up included
WAIT = 90  # seconds for any one page walk: the first one starts Chromium, beside every other suite on 2 cores
SCOPE = "openid"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

PORT = systemcheck.free_port(HOST)
RP_PORT = systemcheck.free_port(HOST, {PORT})
ISSUER = f"http://{HOST}:{PORT}"
RP_ORIGIN = f"http://{HOST}:{RP_PORT}"
REDIRECT = RP_ORIGIN + "/cb"
RESPONSE_TYPES = ["code id_token", "id_token token", "id_token"]

tag = secrets.token_hex(4)
USERNAME, PASSWORD = f"fp_{tag}", "correct horse " + secrets.token_hex(8)

env = systemcheck.environment()

# ---------------------------------------------------------------- bookkeeping

failures = systemcheck.Failures()
record = failures.record
cases_run = []
servers = systemcheck.Servers(BINARY, env, HOST, "gatehouse-form-post-")
drivers = []  # (driver, service) of every browser started
profiles = tempfile.mkdtemp(prefix="gatehouse-form-post-chromium-")


class Deadline(BaseException):
    """Raised by SIGALRM when the run outlasts DEADLINE (a BaseException: no `except Exception` eats it)."""


def on_alarm(signum, frame):
    raise Deadline(f"the run took longer than {DEADLINE} s")


def why(error):
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else repr(error)


def finish():
    """Prints the failures and the summary (the last line), and exits."""
    signal.alarm(0)
    systemcheck.finish(failures, servers, f"form_post in chromium: {len(cases_run)} cases", bool(cases_run),
                       ordered=False)


def abort(step, detail):
    record("set-up", f"{step}: {detail}")
    finish()


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


cli = systemcheck.cli_runner(BINARY, env, timeout=120)


def healthz():
    conn = http.client.HTTPConnection(HOST, PORT, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


# ---------------------------------------------------------------- the fake relying party

class RelyingParty(http.server.BaseHTTPRequestHandler):
    """Records each POST as (path, [(name, value), ...]); answers GET /favicon.ico with 204."""
    posts = []
    lock = threading.Lock()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with self.lock:
            self.posts.append((self.path, self.headers.get("Content-Type", ""),
                               urllib.parse.parse_qsl(body, keep_blank_values=True)))
        page = b"<!doctype html><title>RP</title><h1>The relying party received the form post</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_GET(self):
        self.send_response(204 if self.path == "/favicon.ico" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

    @classmethod
    def take(cls):
        with cls.lock:
            posts, cls.posts = cls.posts, []
        return posts

    @classmethod
    def count(cls):
        with cls.lock:
            return len(cls.posts)


# ---------------------------------------------------------------- the browser

def browser(name, javascript):
    """A fresh headless Chromium with its own profile and its console log kept."""
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-crash-reporter",
                "--password-store=basic", "--window-size=900,700",
                f"--user-data-dir={os.path.join(profiles, name)}"):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A session of its own, so that the exit can kill chromedriver with the Chromium it started.
    # webdriver.Chrome starts the service itself (starting it before would leave a second chromedriver).
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


def authorize_url(client_id, response_type, state, nonce):
    params = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": response_type,
              "response_mode": "form_post", "scope": SCOPE, "state": state}
    if nonce is not None:
        params["nonce"] = nonce
    return ISSUER + "/authorize?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def visible_error(driver):
    try:
        alerts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[role=alert]") if e.text]
        return "; ".join(alerts) or driver.title
    except WebDriverException:
        return "?"


def walk(driver, url, done):
    """Opens `url`, signs in and allows as needed, until `done(driver)` holds.
    Returns None, or what went wrong."""
    driver.get(url)
    signed_in = allowed = False
    stop = time.monotonic() + WAIT
    while time.monotonic() < stop:
        try:
            if done(driver):
                return None
            if driver.find_elements(By.NAME, "password"):
                if signed_in:
                    return f"the sign-in page again after signing in ({visible_error(driver)!r})"
                driver.find_element(By.NAME, "username").send_keys(USERNAME)
                driver.find_element(By.NAME, "password").send_keys(PASSWORD)
                driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
                signed_in = True
                continue
            allow = driver.find_elements(By.CSS_SELECTOR, "form[action='/consent'] button[name=allow]")
            if allow:
                if allowed:
                    return "the consent page again after allowing"
                allow[0].click()
                allowed = True
                continue
            if driver.find_elements(By.CSS_SELECTOR, "p.code"):  # the provider's error page
                return f"an error page: {visible_error(driver)!r}"
        except WebDriverException:  # a page replaced under our feet: look again
            pass
        time.sleep(0.1)
    try:
        where = f"{driver.current_url[:200]} ({driver.title!r})"
    except WebDriverException as error:
        where = why(error)
    return f"not done within {WAIT} s; the browser is at {where}"


def on_rp(driver):
    return driver.current_url.startswith(RP_ORIGIN + "/") and RelyingParty.count() > 0


def csp_violations(driver):
    """Console entries (since the last call) about a CSP violation that do not come from the fake RP.
    Chromium words them "Refused to ..." or, lately, "... violates the following Content Security
    Policy directive ..."; each starts with the URL of the page it concerns."""
    found = []
    for entry in driver.get_log("browser"):
        message = entry.get("message", "")
        if "Content Security Policy" in message or "Refused to" in message:
            if not message.startswith(RP_ORIGIN + "/"):
                found.append(message)
    return found


def console_sees_violations(driver):
    """Whether the console log shows a violation made on purpose, attributed to the provider's page:
    an image from another origin (the fake RP's) added to the provider's error page, whose CSP allows
    images from 'self' only. Without it, an empty log would prove nothing. (An inline script added the
    same way is refused too, but its message names no page.)"""
    driver.get(ISSUER + "/authorize")
    driver.execute_script("var i = document.createElement('img'); i.src = arguments[0];"
                          "document.body.appendChild(i);", RP_ORIGIN + "/blocked-by-csp.png")
    stop = time.monotonic() + 5
    while time.monotonic() < stop:
        if any(m.startswith(ISSUER + "/") for m in csp_violations(driver)):
            return True
        time.sleep(0.1)
    return False


def jwt_claims(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None


def one_post(case, expected_path="/cb"):
    """The fields of the single POST the RP received (a dict), or None (failure recorded)."""
    time.sleep(0.5)  # a second submission would land by now
    posts = RelyingParty.take()
    if len(posts) != 1:
        record(case, f"the RP received {len(posts)} POSTs, not one: {[sorted(dict(p[2])) for p in posts]}")
        if not posts:
            return None
    path, content_type, pairs = posts[0]
    if path != expected_path:
        record(case, f"the POST went to {path!r}, not {expected_path!r}")
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        record(case, f"the POST's Content-Type is {content_type!r}")
    names = [n for n, _ in pairs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        record(case, f"fields posted more than once: {repeated}")
    return dict(pairs)


def check_fields(case, fields, wanted, unwanted, state):
    missing = [name for name in wanted if not fields.get(name)]
    if missing:
        record(case, f"the POST lacks {missing} (it has {sorted(fields)})")
    extra = sorted(set(unwanted) & set(fields))
    if extra:
        record(case, f"the POST carries {extra}, which this response type does not return")
    if fields.get("state") != state:
        record(case, f"state came back as {fields.get('state')!r}, not {state!r}")
    if "iss" in fields and fields["iss"] != ISSUER:
        record(case, f"iss {fields['iss']!r}, not {ISSUER!r}")


def check_id_token(case, fields, client_id, nonce):
    """The ID token's nonce and aud (its signature is check_response_types.py's business)."""
    if not fields.get("id_token"):
        return
    claims = jwt_claims(fields["id_token"])
    if not isinstance(claims, dict):
        record(case, f"id_token is not a JWT: {fields['id_token'][:80]!r}")
        return
    aud = claims.get("aud")
    if claims.get("nonce") != nonce:
        record(case, f"the ID token's nonce is {claims.get('nonce')!r}, not {nonce!r}")
    if client_id not in (aud if isinstance(aud, list) else [aud]):
        record(case, f"the ID token's aud is {aud!r}, not the client")
    if claims.get("iss") != ISSUER:
        record(case, f"the ID token's iss is {claims.get('iss')!r}")


def new_state():
    return f"st<&>\"' {secrets.token_hex(4)}"


# ---------------------------------------------------------------- the cases

def case_script_submits(driver, client_id):
    case = "a. JS on, code id_token"
    cases_run.append(case)
    state, nonce = new_state(), secrets.token_urlsafe(12)
    RelyingParty.take()
    problem = walk(driver, authorize_url(client_id, "code id_token", state, nonce), on_rp)
    if problem:
        record(case, f"the RP got no POST: {problem}")
    else:
        fields = one_post(case)
        if fields is not None:
            check_fields(case, fields, ["code", "id_token", "state", "iss"], ["access_token", "token_type", "error"],
                         state)
            check_id_token(case, fields, client_id, nonce)
        if driver.current_url != REDIRECT:
            record(case, f"the browser ended on {driver.current_url[:200]!r}, not {REDIRECT!r}")
    for message in csp_violations(driver):  # whether or not the POST came: they may say why not
        record(case, f"console: {message}")
    if not console_sees_violations(driver):
        record(case, "the console log shows no CSP violation even for an inline script added on purpose, "
                     "so its silence proves nothing")


def case_error_posted(driver, client_id):
    case = "c. JS on, id_token without nonce (error)"
    cases_run.append(case)
    state = new_state()
    RelyingParty.take()
    problem = walk(driver, authorize_url(client_id, "id_token", state, None), on_rp)
    if problem:
        record(case, f"the RP got no POST: {problem}")
    else:
        fields = one_post(case)
        if fields is not None:
            if fields.get("error") != "invalid_request":
                record(case, f"error {fields.get('error')!r}, not 'invalid_request' (fields {sorted(fields)})")
            check_fields(case, fields, ["error", "state", "iss"], ["code", "id_token", "access_token", "token_type"],
                         state)
        if driver.current_url != REDIRECT:
            record(case, f"the browser ended on {driver.current_url[:200]!r}, not {REDIRECT!r}")
    for message in csp_violations(driver):
        record(case, f"console: {message}")


def case_button_without_script(driver, client_id):
    case = "b. JS off, id_token token"
    cases_run.append(case)
    state, nonce = new_state(), secrets.token_urlsafe(12)
    RelyingParty.take()

    def form_post_page(d):
        return "Continue" in d.title and bool(d.find_elements(By.CSS_SELECTOR, "form#response, form[method=post]"))
    problem = walk(driver, authorize_url(client_id, "id_token token", state, nonce), form_post_page)
    if problem:
        record(case, f"no form-post page: {problem}")
        return
    time.sleep(1.0)  # time for a script, were one to run, to submit the form
    if not driver.current_url.startswith(ISSUER + "/"):
        record(case, f"the browser left the provider without a click: {driver.current_url[:200]!r}")
        return
    if RelyingParty.count():
        record(case, "the RP received a POST before the button was clicked")
        return
    buttons = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Continue"]
    if not buttons:
        record(case, f"no button reading 'Continue' (buttons: {[b.text for b in driver.find_elements(By.TAG_NAME, 'button')]})")
        return
    button = buttons[0]
    if not button.is_displayed():
        record(case, "the 'Continue' button is not displayed")
    form = button.find_element(By.XPATH, "ancestor::form")
    if (form.get_attribute("action") or "") != REDIRECT or (form.get_attribute("method") or "").lower() != "post":
        record(case, f"the button's form is {form.get_attribute('method')!r} to {form.get_attribute('action')!r}")
    page_fields = {i.get_attribute("name"): i.get_attribute("value")
                   for i in form.find_elements(By.CSS_SELECTOR, "input[type=hidden]")}
    shot = os.environ.get("FORM_POST_SCREENSHOT")
    if shot:
        try:
            if not driver.save_screenshot(shot):
                record(case, f"could not save the screenshot to {shot}")
        except (OSError, WebDriverException) as error:
            record(case, f"could not save the screenshot to {shot}: {why(error)}")
    button.click()
    stop = time.monotonic() + WAIT
    while time.monotonic() < stop and not on_rp(driver):
        time.sleep(0.1)
    fields = one_post(case)
    if fields is None:
        return
    check_fields(case, fields, ["access_token", "token_type", "expires_in", "id_token", "state", "iss"],
                 ["code", "error"], state)
    check_id_token(case, fields, client_id, nonce)
    if (fields.get("token_type") or "").lower() != "bearer":
        record(case, f"token_type {fields.get('token_type')!r}, not Bearer")
    if fields != page_fields:
        record(case, f"the POST ({sorted(fields)}) is not the page's hidden fields ({sorted(page_fields)})")
    if driver.current_url != REDIRECT:
        record(case, f"the browser ended on {driver.current_url[:200]!r}, not {REDIRECT!r}")


def guarded(case, body, *args):
    """Runs one case; an exception in it is a failure of that case, not of the run."""
    try:
        body(*args)
    except Deadline:
        raise
    except Exception as error:
        if case not in cases_run:
            cases_run.append(case)
        record(case, f"unexpected {why(error)}")


# ---------------------------------------------------------------- the run

def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(DEADLINE)
    if not CHROMIUM or not CHROMEDRIVER:
        abort("browser", f"chromium ({CHROMIUM}) or chromedriver ({CHROMEDRIVER}) not found: "
                         "run scripts/ensure-browser.sh")
    systemcheck.set_up(env, cli, abort, USERNAME, PASSWORD)
    args = ["client", "create", "--name", f"Form post RP {tag}", "--redirect-uri", REDIRECT]
    for response_type in RESPONSE_TYPES:
        args += ["--response-type", response_type]
    status, out, err = cli(*args, "--id-token-alg", "ES256", "--json")
    if status != 0:
        abort("gatehouse client create", f"exit status {status}: {err.strip()[-500:]}")
    try:
        client_id = json.loads(out)["client_id"]
    except (ValueError, KeyError, TypeError):
        abort("gatehouse client create", f"--json printed {out[:200]!r}")

    server = servers.start("server", PORT, ISSUER)
    rp = http.server.ThreadingHTTPServer((HOST, RP_PORT), RelyingParty)
    rp.daemon_threads = True
    threading.Thread(target=rp.serve_forever, daemon=True).start()
    problem = servers.wait_ready(server, healthz, seconds=20)
    if problem:
        abort("gatehouse serve", problem)

    try:
        with_script = browser("javascript-on", javascript=True)
    except Exception as error:
        abort("chromium (JS on)", why(error))
    guarded("a. JS on, code id_token", case_script_submits, with_script, client_id)
    guarded("c. JS on, id_token without nonce (error)", case_error_posted, with_script, client_id)
    try:
        without_script = browser("javascript-off", javascript=False)
    except Exception as error:
        abort("chromium (JS off)", why(error))
    guarded("b. JS off, id_token token", case_button_without_script, without_script, client_id)
    finish()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except BaseException as error:  # the summary is the last line, whatever happened
        record("run", f"unexpected {why(error)}")
        finish()

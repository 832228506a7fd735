#!/usr/bin/env python3
"""Screenshots of the admin console, the account page and the sign-in pages,
for the documentation: 1280x900 PNGs in docs/screenshots/.

    scripts/with-test-postgres.sh python3 scripts/screenshots.py [GATEHOUSE_BINARY]
    (or `make screenshots`; DATABASE_URL must name an empty database)

It seeds a small, plausible deployment with the CLI (an administrator, four
people, three clients), starts `gatehouse serve` on a free port, and then,
as people would: the administrator enrols an authenticator on /account and
passes /admin/verify; three people sign in to the applications (through the
sign-in and consent pages, over HTTP, the codes exchanged at /token); one
types a wrong password first; the administrator registers a third client in
the console, disables an account and rotates the signing key. The pages are
then shot in headless Chromium (Selenium):

    login.png           the sign-in page of an authorization request
    consent.png         the consent page that follows
    account.png         a person's /account (applications, sessions)
    admin-overview.png  /admin
    admin-clients.png   /admin/clients
    admin-client.png    /admin/clients/ID (Team Wiki)
    admin-users.png     /admin/users
    admin-user.png      /admin/users/NAME (a person with applications)
    admin-keys.png      /admin/keys
    admin-audit.png     /admin/audit

The server, chromedriver and Chromium are killed at exit. Needs chromium,
chromedriver and selenium (scripts/ensure-browser.sh).
"""
import atexit
import base64
import hashlib
import hmac
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "System"))
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

BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "gatehouse")
OUT = os.path.join(ROOT, "docs", "screenshots")
HOST = "127.0.0.1"
WAIT = 90  # seconds for any one page or wait
WIDTH, HEIGHT = 1280, 900
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")

PORT = systemcheck.free_port(HOST)
ISSUER = f"http://{HOST}:{PORT}"

ADMIN = ("morgan", "Morgan", "Reyes", "morgan.reyes@example.com")
PEOPLE = [("alice", "Alice", "Martin", "alice.martin@example.com"),
          ("bob", "Bob", "Nakamura", "bob.nakamura@example.com"),
          ("carol", "Carol", "Okafor", "carol.okafor@example.com"),
          ("dave", "Dave", "Lindqvist", "dave.lindqvist@example.com")]
PASSWORDS = {u[0]: "correct horse " + secrets.token_hex(6) for u in [ADMIN] + PEOPLE}
CLIENTS = [  # (name, redirect URIs, extra CLI arguments)
    ("Team Wiki", ["https://wiki.example.com/oidc/callback"],
     ["--post-logout-redirect-uri", "https://wiki.example.com/"]),
    ("Grafana", ["https://grafana.example.com/login/generic_oauth"], ["--id-token-alg", "ES256"]),
]
CONSOLE_CLIENT = ("Support Desk", "https://support.example.com/auth/callback\nhttps://support.example.com/auth/silent",
                  "openid profile email offline_access")
SCOPE = "openid profile email offline_access"

env = systemcheck.environment()
env.setdefault("GATEHOUSE_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
cli_run = systemcheck.cli_runner(BINARY, env)
servers = systemcheck.Servers(BINARY, env, HOST, "gatehouse-screenshots-")
drivers = []
profiles = tempfile.mkdtemp(prefix="gatehouse-screenshots-chromium-")
site = systemcheck.Site(HOST, PORT, ISSUER)


def fail(message):
    print(f"screenshots: {message}", file=sys.stderr)
    servers.print_logs()
    sys.exit(1)


def quietly(action):
    try:
        action()
    except Exception:
        pass


@atexit.register
def clean_up():
    for driver, service in drivers:
        process = getattr(service, "process", None)
        quitter = threading.Thread(target=quietly, args=(driver.quit,), daemon=True)
        quitter.start()
        quitter.join(timeout=10)
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


def cli(*args, stdin=None):
    status, out, err = cli_run(*args, stdin=stdin)
    if status != 0:
        fail(f"gatehouse {' '.join(args[:2])}: exit status {status}: {err.strip()[-500:]}")
    return out


# ---------------------------------------------------------------- the browser

def browser(name):
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-crash-reporter",
                "--password-store=basic", "--hide-scrollbars", "--force-device-scale-factor=1",
                f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={os.path.join(profiles, name)}"):
        options.add_argument(arg)
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
    # The viewport itself must be WIDTH x HEIGHT (the window may add nothing in headless mode, or may).
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [WIDTH, HEIGHT]:
        driver.set_window_size(WIDTH + WIDTH - inner[0], HEIGHT + HEIGHT - inner[1])
    return driver


def wait_for(driver, done, what):
    stop = time.monotonic() + WAIT
    while time.monotonic() < stop:
        try:
            if done(driver):
                return
        except WebDriverException:
            pass
        time.sleep(0.1)
    fail(f"no {what} within {WAIT} s; the browser is at {driver.current_url} ({driver.title!r})")


def stale(element):
    try:
        element.is_enabled()
        return False
    except WebDriverException:
        return True


def click_and_wait(driver, element, done, what):
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_for(driver, lambda d: stale(old) and done(d), what)


def h1(driver):
    return " ".join(e.text for e in driver.find_elements(By.TAG_NAME, "h1"))


def open_page(driver, path, heading):
    driver.get(ISSUER + path)
    wait_for(driver, lambda d: heading in h1(d) and d.execute_script("return document.readyState") == "complete",
             f"{heading!r} at {path}")


def shoot(driver, name):
    driver.execute_script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    time.sleep(0.3)
    path = os.path.join(OUT, name)
    if not driver.save_screenshot(path):
        fail(f"could not save {path}")
    print(f"wrote {os.path.relpath(path, ROOT)}")


def sign_in(driver, username, done, what):
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[username])
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]"), done, what)


# ---------------------------------------------------------------- TOTP (RFC 6238)

def totp_code(key, step):
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


# ---------------------------------------------------------------- seeding over HTTP

def authorize_url(client, redirect):
    return ISSUER + "/authorize?" + encode({"client_id": client["client_id"], "redirect_uri": redirect,
                                            "response_type": "code", "scope": SCOPE,
                                            "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8)})


def sign_in_to(client, username):
    """A code flow for `username` over HTTP (sign-in, consent), the code exchanged at /token."""
    redirect = client["redirect_uris"][0]
    walker = systemcheck.Browser(site, username, PASSWORDS[username])
    answer = walker.authorize(authorize_url(client, redirect), fail=lambda m: fail(f"{username} at {client['name']}: {m}"))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.header("Location") or "").query))
    if "code" not in query:
        fail(f"{username} at {client['name']}: no code, {answer!r}")
    tokens = site.fetch("POST", "/token", {"Content-Type": FORM, "Authorization": basic(client["client_id"], client["client_secret"])},
                        encode([("grant_type", "authorization_code"), ("code", query["code"]), ("redirect_uri", redirect)]))
    if tokens.status != 200:
        fail(f"{username} at {client['name']}: the code exchange got {tokens!r}")


def wrong_password(username):
    walker = systemcheck.Browser(site, username, "not the password")
    login = systemcheck.Page(walker.request("GET", "/login").text).form("/login")
    fields = dict(systemcheck.hidden(login or {"inputs": []}))
    walker.request("POST", "/login", [("username", username), ("password", "not the password"),
                                      ("csrf_token", fields.get("csrf_token", "")), ("next", "")])


# ---------------------------------------------------------------- the run

def main():
    if not CHROMIUM or not CHROMEDRIVER:
        fail("chromium or chromedriver not found: run scripts/ensure-browser.sh")
    if not os.environ.get("DATABASE_URL"):
        fail("DATABASE_URL is not set (run under scripts/with-test-postgres.sh)")
    os.makedirs(OUT, exist_ok=True)

    cli("migrate")
    for (username, given, family, email), admin in [(ADMIN, True)] + [(p, False) for p in PEOPLE]:
        cli("user", "create", "--username", username, "--given-name", given, "--family-name", family, "--email", email,
            *(["--admin"] if admin else []), "--password-stdin", stdin=PASSWORDS[username] + "\n")
    clients = {}
    for name, redirects, extra in CLIENTS:
        args = ["client", "create", "--name", name]
        for uri in redirects:
            args += ["--redirect-uri", uri]
        clients[name] = json.loads(cli(*args, *extra, "--json"))

    server = servers.start("server", PORT, ISSUER, OIDC_SITE_NAME="Gatehouse")
    problem = servers.wait_ready(server, lambda: site.fetch("GET", "/healthz").status, seconds=60)
    if problem:
        fail(f"gatehouse serve: {problem}")

    # People use the applications (sign-in and consent pages, over HTTP).
    wrong_password("carol")
    sign_in_to(clients["Team Wiki"], "alice")
    sign_in_to(clients["Grafana"], "alice")
    sign_in_to(clients["Team Wiki"], "bob")
    sign_in_to(clients["Grafana"], "dave")

    # The administrator: sign-in, authenticator, second step.
    admin = browser("admin")
    admin.get(ISSUER + "/login?next=/admin")
    wait_for(admin, lambda d: d.find_elements(By.NAME, "password"), "the sign-in page")
    sign_in(admin, "morgan", lambda d: "two-step" in h1(d), "the console's refusal before enrolment")
    admin.get(ISSUER + "/account")
    wait_for(admin, lambda d: d.find_elements(By.CSS_SELECTOR, "form[action='/account/totp/start'] button"),
             "the set-up button")
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/account/totp/start'] button"),
                   lambda d: d.find_elements(By.CSS_SELECTOR, "p.secret code"), "the authenticator key")
    shown = "".join(admin.find_element(By.CSS_SELECTOR, "p.secret code").text.split()).upper()
    key = base64.b32decode(shown + "=" * (-len(shown) % 8))
    while 30 - time.time() % 30 < 3:
        time.sleep(0.2)
    enrolled = int(time.time()) // 30
    admin.find_element(By.ID, "code").send_keys(totp_code(key, enrolled))
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/account/totp/confirm'] button"),
                   lambda d: "recovery codes" in h1(d), "the recovery codes")
    admin.get(ISSUER + "/admin")
    wait_for(admin, lambda d: d.find_elements(By.NAME, "code"), "the code form at /admin/verify")
    while int(time.time()) // 30 <= enrolled or 30 - time.time() % 30 < 3:
        time.sleep(0.2)
    admin.find_element(By.NAME, "code").send_keys(totp_code(key, int(time.time()) // 30))
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/admin/verify'] button"),
                   lambda d: h1(d) == "Overview", "the overview")

    # The administrator's changes: a client, a disabled account, a new signing key.
    open_page(admin, "/admin/clients/new", "New client")
    name, redirects, scopes = CONSOLE_CLIENT
    admin.find_element(By.NAME, "name").send_keys(name)
    admin.find_element(By.NAME, "redirect_uris").send_keys(redirects)
    admin.find_element(By.NAME, "scopes").send_keys(scopes)
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/admin/clients'] button[type=submit]"),
                   lambda d: "is registered" in h1(d), "the new client")
    open_page(admin, "/admin/users/dave", "dave")
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/admin/users/dave/disable'] button"),
                   lambda d: h1(d) == "dave", "dave's page after Disable")
    open_page(admin, "/admin/keys", "Signing keys")
    click_and_wait(admin, admin.find_element(By.CSS_SELECTOR, "form[action='/admin/keys/rotate'] button[type=submit]"),
                   lambda d: h1(d) == "Signing keys", "the keys after the rotation")

    # The console's pages.
    open_page(admin, "/admin", "Overview")
    shoot(admin, "admin-overview.png")
    open_page(admin, "/admin/clients", "Clients")
    shoot(admin, "admin-clients.png")
    open_page(admin, "/admin/clients/" + urllib.parse.quote(clients["Team Wiki"]["client_id"]), "Team Wiki")
    shoot(admin, "admin-client.png")
    open_page(admin, "/admin/users", "Users")
    shoot(admin, "admin-users.png")
    open_page(admin, "/admin/users/alice", "alice")
    shoot(admin, "admin-user.png")
    open_page(admin, "/admin/keys", "Signing keys")
    shoot(admin, "admin-keys.png")
    open_page(admin, "/admin/audit", "Audit log")
    shoot(admin, "admin-audit.png")

    # A person's pages: the sign-in and consent pages of a request, then /account.
    person = browser("person")
    person.get(authorize_url(clients["Team Wiki"], clients["Team Wiki"]["redirect_uris"][0]))
    wait_for(person, lambda d: d.find_elements(By.NAME, "password"), "the sign-in page")
    shoot(person, "login.png")
    sign_in(person, "carol", lambda d: d.find_elements(By.CSS_SELECTOR, "form[action='/consent']"), "the consent page")
    shoot(person, "consent.png")
    person.delete_all_cookies()
    person.get(ISSUER + "/login?next=/account")
    wait_for(person, lambda d: d.find_elements(By.NAME, "password"), "the sign-in page")
    sign_in(person, "alice", lambda d: h1(d) == "Your account", "alice's account page")
    shoot(person, "account.png")


if __name__ == "__main__":
    main()

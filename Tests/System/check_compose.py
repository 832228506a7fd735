#!/usr/bin/env python3
"""Static checks of docker-compose.yml and the Dockerfile.

Usage: Tests/System/check_compose.py [--compose FILE] [--dockerfile FILE]

Paths default to the files at the root of the checkout (the parent of this
script's directory), whatever the working directory. Needs PyYAML.

Deployment defaults: GATEHOUSE_SECRET_KEY, POSTGRES_PASSWORD and OIDC_ISSUER
must have no default anywhere (every reference is ${VAR:?message}, and the
DATABASE_URLs take their password from ${POSTGRES_PASSWORD:?...}), gatehouse
publishes only port 8000, and /metrics is on a fixed OIDC_METRICS_PORT that
is not published.

When `docker compose version` succeeds, the compose file is also validated by
`docker compose config -q` (with dummy values of the required variables and no
.env file), and must be refused without each of them.

Prints `compose and Dockerfile: N checks passed` and exits 0, or prints each
failure and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - depends on the machine
    print("error: PyYAML is required (python3 -m pip install pyyaml)", file=sys.stderr)
    sys.exit(2)

ROOT = Path(__file__).resolve().parent.parent.parent
REQUIRED_SERVICES = ("postgres", "migrate", "gatehouse")
# Variables with no default: every reference must be ${VAR:?message}.
REQUIRED_VARIABLES = ("GATEHOUSE_SECRET_KEY", "POSTGRES_PASSWORD", "OIDC_ISSUER")
# The one port gatehouse publishes on the host.
PUBLIC_PORT = "8000"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Operators Compose accepts after a variable name inside ${...}.
OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class Checker:
    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
        return ok


# --------------------------------------------------------------------------
# Compose interpolation
# --------------------------------------------------------------------------

def closing_brace(text: str, i: int) -> int | None:
    """For the `${` at offset i, the offset just past its matching `}`."""
    depth, j = 1, i + 2
    while j < len(text) and depth:
        if text[j] == "$" and text[j + 1:j + 2] == "$":
            j += 2
            continue
        if text[j] == "$" and text[j + 1:j + 2] == "{":
            depth += 1
            j += 2
            continue
        if text[j] == "}":
            depth -= 1
        j += 1
    return None if depth else j


def interpolations(text: str) -> list[tuple[int, int, str, str, str]]:
    """The outermost interpolations of one string: (start, end, name, op, word).

    `$NAME` gives op and word "". Malformed ones (see interpolation_errors)
    are skipped.
    """
    found = []
    i = 0
    while i < len(text):
        if text[i] != "$":
            i += 1
            continue
        nxt = text[i + 1:i + 2]
        if nxt == "$":
            i += 2
            continue
        if nxt != "{":
            m = NAME.match(text, i + 1)
            if m:
                found.append((i, m.end(), m.group(0), "", ""))
                i = m.end()
            else:
                i += 1
            continue
        j = closing_brace(text, i)
        if j is None:
            break
        body = text[i + 2:j - 1]
        m = NAME.match(body)
        if m:
            rest = body[m.end():]
            op = next((o for o in OPERATORS if rest.startswith(o)), "")
            found.append((i, j, m.group(0), op, rest[len(op):]))
        i = j
    return found


def references(text: str):
    """Every interpolation in one string, nested ones included: (name, op, word)."""
    for _, _, name, op, word in interpolations(text):
        yield name, op, word
        yield from references(word)


def mask_interpolations(text: str) -> str:
    """The string with each outermost interpolation replaced by NULs of its length,
    so that literal characters (':' and '@' in a URL) can be found by offset."""
    out = list(text)
    for start, end, *_ in interpolations(text):
        out[start:end] = "\0" * (end - start)
    return "".join(out)


def is_required(value: str, name: str) -> bool:
    """Whether value is exactly ${name:?message} with a non-empty message."""
    found = interpolations(value)
    return (len(found) == 1 and found[0][:2] == (0, len(value)) and found[0][2] == name
            and found[0][3] == ":?" and bool(found[0][4].strip()))


def interpolation_errors(text: str) -> list[str]:
    """Errors in the ${...} / $VAR syntax of one string, as Compose parses it.

    `$$` is a literal dollar; `$NAME` and `${NAME}` are variables;
    `${NAME<op>word}` takes one of OPERATORS, and `word` may itself contain
    interpolations. `?` forms must carry a message, so that a missing value
    is explained to whoever starts the stack.
    """
    errors: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$":
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "$":
            i += 2
            continue
        if nxt != "{":
            m = NAME.match(text, i + 1)
            if not m:
                errors.append(f"lone '$' at offset {i} (write '$$' for a literal dollar)")
                i += 1
            else:
                i = m.end()
            continue
        # ${ ... } with nesting
        j = closing_brace(text, i)
        if j is None:
            errors.append(f"unclosed '${{' at offset {i}")
            break
        body = text[i + 2:j - 1]
        m = NAME.match(body)
        if not m:
            errors.append(f"'${{{body}}}' does not start with a variable name")
        else:
            rest = body[m.end():]
            if rest:
                op = next((o for o in OPERATORS if rest.startswith(o)), None)
                if op is None:
                    errors.append(f"'${{{body}}}': unknown operator after {m.group(0)} "
                                  f"(expected one of {', '.join(OPERATORS)})")
                else:
                    word = rest[len(op):]
                    if op.endswith("?") and not word.strip():
                        errors.append(f"'${{{body}}}': a required variable needs a message")
                    errors.extend(interpolation_errors(word))
        i = j
    return errors


def strings_in(node, path=""):
    """Every string (keys and values) in a parsed YAML tree, with its path."""
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(k, str):
                yield p + " (key)", k
            yield from strings_in(v, p)
    elif isinstance(node, list):
        for n, v in enumerate(node):
            yield from strings_in(v, f"{path}[{n}]")
    elif isinstance(node, str):
        yield path, node


# --------------------------------------------------------------------------
# Compose structure
# --------------------------------------------------------------------------

def depends_condition(service: dict, name: str):
    deps = service.get("depends_on")
    if isinstance(deps, dict):
        entry = deps.get(name)
        if isinstance(entry, dict):
            return entry.get("condition", "service_started")
        return "service_started" if name in deps else None
    if isinstance(deps, list):
        return "service_started" if name in deps else None
    return None


def container_ports(service: dict) -> list[str]:
    """Container-side ports a service publishes, from short or long syntax."""
    found = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            found.append(str(entry.get("target", "")))
        elif isinstance(entry, str):
            spec = entry.split("/", 1)[0]          # drop /tcp, /udp
            found.append(spec.rsplit(":", 1)[-1])  # [ip:][host:]container
        else:
            # An unquoted 8000:8000 is a base-60 integer in YAML 1.1.
            found.append(f"<not a string: {entry!r}>")
    return found


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, _, value = str(item).partition("=")
            out[key] = value
        return out
    return {str(k): ("" if v is None else str(v)) for k, v in env.items()}


def command_words(service: dict) -> list[str]:
    cmd = service.get("command")
    if isinstance(cmd, list):
        return [str(c) for c in cmd]
    if isinstance(cmd, str):
        return cmd.split()
    return []


def named_volumes(service: dict) -> list[str]:
    names = []
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type", "volume") == "volume" and v.get("source"):
                names.append(str(v["source"]))
        elif isinstance(v, str):
            source = v.split(":", 1)[0]
            if ":" in v and not source.startswith((".", "/", "~", "$")):
                names.append(source)
    return names


def database_url_password_problem(url: str) -> str | None:
    """Why a DATABASE_URL's password is not ${POSTGRES_PASSWORD:?message}, or None."""
    masked = mask_interpolations(url)
    m = re.match(r"postgres(?:ql)?://", masked)
    if not m:
        return "is not a postgresql:// URL"
    authority_end = next((k for k in range(m.end(), len(masked)) if masked[k] in "/?#"), len(masked))
    at = masked.rfind("@", m.end(), authority_end)
    if at < 0:
        return "has no user and password (user:${POSTGRES_PASSWORD:?...}@postgres)"
    colon = masked.find(":", m.end(), at)
    if colon < 0:
        return "has no password (user:${POSTGRES_PASSWORD:?...}@postgres)"
    if not is_required(url[colon + 1:at], "POSTGRES_PASSWORD"):
        return (f"has the password '{url[colon + 1:at]}'; it must be exactly "
                "${POSTGRES_PASSWORD:?message}, with no default")
    if re.search(r"[?&]password=", masked[authority_end:]):
        return "has a password= parameter"
    return None


def check_deployment_defaults(c: Checker, doc: dict, services: dict) -> None:
    """No default secrets or issuer, and /metrics on an unpublished port."""
    pg = services.get("postgres") or {}
    gh = services.get("gatehouse") or {}

    # Every reference to a required variable, anywhere in the file, fails
    # when it is unset or empty: no `:-` / `-` default, no bare $VAR.
    refs = [(where, name, op, word) for where, s in strings_in(doc) for name, op, word in references(s)]
    for var in REQUIRED_VARIABLES:
        c.check(any(name == var for _, name, _, _ in refs),
                f"{var} is referenced nowhere (it must come from ${{{var}:?message}}, not a literal value)")
        for where, name, op, word in refs:
            if name == var:
                form = f"${{{var}{op}{word}}}" if op else f"${var}"
                c.check(op == ":?",
                        f"{where}: {form} gives {var} a default or lets it be empty; "
                        f"write ${{{var}:?message}} (no default {var} may ship)")

    pg_env = environment(pg)
    c.check(is_required(pg_env.get("POSTGRES_PASSWORD", ""), "POSTGRES_PASSWORD"),
            "postgres: POSTGRES_PASSWORD must be ${POSTGRES_PASSWORD:?message}, with no default "
            f"(found {pg_env.get('POSTGRES_PASSWORD', 'none')!r})")
    c.check(pg_env.get("POSTGRES_HOST_AUTH_METHOD", "").strip().lower() != "trust",
            "postgres: POSTGRES_HOST_AUTH_METHOD=trust lets anyone on the network in without a password")
    for name in ("migrate", "gatehouse"):
        url = environment(services.get(name) or {}).get("DATABASE_URL")
        if url is None:
            continue  # reported by check_compose
        problem = database_url_password_problem(url)
        c.check(problem is None, f"{name}: DATABASE_URL {problem}")

    c.check(is_required(environment(gh).get("OIDC_ISSUER", ""), "OIDC_ISSUER"),
            "gatehouse: OIDC_ISSUER must be ${OIDC_ISSUER:?message}, with no default: it is the public "
            f"URL of each deployment (found {environment(gh).get('OIDC_ISSUER', 'none')!r})")

    # Only 8000 is published; /metrics has its own, fixed, unpublished port.
    ports = container_ports(gh)
    c.check(all(p == PUBLIC_PORT for p in ports),
            f"gatehouse: publishes {[p for p in ports if p != PUBLIC_PORT]}; only {PUBLIC_PORT} may be "
            "published (/metrics stays on the Compose network)")
    metrics = environment(gh).get("OIDC_METRICS_PORT", "")
    c.check(metrics.isdigit() and metrics != PUBLIC_PORT,
            "gatehouse: OIDC_METRICS_PORT must be a fixed port number other than "
            f"{PUBLIC_PORT} (found {metrics or 'none'!r}); unset or empty serves /metrics on the public port")
    c.check(metrics not in ports,
            f"gatehouse: the metrics port {metrics} is published in `ports`; Prometheus reaches it "
            "over the Compose network without that")
    c.check(str(gh.get("network_mode", "")) != "host",
            "gatehouse: network_mode host would put the metrics port on the host's network")
    for name, service in services.items():
        if name != "gatehouse" and isinstance(service, dict):
            c.check(not service.get("ports"),
                    f"{name}: publishes ports {container_ports(service)}; only gatehouse:{PUBLIC_PORT} may be published")


def check_compose(c: Checker, path: Path) -> None:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        c.check(False, f"{path.name}: cannot be read as YAML: {error}")
        return
    if not c.check(isinstance(doc, dict), f"{path.name}: the top level is not a mapping"):
        return
    c.check("version" not in doc, f"{path.name}: has a top-level 'version:' key (obsolete in the Compose spec)")

    services = doc.get("services")
    if not c.check(isinstance(services, dict), f"{path.name}: no 'services' mapping"):
        return
    for name in REQUIRED_SERVICES:
        c.check(isinstance(services.get(name), dict), f"{path.name}: service '{name}' is missing")
    pg = services.get("postgres") or {}
    mig = services.get("migrate") or {}
    gh = services.get("gatehouse") or {}

    # gatehouse waits for a healthy database and a finished migration.
    c.check(depends_condition(gh, "postgres") == "service_healthy",
            "gatehouse: depends_on postgres must have condition service_healthy")
    c.check(depends_condition(gh, "migrate") == "service_completed_successfully",
            "gatehouse: depends_on migrate must have condition service_completed_successfully")
    c.check(depends_condition(mig, "postgres") == "service_healthy",
            "migrate: depends_on postgres must have condition service_healthy")

    # postgres: a health check and its data on a declared named volume.
    hc = pg.get("healthcheck")
    c.check(isinstance(hc, dict) and bool(hc.get("test")) and not hc.get("disable"),
            "postgres: has no healthcheck test")
    c.check("pg_isready" in json.dumps((hc or {}).get("test", "")),
            "postgres: the healthcheck does not use pg_isready")
    top_volumes = doc.get("volumes") or {}
    vols = named_volumes(pg)
    c.check(bool(vols), "postgres: keeps its data on no named volume")
    for v in vols:
        c.check(isinstance(top_volumes, dict) and v in top_volumes,
                f"postgres: volume '{v}' is not declared under top-level volumes")

    # migrate: runs `migrate` once.
    c.check(command_words(mig)[:1] == ["migrate"], "migrate: command must be [\"migrate\"]")
    c.check(mig.get("restart", "no") == "no",
            "migrate: restart must be the string \"no\" (quote it: a bare no is a YAML boolean)")

    # gatehouse: serves, publishes 8000, one image with migrate.
    c.check(command_words(gh)[:1] == ["serve"], "gatehouse: command must be [\"serve\"]")
    ports = container_ports(gh)
    c.check("8000" in ports, f"gatehouse: does not publish container port 8000 (found {ports or 'none'})")
    for p in ports:
        c.check(p.isdigit(), f"gatehouse: port entry {p} is not a quoted string or a long-syntax mapping")
    c.check(bool(gh.get("image")) and gh.get("image") == mig.get("image"),
            "gatehouse and migrate: must share one image name")
    c.check(bool(gh.get("build")) and bool(mig.get("build")),
            "gatehouse and migrate: both must have a build section")

    env = environment(gh)
    for var in ("DATABASE_URL", "OIDC_ISSUER", "GATEHOUSE_SECRET_KEY"):
        c.check(var in env, f"gatehouse: environment has no {var}")
    c.check(re.fullmatch(r"\$\{GATEHOUSE_SECRET_KEY:\?[^}]+\}", env.get("GATEHOUSE_SECRET_KEY", "")) is not None,
            "gatehouse: GATEHOUSE_SECRET_KEY must be ${GATEHOUSE_SECRET_KEY:?message} so Compose refuses to start without it")
    c.check("@postgres:" in env.get("DATABASE_URL", "") or "@postgres/" in env.get("DATABASE_URL", ""),
            "gatehouse: DATABASE_URL does not point at the postgres service")
    c.check("DATABASE_URL" in environment(mig), "migrate: environment has no DATABASE_URL")

    check_deployment_defaults(c, doc, services)

    # Every interpolation in every string is well-formed.
    bad = [(where, e) for where, s in strings_in(doc) for e in interpolation_errors(s)]
    for where, e in bad:
        c.check(False, f"{path.name}: {where}: {e}")
    if not bad:
        c.check(True, "")

    check_with_docker_compose(c, path)


def check_with_docker_compose(c: Checker, path: Path) -> None:
    if shutil.which("docker") is None:
        return
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return
    if probe.returncode != 0:
        return
    # --env-file /dev/null: a local .env must not decide the outcome.
    base = ["docker", "compose", "--env-file", os.devnull, "-f", str(path), "config", "-q"]
    dummies = {
        "GATEHOUSE_SECRET_KEY": "dummy-secret-key-for-config-check-0123456789",
        "POSTGRES_PASSWORD": "0123456789abcdef0123456789abcdef0123456789abcdef",
        "OIDC_ISSUER": "https://id.example.com",
    }
    env = dict(os.environ, **dummies)
    run = subprocess.run(base, capture_output=True, text=True, env=env, cwd=path.parent, timeout=120)
    c.check(run.returncode == 0,
            f"docker compose config -q failed:\n{(run.stderr or run.stdout).strip()}")
    for var in REQUIRED_VARIABLES:
        without = {k: v for k, v in env.items() if k != var}
        run = subprocess.run(base, capture_output=True, text=True, env=without, cwd=path.parent, timeout=120)
        c.check(run.returncode != 0, f"docker compose config accepted the file without {var}")


# --------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    out: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment lines inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        word, _, args = current.strip().partition(" ")
        out.append((word.upper(), args.strip()))
        current = ""
    if current.strip():
        word, _, args = current.strip().partition(" ")
        out.append((word.upper(), args.strip()))
    return out


def check_dockerfile(c: Checker, path: Path) -> None:
    try:
        text = path.read_text()
    except OSError as error:
        c.check(False, f"{path.name}: cannot be read: {error}")
        return
    ins = dockerfile_instructions(text)
    froms = [i for i, (w, _) in enumerate(ins) if w == "FROM"]
    c.check(len(froms) >= 2, f"{path.name}: needs a build and a runtime stage (found {len(froms)} FROM)")
    final = ins[froms[-1]:] if froms else ins

    users = [a for w, a in final if w == "USER"]
    user = users[-1].split(":", 1)[0] if users else ""
    c.check(bool(users) and user not in ("root", "0", ""),
            f"{path.name}: the runtime stage must switch to a non-root USER (found {users[-1] if users else 'none'})")

    hcs = [a for w, a in final if w == "HEALTHCHECK"]
    c.check(bool(hcs) and not hcs[-1].upper().startswith("NONE"),
            f"{path.name}: the runtime stage has no HEALTHCHECK")
    c.check(any("/healthz" in a for a in hcs), f"{path.name}: the HEALTHCHECK does not probe /healthz")

    copies_sql = any(w in ("COPY", "ADD") and re.search(r"(^|\s)\.?/?sql/?(\s|$)", a) for w, a in final)
    c.check(copies_sql, f"{path.name}: the runtime stage does not copy sql/")

    exposed = [p.split("/", 1)[0] for w, a in final if w == "EXPOSE" for p in a.split()]
    c.check("8000" in exposed, f"{path.name}: does not EXPOSE 8000")

    c.check(any(w == "ENTRYPOINT" and "gatehouse" in a for w, a in final),
            f"{path.name}: the ENTRYPOINT is not gatehouse")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--compose", type=Path, default=ROOT / "docker-compose.yml")
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "Dockerfile")
    args = parser.parse_args()

    c = Checker()
    check_compose(c, args.compose)
    check_dockerfile(c, args.dockerfile)
    if c.failures:
        for failure in c.failures:
            print(f"FAIL: {failure}")
        print(f"compose and Dockerfile: {len(c.failures)} failed, {c.passed} passed")
        return 1
    print(f"compose and Dockerfile: {c.passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

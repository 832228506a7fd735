#!/usr/bin/env bash
# Creates bench/.venv-peer and installs the peer's pinned packages
# (bench/peer/requirements.txt): django-oidc-provider, Django, gunicorn and
# psycopg2-binary. Idempotent: does nothing when the virtualenv already holds
# exactly these pins. Prints one line with the installed versions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../.venv-peer"
req="$here/requirements.txt"
py=${PYTHON:-python3}

die() { echo "error: $*" >&2; exit 1; }
command -v "$py" >/dev/null 2>&1 || die "$py is not installed"

stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || ! "$venv/bin/python" -c 'import django, oidc_provider, gunicorn, psycopg2' 2>/dev/null; then
  if [ ! -x "$venv/bin/python" ]; then
    if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"
      # Debian's python3 ships venv (ensurepip) separately.
      if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        (apt-get install -y -qq "python$ver-venv" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 \
          && apt-get install -y -qq "python$ver-venv" >/dev/null 2>&1; }) || true
      fi
      "$py" -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv"; die "cannot create a virtualenv with $py -m venv (install python3-venv)"; }
    fi
  fi
  log=$(mktemp)
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" >"$log" 2>&1; then
    tail -20 "$log" >&2; rm -f "$log"
    die "pip could not install bench/peer/requirements.txt into bench/.venv-peer"
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
fi

"$venv/bin/python" - <<'PY' || die "the peer's packages do not import"
import django, gunicorn, psycopg2, sys
from importlib.metadata import version
print("peer: django-oidc-provider %s, Django %s, gunicorn %s, psycopg2-binary %s, Python %s" % (
    version("django-oidc-provider"), django.get_version(), gunicorn.__version__,
    version("psycopg2-binary"), sys.version.split()[0]))
PY

#!/usr/bin/env bash
# `make run` / `make migrate`: build, make sure there is a database, migrate,
# and (for `serve`) create a demo user and client on first run, then serve.
#
# When DATABASE_URL is unset, a local cluster lives under .data/postgres and
# is started on demand and left running for the next run (`make db-stop`).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-serve}

scripts/ensure-deps.sh
swift build
bin="$(swift build --show-bin-path)/gatehouse"

local_cluster=false
if [ -z "${DATABASE_URL:-}" ]; then
  local_cluster=true
  mkdir -p .data
  if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$PWD/.data"; then
    echo "error: the postgres user cannot reach $PWD/.data; clone somewhere it can read, or set DATABASE_URL" >&2
    exit 1
  fi
  # Socket paths must stay short, so the socket lives in /tmp, named after this checkout.
  sock="/tmp/gatehouse-$(id -u)-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)"
  DATABASE_URL=$(scripts/pg-cluster.sh start "$PWD/.data/postgres" "$sock" 5432)
  export DATABASE_URL
  echo "database: $DATABASE_URL (local cluster in .data/postgres; stop it with make db-stop)"
fi

"$bin" migrate

if [ "$mode" = migrate ]; then exit 0; fi

# A stable secret for the local server, kept with its database.
if $local_cluster && [ -z "${GATEHOUSE_SECRET_KEY:-}" ]; then
  if [ ! -f .data/secret-key ]; then (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' >.data/secret-key); fi
  GATEHOUSE_SECRET_KEY=$(cat .data/secret-key)
  export GATEHOUSE_SECRET_KEY
fi

credentials=.data/demo-credentials.txt
if $local_cluster && [ ! -f "$credentials" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  printf '%s\n' "$password" | "$bin" user create --username demo --email demo@example.com \
    --given-name Demo --family-name User --password-stdin >/dev/null
  # A plain-http demo URI on a host other than loopback needs the flag (development only).
  client=$("$bin" client create --name Demo --redirect-uri http://example.org/ --allow-insecure-redirect 2>/dev/null)
  umask 077
  {
    echo "Demo user (local development only):"
    echo "  username: demo"
    echo "  password: $password"
    echo "Demo client (redirect URI http://example.org/):"
    echo "$client" | sed 's/^/  /'
  } >"$credentials"
fi
if $local_cluster && [ -f "$credentials" ]; then cat "$credentials"; fi

echo "serving on http://localhost:${PORT:-8000}"
exec "$bin" serve

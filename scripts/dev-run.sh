#!/usr/bin/env bash
# `make run` / `make migrate`: build, make sure there is a database, migrate,
# and (for `serve`) create a demo user and client on first run, then serve.
#
# When DATABASE_URL is unset, a local cluster (scripts/dev-cluster.sh: under
# .data/postgres, or under /var/lib/gatehouse-dev when the postgres user
# cannot enter the checkout) is started on demand and left running for the
# next run (`make db-stop`).
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
  DATABASE_URL=$(scripts/dev-cluster.sh start)
  export DATABASE_URL
  echo "database: $DATABASE_URL (local cluster in $(scripts/dev-cluster.sh where); stop it with make db-stop)"
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
base="http://localhost:${PORT:-8000}"
if $local_cluster && [ -f "$credentials" ]; then
  cat "$credentials"
  client_id=$(sed -n 's/^ *client_id: //p' "$credentials")
  if [ -n "$client_id" ]; then
    echo "Sign in as the demo user (the code then arrives at http://example.org/?code=...):"
    echo "  $base/authorize?client_id=$client_id&redirect_uri=http%3A%2F%2Fexample.org%2F&response_type=code&scope=openid%20profile%20email&state=demo"
  fi
fi

echo "serving on $base"
exec "$bin" serve

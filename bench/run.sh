#!/usr/bin/env bash
# Endpoint benchmarks: Gatehouse (release build) on a private PostgreSQL with
# production durability (fsync and synchronous_commit on), loaded from the
# same machine with wrk, beside the ceilings that bound it (pgbench select-only
# and one-row INSERT at the same concurrency, RSA-2048 signatures) and
# the peer, django-oidc-provider, under the same workloads (bench/peer/).
# The introspect workload (POST /introspect, RFC 7662) uses the access tokens
# of the userinfo pool, asked about by a resource server (HTTP Basic); the
# peer runs it at its /openid/introspect when that answers a seeded token
# active, and is left out of it otherwise (a note in the report says why).
#
#   make bench-endpoints   (or bench/run.sh)
#
# Environment:
#   CONNECTIONS=32    wrk connections, pgbench clients, sign-in threads
#   DURATION=10       seconds of measured load per workload (and per ceiling)
#   WARMUP=2          seconds of warm-up load before each workload
#   POOL_SIZE=100000  refresh tokens and codes seeded per provider (each works once)
#   BENCH_PEER=0      skip the peer
#   BENCH_WORKLOADS="userinfo client_credentials"  run only these workloads
#                     (all: userinfo introspect client_credentials refresh_token
#                     authorization_code discovery jwks signin)
#   BENCH_SKIP_BUILD=1  use the existing release binary (GATEHOUSE_BIN, default .build/release/gatehouse)
#   BENCH_PORT=8098, BENCH_PEER_PORT=8097
#   BENCH_KEEP=1      keep the temporary directory (server logs, wrk output) for a look afterwards
#
# Prints a Markdown table and the targets, writes them to bench/results/latest.md,
# and exits non-zero when any response was not 2xx (the run is then invalid).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
POOL_SIZE=${POOL_SIZE:-100000}
BENCH_PEER=${BENCH_PEER:-1}
PORT=${BENCH_PORT:-8098}
PEER_PORT=${BENCH_PEER_PORT:-8097}
THREADS=2
ACCESS_POOL=1000
# An idle backend publishes its last second of transaction counts after at
# most 10 s (PostgreSQL 15's PGSTAT_IDLE_INTERVAL); pg_stat_database is read
# only after this many seconds without load on that database.
STATS_SETTLE=11
# shellcheck disable=SC2206 # BENCH_WORKLOADS is a space-separated list
WORKLOADS=(${BENCH_WORKLOADS:-userinfo introspect client_credentials refresh_token authorization_code discovery jwks signin})
wants() { local w; for w in "${WORKLOADS[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }

scripts/ensure-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "error: install wrk" >&2; exit 1; }
for tool in pgbench openssl curl python3 psql; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done
for p in "$PORT" "$PEER_PORT"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/"; then echo "error: port $p is in use (set BENCH_PORT / BENCH_PEER_PORT)" >&2; exit 1; fi
done

built_note="Gatehouse: release build of $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' with local changes')"
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  bin=${GATEHOUSE_BIN:-.build/release/gatehouse}
  built_note="Gatehouse: the existing binary $bin (BENCH_SKIP_BUILD=1; it may be older than the sources)"
  echo "using $bin (BENCH_SKIP_BUILD=1)"
else
  swift build -c release 2>&1 | grep -E "error|warning: unre|Build complete" | tail -5
  bin="$(swift build -c release --show-bin-path)/gatehouse"
fi
[ -x "$bin" ] || { echo "error: $bin not found" >&2; exit 1; }

root=$(mktemp -d /tmp/ghbench.XXXXXX)
chmod 755 "$root"
mkdir -p "$root/gatehouse" "$root/peer" "$root/out"
results="$root/results.jsonl"
: >"$results"
server="" peer_server=""

stop_pid() {  # stops a process we started: TERM, then KILL after 10 s
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  [ -n "$server" ] && stop_pid "$server"
  if [ -n "$peer_server" ]; then
    local workers
    workers=$(ps -o pid= --ppid "$peer_server" 2>/dev/null || true)
    stop_pid "$peer_server"
    for w in $workers; do kill -KILL "$w" 2>/dev/null || true; done
  fi
  scripts/pg-cluster.sh stop "$root/data" || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $root (logs, wrk output, results.jsonl)"; else rm -rf "$root"; fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

note() { printf '{"type":"note","text":%s}\n' "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1")" >>"$results"; echo "note: $1"; }

note "$built_note"

# --- PostgreSQL ---------------------------------------------------------------
pgport=5432
admin_url=$(PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'" \
  scripts/pg-cluster.sh start "$root/data" "$root" "$pgport" --durable)
db_url() { echo "${admin_url/@\/postgres\?/@/$1?}"; }
q() { psql -qAtX -v ON_ERROR_STOP=1 "$admin_url" -c "$1"; }
durability="fsync = $(q "SHOW fsync"), synchronous_commit = $(q "SHOW synchronous_commit")"
echo "$durability"
pg_version=$(q "SHOW server_version")
q "CREATE EXTENSION pg_stat_statements" >/dev/null
for db in gatehouse pgbench; do q "CREATE DATABASE $db" >/dev/null; done
printf '{"type":"meta","date":"%s","nproc":%s,"connections":%s,"threads":%s,"duration":%s,"warmup":%s,"pool_size":%s,"durability":"%s","postgres":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$CONNECTIONS" "$THREADS" "$DURATION" "$WARMUP" "$POOL_SIZE" "$durability" "$pg_version" >>"$results"

xact() { q "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$1'"; }
statements() {  # statements run in database $1 since the last reset, transaction control left out
  q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = '$1' AND s.query !~* '^\s*(begin|commit|rollback|end|abort|start transaction|savepoint|release)\M'"
}

# --- Gatehouse ------------------------------------------------------------------
gh_url=$(db_url gatehouse)
gh_env="$root/gatehouse/client.env"
(
  export DATABASE_URL=$gh_url
  "$bin" migrate >/dev/null
  printf 'bench-password\n' | "$bin" user create --username bench --email bench@example.com \
    --given-name Bench --family-name User --password-stdin >/dev/null
  "$bin" client create --name Bench --redirect-uri https://rp.example/cb --grant-type authorization_code \
    --grant-type refresh_token --grant-type client_credentials --json >"$root/gatehouse/client.json"
  # The caller of the introspect workload: a resource server may introspect
  # every client's tokens. A binary without --resource-server skips it.
  if ! "$bin" client create --name "Bench API" --resource-server --json >"$root/gatehouse/resource_server.json" \
       2>"$root/gatehouse/resource_server.err"; then
    rm -f "$root/gatehouse/resource_server.json"
  fi
)
python3 - "$root/gatehouse/client.json" "$root/gatehouse/resource_server.json" >"$gh_env" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
print(f"CLIENT_ID={c['client_id']}\nCLIENT_SECRET={c['client_secret']}")
print(f"CC_CLIENT_ID={c['client_id']}\nCC_CLIENT_SECRET={c['client_secret']}")
print("REDIRECT_URI=https://rp.example/cb\nUSERNAME=bench\nPASSWORD=bench-password")
print("USERINFO_PATH=/userinfo\nTOKEN_PATH=/token\nDISCOVERY_PATH=/.well-known/openid-configuration")
print("JWKS_PATH=/jwks\nAUTHORIZE_PATH=/authorize")
if os.path.exists(sys.argv[2]):
    rs = json.load(open(sys.argv[2]))
    print(f"RS_CLIENT_ID={rs['client_id']}\nRS_CLIENT_SECRET={rs['client_secret']}\nINTROSPECT_PATH=/introspect")
EOF
bench_client=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["client_id"])' "$root/gatehouse/client.json")
client_pk=$(psql -qAtX "$gh_url" -v id="$bench_client" <<<"SELECT id FROM clients WHERE client_id = :'id'")
user_pk=$(psql -qAtX "$gh_url" -c "SELECT id FROM users")
echo "seeding Gatehouse: $ACCESS_POOL access tokens, $POOL_SIZE refresh tokens, $POOL_SIZE codes (COPY) ..."
python3 bench/seed_pools.py "$root/gatehouse" "$client_pk" "$user_pk" https://rp.example/cb "$ACCESS_POOL" "$POOL_SIZE" "$POOL_SIZE" \
  | psql -qX -v ON_ERROR_STOP=1 "$gh_url" >/dev/null

GATEHOUSE_SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n') DATABASE_URL=$gh_url \
  OIDC_SWEEP_INTERVAL=0 PORT=$PORT "$bin" serve --host 127.0.0.1 >"$root/gatehouse/server.log" 2>&1 &
server=$!
gh_base="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do curl -fs "$gh_base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$gh_base/healthz" >/dev/null || { echo "error: Gatehouse did not start:" >&2; tail -20 "$root/gatehouse/server.log" >&2; exit 1; }

envval() { sed -n "s/^\(export \)\{0,1\}$2=//p" "$1" | tail -1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"; }
basic() { python3 -c 'import base64,sys,urllib.parse as u; print("Basic " + base64.b64encode((u.quote(sys.argv[1], safe="") + ":" + u.quote(sys.argv[2], safe="")).encode()).decode())' "$1" "$2"; }

# The pools and settings of each provider: base URL, env file, pool dir, database.
declare -A BASE ENVF POOLS DBNAME
BASE[gatehouse]=$gh_base ENVF[gatehouse]=$gh_env POOLS[gatehouse]=$root/gatehouse DBNAME[gatehouse]=gatehouse

check_provider() {  # one request per read-only workload, before any load
  local prov=$1 envf=${ENVF[$1]} base=${BASE[$1]} token status
  token=$(head -1 "${POOLS[$prov]}/access_tokens.txt")
  for path in "$(envval "$envf" DISCOVERY_PATH)" "$(envval "$envf" JWKS_PATH)"; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
    [ "$status" = 200 ] || { echo "$prov: GET $path answered $status" >&2; return 1; }
  done
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base$(envval "$envf" USERINFO_PATH)")
  [ "$status" = 200 ] || { echo "$prov: userinfo with a seeded token answered $status" >&2; return 1; }
}
check_provider gatehouse || exit 1

# introspect: one introspection of a seeded access token by the provider's
# resource server must answer 200 and active, before any load (an inactive
# answer is a 200 too, so wrk's count of non-2xx would not tell).
declare -A INTROSPECT_ON
check_introspect() {  # prints what is wrong, if anything
  local prov=$1 envf=${ENVF[$1]} base=${BASE[$1]} path id token answer status body
  path=$(envval "$envf" INTROSPECT_PATH) id=$(envval "$envf" RS_CLIENT_ID)
  if [ -z "$path" ] || [ -z "$id" ]; then echo "no introspection endpoint or resource server in $envf"; return 1; fi
  token=$(head -1 "${POOLS[$prov]}/access_tokens.txt")
  answer=$(curl -s --max-time 10 -w '\n%{http_code}' -H "Authorization: $(basic "$id" "$(envval "$envf" RS_CLIENT_SECRET)")" \
    --data-urlencode "token=$token" --data "token_type_hint=access_token" "$base$path" || true)
  status=${answer##*$'\n'} body=${answer%$'\n'*}
  if [ "$status" != 200 ] || ! python3 -c 'import json, sys; sys.exit(json.loads(sys.argv[1]).get("active") is not True)' \
       "$body" 2>/dev/null; then
    echo "introspection of a seeded access token at $path answered $status ${body:0:200}"
    return 1
  fi
}
if wants introspect; then
  if [ ! -s "$root/gatehouse/resource_server.json" ]; then
    note "introspect skipped: $bin could not create a resource server ($(tail -1 "$root/gatehouse/resource_server.err" 2>/dev/null))"
  elif problem=$(check_introspect gatehouse); then
    INTROSPECT_ON[gatehouse]=1
  else
    echo "gatehouse: $problem" >&2; exit 1
  fi
fi

# --- The peer: django-oidc-provider ---------------------------------------------------
peer_on=0
if [ "$BENCH_PEER" = 0 ]; then
  note "peer skipped (BENCH_PEER=0)"
else
  missing=""
  for f in setup.sh prepare.sh serve.sh flow.py; do [ -f "bench/peer/$f" ] || missing="$missing bench/peer/$f"; done
  if [ -n "$missing" ]; then
    note "peer skipped: missing$missing"
  else
    echo "preparing the peer (django-oidc-provider) ..."
    peer_url=$(db_url peer)
    q "CREATE DATABASE peer" >/dev/null
    if ! bench/peer/setup.sh >"$root/peer/setup.log" 2>&1; then
      tail -20 "$root/peer/setup.log" >&2; note "peer skipped: bench/peer/setup.sh failed"
    elif note "$(grep '^peer: ' "$root/peer/setup.log" | tail -1 || echo 'peer: versions unknown')" && \
         ! POOL_SIZE=$POOL_SIZE bench/peer/prepare.sh "$peer_url" "$root/peer" >"$root/peer/prepare.log" 2>&1; then
      tail -20 "$root/peer/prepare.log" >&2; note "peer skipped: bench/peer/prepare.sh failed"
    else
      bench/peer/serve.sh "$peer_url" "$PEER_PORT" >"$root/peer/server.log" 2>&1 &
      peer_server=$!
      BASE[peer]="http://127.0.0.1:$PEER_PORT" ENVF[peer]=$root/peer/client.env POOLS[peer]=$root/peer DBNAME[peer]=peer
      disc=$(envval "${ENVF[peer]}" DISCOVERY_PATH)
      for _ in $(seq 1 600); do curl -fs -o /dev/null "${BASE[peer]}$disc" && break; sleep 0.1; done
      if check_provider peer; then
        peer_on=1
      else
        tail -20 "$root/peer/server.log" >&2; note "peer skipped: it did not answer as expected"
      fi
    fi
  fi
fi
# The peer's introspection (django-oidc-provider's /openid/introspect) answers
# a client whose scope holds `token_introspection` and, with its default
# OIDC_INTROSPECTION_VALIDATE_AUDIENCE_SCOPE, the client_id the token was
# issued to; any other caller gets {"active": false}. Such a client is added
# here with bench/peer/seed.py's own helper, and its settings to client.env.
peer_introspector() {  # DATABASE_URL ENV_FILE
  (
    . bench/peer/lib.sh
    export PEER_DATABASE_URL=$1
    "$peer_venv/bin/python" - "$2" <<'EOF'
import sys
import seed  # bench/peer/seed.py: sets Django up; client() creates or updates a confidential client
from django.urls import reverse
rs = seed.client("bench-introspector", "Bench resource server", ["token_introspection", seed.CLIENT_ID], [], [])
with open(sys.argv[1], "a") as env:
    env.write(f"RS_CLIENT_ID={rs.client_id}\nRS_CLIENT_SECRET={rs.client_secret}\n"
              f"INTROSPECT_PATH={reverse('oidc_provider:token-introspection').rstrip('/')}\n")
EOF
  )
}
if [ "$peer_on" = 1 ] && wants introspect && [ -n "${INTROSPECT_ON[gatehouse]:-}" ]; then
  if ! peer_introspector "$peer_url" "${ENVF[peer]}" >"$root/peer/introspector.log" 2>&1; then
    note "introspect not run against the peer: adding its introspection client failed ($(tail -1 "$root/peer/introspector.log"))"
  elif problem=$(check_introspect peer); then
    INTROSPECT_ON[peer]=1
  else
    note "introspect not run against the peer: $problem"
  fi
fi

# --- Ceilings -----------------------------------------------------------------
ceiling() { printf '{"type":"ceiling","name":"%s","rate":%s,"detail":"%s"}\n' "$1" "$2" "$3" >>"$results"; echo "ceiling $1: $2/s ($3)"; }
pgbench_tps() { sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | tail -1; }
pb_url=$(db_url pgbench)
echo "ceilings: pgbench -i -s 10 ..."
pgbench -i -s 10 -q "$pb_url" >"$root/out/pgbench-init.txt" 2>&1
psql -qX -v ON_ERROR_STOP=1 "$pb_url" -c "CREATE TABLE one_row_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  v bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())" >/dev/null
printf '\\set v random(1, 1000000000)\nINSERT INTO one_row_insert (v) VALUES (:v);\n' >"$root/insert.sql"
pgbench -S -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" "$pb_url" >"$root/out/pgbench-select.txt" 2>&1
ceiling pgbench_select "$(pgbench_tps "$root/out/pgbench-select.txt")" "pgbench -S -M prepared -c $CONNECTIONS -j $THREADS"
pgbench -n -M prepared -f "$root/insert.sql" -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" "$pb_url" >"$root/out/pgbench-insert.txt" 2>&1
ceiling pgbench_insert "$(pgbench_tps "$root/out/pgbench-insert.txt")" "one-row INSERT, pgbench -M prepared -c $CONNECTIONS -j $THREADS"
# What Postgres alone does with a client_credentials grant's own statements
# (as Gatehouse sends them: one transaction, a client lookup and the
# grant-plus-token insert), on Gatehouse's schema in the pgbench database.
DATABASE_URL=$pb_url "$bin" migrate >/dev/null
DATABASE_URL=$pb_url "$bin" client create --name Ceiling --redirect-uri https://rp.example/cb \
  --grant-type client_credentials >/dev/null 2>&1
cc_client=$(psql -qAtX "$pb_url" -c "SELECT client_id FROM clients LIMIT 1")
cat >"$root/cc.sql" <<SQL
BEGIN;
SELECT * FROM clients WHERE client_id = '$cc_client';
WITH g AS (INSERT INTO grants (client_id, user_id, scopes, created_at, expires_at)
           SELECT id, NULL, '{}', now(), now() + interval '1 hour' FROM clients WHERE client_id = '$cc_client' RETURNING id)
INSERT INTO access_tokens (token_digest, grant_id, scopes, created_at, expires_at)
SELECT sha256(convert_to(gen_random_uuid()::text, 'UTF8')), g.id, '{}', now(), now() + interval '1 hour' FROM g;
COMMIT;
SQL
pgbench -n -M prepared -f "$root/cc.sql" -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" "$pb_url" >"$root/out/pgbench-cc.txt" 2>&1
ceiling cc_sql "$(pgbench_tps "$root/out/pgbench-cc.txt")" "client_credentials' statements, pgbench -M prepared -c $CONNECTIONS -j $THREADS"
rsa=$(openssl speed -seconds 3 -multi "$(nproc)" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}')
ceiling rsa2048_sign "$rsa" "openssl speed -multi $(nproc) rsa2048"

# --- Workloads --------------------------------------------------------------------
declare -A OFFSET
last_json=""
load() {  # load PROVIDER WORKLOAD PHASE SECONDS: one wrk (or sign-in) run, its JSON line recorded
  local prov=$1 wl=$2 phase=$3 secs=$4 envf=${ENVF[$1]} base=${BASE[$1]} pools=${POOLS[$1]}
  local out="$root/out/$prov-$wl-$phase.txt" script="" pool="" auth="" path=""
  case "$wl" in
    userinfo) script=userinfo.lua path=$(envval "$envf" USERINFO_PATH) pool=access_tokens.txt ;;
    introspect) script=introspect.lua path=$(envval "$envf" INTROSPECT_PATH) pool=access_tokens.txt
      auth=$(basic "$(envval "$envf" RS_CLIENT_ID)" "$(envval "$envf" RS_CLIENT_SECRET)") ;;
    client_credentials) script=token_client_credentials.lua path=$(envval "$envf" TOKEN_PATH)
      auth=$(basic "$(envval "$envf" CC_CLIENT_ID)" "$(envval "$envf" CC_CLIENT_SECRET)") ;;
    refresh_token) script=token_refresh.lua path=$(envval "$envf" TOKEN_PATH) pool=refresh_tokens.txt
      auth=$(basic "$(envval "$envf" CLIENT_ID)" "$(envval "$envf" CLIENT_SECRET)") ;;
    authorization_code) script=token_code.lua path=$(envval "$envf" TOKEN_PATH) pool=codes.txt
      auth=$(basic "$(envval "$envf" CLIENT_ID)" "$(envval "$envf" CLIENT_SECRET)") ;;
    discovery) script=get.lua path=$(envval "$envf" DISCOVERY_PATH) ;;
    jwks) script=get.lua path=$(envval "$envf" JWKS_PATH) ;;
  esac
  if [ "$wl" = signin ]; then
    python3 bench/signin_load.py --base "$base" --threads "$CONNECTIONS" --duration "$secs" --flow "$prov" \
      --env "$envf" >"$out" 2>&1 || true
  else
    local key="$prov/$pool"
    BENCH_WRK_DIR="$PWD/bench/wrk" BENCH_PATH=$path BENCH_THREADS=$THREADS BENCH_AUTH=$auth \
      BENCH_POOL=${pool:+$pools/$pool} BENCH_OFFSET=${OFFSET[$key]:-0} \
      BENCH_SCOPE=$([ "$wl" = client_credentials ] && envval "$envf" CC_SCOPE) \
      BENCH_REDIRECT_URI=$(envval "$envf" REDIRECT_URI) \
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout 10s -s "bench/wrk/$script" "$base" >"$out" 2>&1 || true
    if [ -n "$pool" ]; then
      OFFSET[$key]=$(sed -n 's/^BENCH_JSON .*"pool_next":\([0-9]*\).*/\1/p' "$out")
    fi
  fi
  last_json=$(sed -n 's/^BENCH_JSON //p' "$out" | tail -1)
  if [ -z "$last_json" ]; then
    echo "error: $prov $wl $phase produced no result:" >&2; tail -20 "$out" >&2
    last_json='{"requests":0,"duration_s":0,"non2xx":0,"connect_errors":0,"read_errors":0,"write_errors":0,"timeouts":0,"p50_ms":0,"p99_ms":0,"failed":true}'
  fi
  printf '{"type":"load","provider":"%s","workload":"%s","phase":"%s","result":%s}\n' "$prov" "$wl" "$phase" "$last_json" >>"$results"
}
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
requests_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$1"; }

# Requests Gatehouse completed on a route, from its /metrics: exact, where
# wrk's count leaves out the requests still in flight when it stops.
declare -A ROUTE=([userinfo]=/userinfo [introspect]=/introspect [client_credentials]=/token [refresh_token]=/token
  [authorization_code]=/token [discovery]=/.well-known/openid-configuration [jwks]=/jwks)
served() {
  { curl -fs "$gh_base/metrics" || true; } | awk -v route="http_route=\"$1\"" '
    /^http_server_request_duration_count\{/ && index($0, route) { n += $NF } END { printf "%d\n", n }'
}
# Introspections Gatehouse answered {"active":false}, from its /metrics: every
# seeded token is live, so any is a failed request that was still a 200.
inactive() {
  { curl -fs "$gh_base/metrics" || true; } | awk '
    /^gatehouse_introspections_total\{/ && index($0, "active=\"false\"") { n += $NF } END { printf "%d\n", n }'
}

# Per provider: the transaction count read later (see STATS_SETTLE).
declare -A PEND_X0 PEND_REQ PEND_WL PEND_END
workload() {  # warm-up and measured run of one workload, queries counted over both
  local prov=$1 wl=$2 db=${DBNAME[$1]} x0 total m0="" i0="" dead
  q "SELECT pg_stat_statements_reset()" >/dev/null
  x0=$(xact "$db")
  [ "$prov" = gatehouse ] && [ -n "${ROUTE[$wl]:-}" ] && m0=$(served "${ROUTE[$wl]}")
  [ "$prov" = gatehouse ] && [ "$wl" = introspect ] && i0=$(inactive)
  load "$prov" "$wl" warmup "$WARMUP"
  total=$(requests_of "$last_json")
  load "$prov" "$wl" run "$DURATION"
  total=$(( total + $(requests_of "$last_json") ))
  sleep 1  # requests in flight when the load stopped finish
  [ -n "$m0" ] && total=$(( $(served "${ROUTE[$wl]}") - m0 ))
  if [ -n "$i0" ]; then
    dead=$(( $(inactive) - i0 ))
    [ "$dead" -gt 0 ] && printf '{"type":"problem","text":"gatehouse introspect: %s introspections answered active false"}\n' "$dead" >>"$results"
  fi
  printf '{"type":"statements","provider":"%s","workload":"%s","statements":%s,"requests":%s,"hwm_kb":%s}\n' \
    "$prov" "$wl" "$(statements "$db")" "$total" "$([ "$prov" = gatehouse ] && hwm "$server" || echo null)" >>"$results"
  python3 -c 'import json,sys; r=json.loads(sys.argv[3]); print("%-9s %-18s %9.1f/s  p50 %.2f ms  p99 %.2f ms  non-2xx %d" % (sys.argv[1], sys.argv[2], r["requests"] / max(r["duration_s"], 1e-9), r["p50_ms"], r["p99_ms"], r["non2xx"]))' "$prov" "$wl" "$last_json"
  PEND_X0[$prov]=$x0 PEND_REQ[$prov]=$total PEND_WL[$prov]=$wl PEND_END[$prov]=$(date +%s)
}
settle() {  # reads the pending transaction count of a provider once its database has been idle long enough
  local prov=$1
  [ -n "${PEND_WL[$prov]:-}" ] || return 0
  local wait=$(( PEND_END[$prov] + STATS_SETTLE - $(date +%s) ))
  [ "$wait" -gt 0 ] && sleep "$wait"
  printf '{"type":"transactions","provider":"%s","workload":"%s","transactions":%s,"requests":%s}\n' \
    "$prov" "${PEND_WL[$prov]}" "$(( $(xact "${DBNAME[$prov]}") - PEND_X0[$prov] ))" "${PEND_REQ[$prov]}" >>"$results"
  PEND_WL[$prov]=""
}

echo "workloads: ${WORKLOADS[*]} (${WARMUP}s warm-up + ${DURATION}s each, $CONNECTIONS connections, wrk -t$THREADS)"
alive() {  # records a problem when a server we started has exited
  kill -0 "$2" 2>/dev/null && return 0
  printf '{"type":"problem","text":"the %s server exited during %s"}\n' "$1" "$3" >>"$results"
  echo "error: the $1 server exited during $3" >&2
  return 1
}
for wl in "${WORKLOADS[@]}"; do
  # introspect runs where check_introspect passed (the peer only beside Gatehouse).
  [ "$wl" = introspect ] && [ -z "${INTROSPECT_ON[gatehouse]:-}" ] && continue
  workload gatehouse "$wl"
  alive Gatehouse "$server" "$wl" || break
  if [ "$peer_on" = 1 ] && { [ "$wl" != introspect ] || [ -n "${INTROSPECT_ON[peer]:-}" ]; }; then
    settle peer
    workload peer "$wl"
    alive peer "$peer_server" "$wl" || { peer_on=0; peer_server=""; }
  fi
  settle gatehouse
done
settle peer

# --- Peak memory ----------------------------------------------------------------
printf '{"type":"rss","provider":"gatehouse","kb":%s,"what":"VmHWM of the server process"}\n' "$(hwm "$server")" >>"$results"
if [ -n "$peer_server" ]; then
  total=$(hwm "$peer_server")
  for w in $(ps -o pid= --ppid "$peer_server"); do total=$(( total + $(hwm "$w") )); done
  printf '{"type":"rss","provider":"peer","kb":%s,"what":"sum of VmHWM over the gunicorn master and its workers"}\n' "$total" >>"$results"
fi

# Gatehouse's own account of what it answered with an error, by route and status.
python3 - "$root/gatehouse/server.log" <<'EOF' >>"$results"
import collections, json, re, sys
seen = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    status = re.search(r'\bstatus[=:]\s*"?(\d{3})', line)
    if status and int(status.group(1)) >= 400:
        route = re.search(r'\b(?:route|path)[=:]\s*"?([^\s",]+)', line)
        seen[(route.group(1) if route else "?", status.group(1))] += 1
    elif re.search(r'\b(error|critical)\b', line, re.I) and "status" not in line:
        seen[("log", line.strip()[:160])] += 1
for (route, what), count in seen.most_common(20):
    print(json.dumps({"type": "server_error", "provider": "gatehouse", "route": route, "status": what, "count": count}))
EOF

mkdir -p bench/results
python3 bench/report.py "$results" bench/results/latest.md

#!/usr/bin/env bash
# Sweep benchmark: 1,000,000 expired and 1,000,000 live access tokens (each
# with its grant) on a Postgres with production durability, one pass, and
# /userinfo latency under steady load before and during the pass.
#
#   make bench-sweep            (EXPIRED=… LIVE=… to change the sizes,
#                                SWEEP_ARGS="--batch-size 1000" to try other batches)
set -euo pipefail
cd "$(dirname "$0")/.."
EXPIRED=${EXPIRED:-1000000}
LIVE=${LIVE:-1000000}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}

scripts/ensure-deps.sh
command -v wrk >/dev/null || { [ "$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "error: install wrk" >&2; exit 1; }
swift build -c release 2>&1 | grep -E "error|Compiling|Build complete" | tail -3
bin="$(swift build -c release --show-bin-path)/gatehouse"

root=$(mktemp -d /tmp/ghbench.XXXXXX)
chmod 755 "$root"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  scripts/pg-cluster.sh stop "$root/data" || true
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

# Production durability: fsync and synchronous_commit stay on.
export DATABASE_URL
DATABASE_URL=$(scripts/pg-cluster.sh start "$root/data" "$root" 5432 --durable)
psql -qAt "$DATABASE_URL" -c "SHOW fsync" -c "SHOW synchronous_commit" | paste -sd' ' | sed 's/^/fsync, synchronous_commit: /'
"$bin" migrate >/dev/null
printf 'bench-password\n' | "$bin" user create --username bench --password-stdin >/dev/null
"$bin" client create --name Bench --redirect-uri https://rp.example/cb >/dev/null
client_id=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM clients LIMIT 1")
user_id=$(psql -qAt "$DATABASE_URL" -c "SELECT id FROM users LIMIT 1")

echo "seeding $EXPIRED expired and $LIVE live access tokens with their grants (COPY) ..."
t0=$(date +%s)
python3 bench/seed_tokens.py grants "$EXPIRED" "$LIVE" "$client_id" "$user_id" \
  | psql -q "$DATABASE_URL" -c "COPY grants (client_id, user_id, scopes, expires_at) FROM STDIN"
python3 bench/seed_tokens.py tokens "$EXPIRED" "$LIVE" \
  | psql -q "$DATABASE_URL" -c "COPY access_tokens (token_digest, grant_id, scopes, expires_at) FROM STDIN"
psql -q "$DATABASE_URL" -c "VACUUM ANALYZE grants" -c "VACUUM ANALYZE access_tokens"
echo "seeded in $(( $(date +%s) - t0 )) s"

export GATEHOUSE_SECRET_KEY
GATEHOUSE_SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
OIDC_SWEEP_INTERVAL=0 PORT=8099 "$bin" serve --host 127.0.0.1 >"$root/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:8099/healthz >/dev/null 2>&1 && break; sleep 0.1; done

live_token="tok-$(( EXPIRED + 1 ))"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $live_token" http://127.0.0.1:8099/userinfo)
[ "$status" = 200 ] || { echo "error: /userinfo answered $status for a live token" >&2; exit 1; }

load() {
  wrk -t2 -c"$CONNECTIONS" -d"$1"s --latency -H "Authorization: Bearer $live_token" http://127.0.0.1:8099/userinfo
}
summary() {
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
       END {printf "requests/s %s  p50 %s  p99 %s  non-2xx %s\n", rps, p50, p99, (bad==""?0:bad)}'
}

echo "steady load without a sweep (${DURATION}s, $CONNECTIONS connections):"
load "$DURATION" | tee "$root/before.txt" | summary

echo "one sweep pass under the same load:"
# shellcheck disable=SC2086 # SWEEP_ARGS is a list of flags
"$bin" sweep ${SWEEP_ARGS:-} >"$root/sweep.txt" &
sweeper=$!
sleep 1
load "$DURATION" | tee "$root/during.txt" | summary
wait "$sweeper"
cat "$root/sweep.txt"
seconds=$(awk '/^total/ {print $(NF-1)}' "$root/sweep.txt")
deleted=$(awk '/^total/ {print $3}' "$root/sweep.txt")
echo "deleted rows per second: $(python3 -c "print(round($deleted / $seconds))")"

left_live=$(psql -qAt "$DATABASE_URL" -c "SELECT count(*) FROM access_tokens WHERE expires_at > now()")
left_dead=$(psql -qAt "$DATABASE_URL" -c "SELECT count(*) FROM access_tokens WHERE expires_at <= now()")
echo "live access tokens left: $left_live of $LIVE; expired left: $left_dead"
[ "$left_live" = "$LIVE" ] || { echo "error: live rows were deleted" >&2; exit 1; }

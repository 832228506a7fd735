#!/usr/bin/env bash
# A private PostgreSQL cluster that listens only on a Unix socket.
#
#   pg-cluster.sh start DATA_DIR SOCKET_DIR PORT [--durable]   # prints a DATABASE_URL
#   pg-cluster.sh stop  DATA_DIR
#
# initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` system user (created when missing). Without --durable the cluster
# trades crash safety for speed (fsync off), which is what tests want.
# PG_EXTRA_CONF (optional): lines appended to postgresql.conf before the
# server starts, each only once (e.g. "shared_preload_libraries = 'pg_stat_statements'").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/pg-bin.sh
. "$here/pg-bin.sh"
bin=$(pg_bin_dir) || { echo "error: PostgreSQL server binaries not found (run scripts/ensure-deps.sh)" >&2; exit 1; }

as_owner() {
  # From /: the postgres user may not be allowed into the caller's directory.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

cmd=${1:?usage: pg-cluster.sh start|stop DATA_DIR ...}
data=$(realpath -m "${2:?data directory}")  # absolute: the server runs from /

case "$cmd" in
start)
  # Close descriptors inherited beyond stdio: the server started below would
  # hold them for its whole life, and a caller waiting on one of them (a pipe,
  # a process-exit notifier) would wait forever. 255 is bash's own script fd.
  for fd in /proc/$$/fd/*; do
    n=${fd##*/}
    if [ "$n" -gt 2 ] && [ "$n" -ne 255 ]; then eval "exec $n>&-" 2>/dev/null || true; fi
  done
  sock=${3:?socket directory}
  port=${4:?port}
  durable=${5:-}
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home postgres
  fi
  mkdir -p "$data" "$sock"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$data" "$sock"
  chmod 700 "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$data.initdb.log" 2>&1 \
      || { cat "$data.initdb.log" >&2; exit 1; }
  fi
  if [ -n "${PG_EXTRA_CONF:-}" ]; then
    while IFS= read -r line; do
      [ -z "$line" ] && continue
      grep -qxF -- "$line" "$data/postgresql.conf" || printf '%s\n' "$line" >>"$data/postgresql.conf"
    done <<<"$PG_EXTRA_CONF"
  fi
  # Every test suite runs at once, each with its own database and pool.
  opts="-c listen_addresses='' -k $sock -p $port -c max_connections=800"
  if [ "$durable" != "--durable" ]; then
    opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -o "$opts" -w -t 60 start >/dev/null \
      || { cat "$data/server.log" >&2; exit 1; }
  fi
  echo "postgresql://postgres@/postgres?host=$sock&port=$port"
  ;;
stop)
  if [ -f "$data/PG_VERSION" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: pg-cluster.sh start|stop DATA_DIR ..." >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a throwaway PostgreSQL cluster,
# and removes the cluster afterwards, whether the command passed or failed.
#
#   scripts/with-test-postgres.sh swift test
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/ensure-deps.sh"

# A short path: a Unix socket path must fit in ~100 bytes.
root=$(mktemp -d /tmp/ghpg.XXXXXX)
chmod 755 "$root"
cleanup() {
  "$here/pg-cluster.sh" stop "$root/data" || true
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

# The port only names the socket file; nothing listens on TCP.
export DATABASE_URL
DATABASE_URL=$("$here/pg-cluster.sh" start "$root/data" "$root" 5432)
echo "test database: $DATABASE_URL" >&2
"$@"

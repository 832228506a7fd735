#!/usr/bin/env bash
# Prepares the peer's database and the load pools.
#
#   POOL_SIZE=50000 bench/peer/prepare.sh DATABASE_URL OUT_DIR
#
# DATABASE_URL names an existing database for the peer alone (a libpq URI or
# key=value string). Runs Django's migrations, creates the RSA signing key,
# the user `bench`, a confidential authorization-code client and a
# confidential client_credentials client, then bulk-inserts POOL_SIZE access
# tokens, refresh tokens and authorization codes (ORM bulk_create, no HTTP).
# Writes OUT_DIR/client.env, access_tokens.txt, refresh_tokens.txt, codes.txt.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: prepare.sh DATABASE_URL OUT_DIR" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
export PEER_DATABASE_URL=$1
out=$2
mkdir -p "$out"
"$peer_venv/bin/python" -m django migrate --noinput -v 0 || { echo "error: migrations failed" >&2; exit 1; }
"$peer_venv/bin/python" "$peer_dir/seed.py" "$out" "${POOL_SIZE:-50000}" || { echo "error: seeding failed" >&2; exit 1; }

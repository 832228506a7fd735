#!/usr/bin/env bash
# Serves the peer on 127.0.0.1:PORT (foreground; exec's gunicorn).
#
#   bench/peer/serve.sh DATABASE_URL PORT
#
# 2 x cores + 1 workers, gunicorn's own sizing advice. Sync workers: Django's
# ORM and psycopg2 block, so an async worker class (gevent, eventlet) would
# need psycopg2 patched for green threads, which django-oidc-provider's
# documentation does not ask for; sync is gunicorn's default and what a
# Django deployment behind a reverse proxy runs. A sync worker answers one
# request at a time and closes the connection after each response.
# No access log; errors go to stderr.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: serve.sh DATABASE_URL PORT" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
export PEER_DATABASE_URL=$1
port=$2
export PEER_SITE_URL="http://127.0.0.1:$port"
# One key for every worker of this server (sessions and CSRF tokens).
PEER_SECRET_KEY=$("$peer_venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
export PEER_SECRET_KEY
workers=$(( 2 * $(nproc) + 1 ))
cd "$peer_dir"
exec "$peer_venv/bin/gunicorn" peersite.wsgi:application \
  --bind "127.0.0.1:$port" \
  --workers "$workers" \
  --worker-class sync \
  --worker-tmp-dir /dev/shm \
  --backlog 2048 \
  --timeout 60 \
  --error-logfile - \
  --log-level warning \
  --no-control-socket

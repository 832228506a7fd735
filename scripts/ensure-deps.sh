#!/usr/bin/env bash
# Installs what building and testing need when it is missing: the PostgreSQL
# server (initdb, pg_ctl) and libpq's headers. Needs root only when something
# is missing; otherwise it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/pg-bin.sh
. "$here/pg-bin.sh"

missing=()
pg_bin_dir >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev pkg-config)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
  exit 1
fi
echo "installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

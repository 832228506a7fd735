#!/usr/bin/env bash
# The local PostgreSQL cluster of `make run`, kept between runs.
#
#   dev-cluster.sh start   # prints a DATABASE_URL
#   dev-cluster.sh stop
#   dev-cluster.sh where   # prints the data directory
#
# It lives in .data/postgres inside the checkout. As root, the cluster runs as
# the `postgres` user, which cannot enter a checkout under a mode-700
# directory such as /root; then it lives in /var/lib/gatehouse-dev/<checkout
# checksum>/postgres instead, and says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
id=$(printf '%s' "$root" | cksum | cut -d' ' -f1)

data_dir() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home postgres
    if ! runuser -u postgres -- test -x "$root/.data"; then
      mkdir -p -m 755 /var/lib/gatehouse-dev
      echo "/var/lib/gatehouse-dev/$id/postgres"
      return
    fi
  fi
  echo "$root/.data/postgres"
}

mkdir -p "$root/.data"
data=$(data_dir)
case "${1:?usage: dev-cluster.sh start|stop|where}" in
start)
  mkdir -p "$(dirname "$data")"
  # Socket paths must stay short, so the socket lives in /tmp, named after this checkout.
  url=$("$here/pg-cluster.sh" start "$data" "/tmp/gatehouse-$(id -u)-$id" 5432)
  [ "$data" = "$root/.data/postgres" ] || echo "note: the postgres user cannot enter $root, so the local cluster lives in $data" >&2
  echo "$url"
  ;;
stop) "$here/pg-cluster.sh" stop "$data" ;;
where) echo "$data" ;;
*) echo "usage: dev-cluster.sh start|stop|where" >&2; exit 2 ;;
esac

# Sourced by prepare.sh and serve.sh: the virtualenv and the Django environment.
peer_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer_venv="$peer_dir/../.venv-peer"
if [ ! -x "$peer_venv/bin/python" ] || ! "$peer_venv/bin/python" -c 'import django, oidc_provider' 2>/dev/null; then
  "$peer_dir/setup.sh" >&2 || exit 1
fi
export PYTHONPATH="$peer_dir${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=peersite.settings
export PYTHONDONTWRITEBYTECODE=1

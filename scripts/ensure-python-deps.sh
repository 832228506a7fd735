#!/usr/bin/env bash
# The Python checks the tests run need three packages from PyPI: joserfc (the
# walk-through test verifies ID tokens with this independent JOSE library),
# hypothesis (Tests/System/fuzz_endpoints.py generates its requests with it)
# and Authlib (Tests/System/check_response_types.py runs a real relying party
# with it). Install whichever is missing.
set -euo pipefail
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is required by the tests" >&2; exit 1; }
missing=()
# PyPI name:import name.
for entry in joserfc:joserfc hypothesis:hypothesis Authlib:authlib; do
  python3 -c "import ${entry#*:}" 2>/dev/null || missing+=("${entry%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} ..." >&2
python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${missing[@]}"

#!/usr/bin/env bash
# The Python checks the tests run need two packages from PyPI: joserfc (the
# walk-through test verifies ID tokens with this independent JOSE library)
# and hypothesis (Tests/System/fuzz_endpoints.py generates its requests with it).
# Install whichever is missing.
set -euo pipefail
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is required by the tests" >&2; exit 1; }
missing=()
for package in joserfc hypothesis; do
  python3 -c "import $package" 2>/dev/null || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} ..." >&2
python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}" \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${missing[@]}"

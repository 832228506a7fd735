#!/usr/bin/env bash
# The walk-through test verifies ID tokens with an independent JOSE library
# (joserfc, from PyPI). Install it when it is missing.
set -euo pipefail
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is required by the tests" >&2; exit 1; }
python3 -c 'import joserfc' 2>/dev/null && exit 0
echo "installing joserfc ..." >&2
python3 -m pip install --quiet --disable-pip-version-check joserfc \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages joserfc

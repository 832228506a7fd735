#!/usr/bin/env bash
# Tests/System/check_form_post_browser.py drives a real browser: Debian's
# chromium and chromium-driver (chromedriver), through Selenium from PyPI.
# Install whichever is missing; with everything present, do nothing.
set -euo pipefail
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is required by the tests" >&2; exit 1; }

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "error: missing ${packages[*]}; install them (apt-get install ${packages[*]}) or run as root" >&2
    exit 1
  fi
  echo "installing ${packages[*]} ..." >&2
  install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}")
  # The package lists are refreshed only when the install fails without it (none yet, or stale ones).
  if ! as_root "${install[@]}" >/dev/null; then
    echo "apt-get install failed; running apt-get update and trying again ..." >&2
    as_root apt-get update -qq >/dev/null
    as_root "${install[@]}" >/dev/null
  fi
fi

if ! python3 -c "import selenium" 2>/dev/null; then
  echo "installing selenium ..." >&2
  python3 -m pip install --quiet --disable-pip-version-check selenium \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages selenium
fi

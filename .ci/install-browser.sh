#!/usr/bin/env bash
# Installs what tests/test_browser.py needs: Debian's chromium and the
# Playwright Python package.  Safe to run repeatedly.  Never runs
# `playwright install`: that downloads its own browsers from a CDN, which CI
# and offline machines cannot reach; the tests drive /usr/bin/chromium instead.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
fi

PYTHON="${PYTHON:-python}"
if ! "$PYTHON" -c "import playwright" 2>/dev/null; then
    "$PYTHON" -m pip install "playwright>=1.40"
fi

#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install patrol into it; idempotent.
# Usage: scripts/setup.sh [dev]   (dev adds the test tools and headless Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  if ! command -v chromium >/dev/null 2>&1; then
    # The browser test drives Debian's Chromium (no browser download at run time).
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing Debian's chromium for the browser test..." >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
      echo "warning: chromium not found and cannot be installed here; the browser test will fail" >&2
    fi
  fi
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    # The ledger's PostgreSQL tests start a throwaway cluster from Debian's server binaries (no Docker).
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing Debian's postgresql for the ledger tests..." >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      echo "warning: PostgreSQL server binaries not found and cannot be installed here; the ledger PostgreSQL tests will fail" >&2
    fi
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi

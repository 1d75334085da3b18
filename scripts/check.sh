#!/usr/bin/env bash
# The one check command: set up, lint (ruff), types (mypy), tests (pytest).
# CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy pipeline agents geo simulators thermal console drill
echo "== pytest"
.venv/bin/pytest -q "$@"

#!/usr/bin/env bash
# The one check command: set up, lint (ruff), import layers (lint-imports), types (mypy), tests (pytest).
# CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
echo "== ruff"
.venv/bin/ruff check .
echo "== import layers"
.venv/bin/lint-imports
echo "== mypy"
.venv/bin/mypy core geo rules thermal ledger pipeline agents simulators tools console drill cli
echo "== pytest"
.venv/bin/pytest -q "$@"

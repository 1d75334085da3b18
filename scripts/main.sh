#!/usr/bin/env bash
# The main job: set up, then run the default drill (a simulated winter night
# through the real pipeline on the embedded broker) and print its scores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/patrol drill "$@"

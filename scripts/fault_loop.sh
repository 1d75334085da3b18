#!/usr/bin/env bash
# Run the crash and fault tests N times in a row (default 10) and print one line per run.
# Usage: scripts/fault_loop.sh [N]   (needs `bash scripts/setup.sh dev` first)
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  log=$(mktemp -t fault-loop-XXXX.log)
  .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/integration/test_crash.py tests/integration/test_faults.py tests/integration/test_scale.py \
    tests/integration/test_start_order.py tests/integration/test_console_broker_restart.py >"$log" 2>&1 || failed=$((failed + 1))
  echo "run $i: $(tail -1 "$log") ($(( $(date +%s) - start )) s, log $log)"
done
echo "$failed of $runs runs failed"
[ "$failed" -eq 0 ]

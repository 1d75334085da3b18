"""Drills: a simulated night run through the real pipeline, scored against ground truth.

Layer 7, beside `console` (imports `tools` and below). Its modules:

- `runner`: `patrol drill`, the loop of world inputs, worker barriers and team reactions.
- `scoring`: `score`, the run's outputs against the night's truth; `format_scores`.
- `report`: the HTML report with map, timeline and latencies (needs matplotlib).
- `ledger_drill`: `run_ledger_drill`, several nights of returning people scored on suggestions, sweeps and daily reports.

Import the modules (`from drill.scoring import score`); this package file imports nothing.
"""

__all__ = ["ledger_drill", "report", "runner", "scoring"]

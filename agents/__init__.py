"""Thin Faust agents: read a stream, call the rules, write a stream.

Layer 4 (imports `pipeline`, `rules`, `thermal` and below). Its modules:

- `worker`: `build_worker_app`, the app of `patrol worker` with every agent registered.
- `common`: what agents share: dead letters, the outbox, batching, liveness counters,
  and `register_report_agent` (records in, reports or dead letters out).
- `intake`: tips to reports.
- `detections`: detections to reports.
- `thermal`: thermal frames to detections (detector and tracker).
- `desk`: reports, weather, team status, acks and ticks to dispatch events, tasks and conditions.
- `health`: the liveness page.
- `metrics`: the worker's Prometheus page.
- `partners`: dispatch events to partner notices.
- `reporters`: reporter contacts and dispatch events to replies to reporters.
- `ledger`: `run_ledger`, the ledger's feeder (`patrol ledger run`): dispatch, reports and conditions into the database,
  read positions in the same transaction (a plain consumer, not a Faust agent).

Import the modules (`from agents.worker import build_worker_app`); this package file imports nothing.
"""

__all__ = ["common", "desk", "detections", "health", "intake", "ledger", "metrics", "partners", "reporters", "thermal", "worker"]

"""Tools that run the real pipeline: the run harness, replay and benchmarks.

Layer 6 (imports `simulators` and below). Its modules:

- `harness`: `pipeline_run`, the one run setup (broker, isolated settings, topics, worker, ready feeder),
  and its parts: `WorkerProcess`, `Feeder` (lock-step feeding with barriers), `create_topics`.
- `replay`: `patrol replay`, a recorded night through the pipeline, deterministically.
- `bench_pipeline`: `patrol bench pipeline`, throughput and latency against a passthrough baseline.
- `bench_desk_state`: `python -m tools.bench_desk_state`, the desk's state size and tick time over a long winter, with and without forgetting closed incidents.
- `bench_fetch`: `python -m tools.bench_fetch`, CPU of one aiokafka fetch request's encoding and its empty answer's decoding, by partitions fetched.
- `bench_rules`: `python -m tools.bench_rules`, CPU per tip of the pure rules on the tip path (no broker), with a digest of every output.
- `bench_resolve`: `python -m tools.bench_resolve`, CPU per address of the gazetteer's resolve on a city's own names (new text each run).
- `bench_thermal`: `patrol bench thermal`, the detector against an OpenCV baseline.
- `profile_thermal`: `python -m tools.profile_thermal`, where the 8-bit detector's time goes (cProfile).
- `thermal_dump`: `python tools/thermal_dump.py dump|compare`, every detection of the thermal bench's frames (and real ones), dumped and compared field by field: a speed change must change none.
- `real_frames`: `iter_real`, labelled real frames on disk (a labels.json file), for the benchmark and training.
- `tip_readings`: every tip text the project holds, read, and two readings diffed (what a change to tip reading changes).
- `short_typos`: `python tools/short_typos.py`, what reading English typos of two and three letters would set (why `[typos] min_letters` stays at 4).
- `train_thermal`: `train`, the 8-bit person classifier trained on HIT-UAV (train split), validated on its val split.

Import the modules (`from tools.harness import pipeline_run`); this package file imports nothing.
"""

__all__ = ["bench_desk_state", "bench_fetch", "bench_pipeline", "bench_resolve", "bench_rules", "bench_thermal", "harness", "profile_thermal", "real_frames", "replay", "thermal_dump", "tip_readings",
           "train_thermal"]

"""The worker profiler: every thread's CPU time, summed by where the code lives."""

from __future__ import annotations

import pstats
import threading
from pathlib import Path

from pipeline.profiling import IDLE, group_of, profiled, summary
from rules.lexicon import load_lexicon


def spin_in_a_thread() -> int:
    return sum(i * i for i in range(300_000))


def test_threads_started_meanwhile_are_profiled(tmp_path: Path) -> None:
    out = tmp_path / "worker.prof"
    with profiled(out):
        thread = threading.Thread(target=spin_in_a_thread)
        thread.start()
        thread.join()
        load_lexicon(Path(__file__).resolve().parents[3] / "data" / "lexicon.toml")
    names = {name for (_, _, name) in pstats.Stats(str(out)).stats}  # type: ignore[attr-defined]
    assert {"spin_in_a_thread", "load_lexicon"} <= names
    shares, functions = summary(out)
    assert abs(sum(s.share for s in shares if s.group != IDLE) - 1.0) < 1e-9
    groups = {s.group for s in shares}
    assert "patrol rules" in groups and "patrol (tests)" in groups
    assert functions and functions[0][1] >= functions[-1][1]


def test_no_file_no_profile(tmp_path: Path) -> None:
    with profiled(""):
        pass
    assert not list(tmp_path.iterdir())


def test_groups() -> None:
    assert group_of("/x/.venv/lib/python3.11/site-packages/faust/agents/agent.py") == "faust"
    assert group_of("/x/.venv/lib/python3.11/site-packages/aiokafka/conn.py") == "aiokafka"
    assert group_of("/x/.venv/lib/python3.11/site-packages/somelib/a.py") == "other libraries"
    assert group_of("~", "<method 'poll' of 'select.epoll' objects>") == IDLE
    assert group_of("~", "<built-in method builtins.isinstance>") == "builtins (C)"

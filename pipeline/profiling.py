"""Where a worker's time goes: cProfile over every thread, summed by library.

Faust runs its Kafka consumer in a thread of its own, so profiling the main
thread alone would miss the fetch path; `profiled` enables a profiler in
every thread started while it is active and merges them when it ends.
Time is each thread's CPU time (`time.thread_time`), not wall time: on a
shared machine a preempted thread would otherwise charge its wait to
whatever call it was in.
`summary` groups own time by where the code lives (our packages, Faust,
aiokafka, the event loop, JSON...), which is what a benchmark prints.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

# Groups by path fragment, first match wins; our packages by top-level folder.
_GROUPS: tuple[tuple[str, str], ...] = (
    ("/faust/", "faust"),
    ("/mode/", "faust (mode)"),
    ("/aiokafka/", "aiokafka"),
    ("/kafka/", "kafka-python"),
    ("/prometheus_client/", "prometheus-client"),
    ("/aiohttp/", "aiohttp"),
    ("/asyncio/", "asyncio"),
    ("/json/", "json"),
    ("/shapely/", "shapely"),
    ("/numpy/", "numpy"),
)
_OURS = ("core", "geo", "rules", "thermal", "pipeline", "agents")


@contextmanager
def profiled(out: str | Path | None) -> Iterator[None]:
    """Profile this thread and every thread started meanwhile; write merged pstats to `out` (no-op if empty)."""
    if not out:
        yield
        return
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_in_thread(*_: Any) -> None:
        # Called once as the new thread's profile hook: replace it by a real profiler.
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        sys.setprofile(None)
        profile.enable()

    main = cProfile.Profile(time.thread_time)
    profiles.append(main)
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        with lock:
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                try:
                    stats.add(profile)
                except TypeError:  # a thread that never ran a profiled call
                    continue
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(out))


IDLE = "idle (waiting in select/locks)"
_IDLE_NAMES = ("of 'select.", "of '_thread.lock'", "of '_thread.RLock'", "<built-in method time.sleep>")


def group_of(filename: str, name: str = "") -> str:
    """The library or package a code file belongs to (waiting for I/O apart)."""
    if filename == "~" and any(fragment in name for fragment in _IDLE_NAMES):
        return IDLE
    path = filename.replace("\\", "/")
    for fragment, group in _GROUPS:
        if fragment in path:
            return group
    if "/site-packages/" in path:
        return "other libraries"
    root = str(PROJECT_ROOT).replace("\\", "/") + "/"
    if path.startswith(root):
        top = path[len(root):].split("/", 1)[0]
        return f"patrol {top}" if top in _OURS else f"patrol ({top})"
    stdlib = sysconfig.get_paths()["stdlib"].replace("\\", "/")
    if path.startswith(stdlib):
        return "python stdlib"
    if path.startswith("<") or path == "~":
        return "builtins (C)"
    return "other libraries"


@dataclass(frozen=True)
class Share:
    group: str
    seconds: float
    share: float


def summary(path: str | Path) -> tuple[list[Share], list[tuple[str, float]]]:
    """Busy own time by group (largest first; idle waiting is its own group, not in the shares) and the ten costliest functions."""
    stats: Any = pstats.Stats(str(path))
    by_group: dict[str, float] = {}
    functions: list[tuple[str, float]] = []
    for (filename, line, name), (_, _, tottime, _, _) in stats.stats.items():
        group = group_of(filename, name)
        by_group[group] = by_group.get(group, 0.0) + tottime
        if group != IDLE:
            functions.append((f"{group}: {name} ({Path(filename).name}:{line})", tottime))
    total = sum(s for g, s in by_group.items() if g != IDLE) or 1.0
    shares = sorted((Share(g, s, s / total) for g, s in by_group.items()), key=lambda s: -s.seconds)
    functions.sort(key=lambda f: -f[1])
    return shares, functions[:10]

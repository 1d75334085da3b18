"""Run the real pipeline from a tool: worker processes and a lock-step feeder.

Replays, drills, benchmarks and integration tests all drive the same worker
processes the product runs in production. The feeder sends input records in
event-time order and, whenever the next record goes to a different topic,
waits until the workers have committed everything sent so far (a barrier).
Records of one topic keep their order on their own; the barrier fixes the
order across topics, so the same input always meets the same state and a
replayed night decides exactly as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from core import topics as names
from core.errors import BrokerError, PatrolError
from core.feed import FeedItem
from core.records import ClockTick
from core.settings import PROJECT_ROOT, Settings
from pipeline.broker import broker_for, free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS, reader
from pipeline.kafka_security import client_kwargs
from pipeline.topics_admin import ensure_topics

# Topics the workers consume: the barrier waits until each is fully committed.
CONSUMED = (
    names.TIPS,
    names.DETECTIONS,
    names.THERMAL_FRAMES,
    names.REPORTS,
    names.WEATHER,
    names.TEAM_STATUS,
    names.TASK_ACKS,
    names.CLOCK,
    names.DISPATCH,
    names.REPORTER_CONTACTS,
)
# What the replay and drills collect, in this order in an output file.
COLLECTED = (names.DISPATCH, names.PARTNER_NOTICES, names.REPORTER_FEEDBACK, names.DEAD_LETTERS)


def create_topics(bootstrap: str, settings: Settings) -> None:
    """Create (or check) every topic up front (`pipeline.topics_admin`), so consumers never race auto-creation."""
    ensure_topics(bootstrap, settings)


@dataclass
class WorkerProcess:
    """One `patrol worker` subprocess with its own web port and state dir."""

    settings: Settings
    bootstrap: str
    log_path: Path
    web_port: int = 0  # the worker's /healthz and /metrics; 0: a free one, chosen at start
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        self.web_port = self.web_port or free_port()
        env.update(replace(self.settings, broker=self.bootstrap, web_port=self.web_port).to_env())
        env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(PROJECT_ROOT),
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the crash the integration tests recover from."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout_s: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def isolated_settings(base: Settings, run_id: str, state_root: Path | None = None) -> Settings:
    """Settings for one run on a shared broker: own topics, group and state."""
    root = state_root or Path(tempfile.mkdtemp(prefix="patrol-state-"))
    return replace(
        base,
        topic_prefix=f"{base.topic_prefix}{run_id}-",
        app_id=f"{base.app_id}-{run_id}",
        state_dir=root,
    )


@dataclass
class PipelineRun:
    """What `pipeline_run` set up: the run's own settings, its broker, worker and a ready feeder."""

    settings: Settings
    bootstrap: str
    log_dir: Path
    worker: WorkerProcess  # the first of `workers`
    feeder: Feeder
    workers: tuple[WorkerProcess, ...] = ()  # one per stage set


@contextlib.asynccontextmanager
async def pipeline_run(
    settings: Settings, name: str, *, ready_at: datetime, log_dir: Path | None = None, external: Iterable[str] = (),
    collect: Iterable[str] = (), stage_sets: tuple[str, ...] = (),
) -> AsyncIterator[PipelineRun]:
    """Broker, isolated settings, topics, one worker process (or one per stage set, `PATROL_STAGES` values) and a
    ready feeder; all stopped on exit.

    The one run setup of replay, bench and drill. With no `PATROL_BROKER` a
    fresh embedded broker serves this run alone; on a configured broker the
    run gets its own topics, consumer group and state (`isolated_settings`).
    State and the worker's log go under `log_dir` (a new temporary folder by
    default). The feeder has seen the worker commit a first tick at `ready_at`;
    `external` names input topics someone else writes too (see `Feeder`);
    `collect`, topics drained besides the outputs (a drill's detections).
    """
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix=f"patrol-{name}-"))
    with broker_for(settings.broker) as bootstrap:
        if settings.broker:
            run_settings = isolated_settings(settings, f"{name}{uuid.uuid4().hex[:8]}", log_dir / "state")
        else:
            run_settings = replace(settings, state_dir=log_dir / "state")
        create_topics(bootstrap, run_settings)
        workers = [WorkerProcess(run_settings, bootstrap, log_dir / "worker.log")] if not stage_sets else [
            WorkerProcess(replace(run_settings, stages=stages), bootstrap, log_dir / f"worker-{stages.replace(',', '-')}.log")
            for stages in stage_sets
        ]
        for worker in workers:
            worker.start()
        try:
            async with Feeder(run_settings, bootstrap, workers, external=external, collect=collect) as feeder:
                await feeder.wait_ready(ready_at)
                yield PipelineRun(run_settings, bootstrap, log_dir, workers[0], feeder, tuple(workers))
        finally:
            for worker in workers:
                worker.stop()


def stage_groups(workers: Iterable[Settings]) -> dict[str, frozenset[str]]:
    """The workers' consumer groups and the topics (short names) each reads: one group per stage set."""
    return {w.group_id: frozenset(t for stage in w.stage_set for t in names.STAGE_INPUTS[stage]) for w in workers}


class Feeder:
    """Sends timed inputs to the workers in lock-step and collects outputs."""

    def __init__(self, settings: Settings, bootstrap: str, workers: list[WorkerProcess] | None = None, external: Iterable[str] = (),
                 collect: Iterable[str] = ()) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.workers = workers or []
        self.sent: dict[str, int] = {}
        self.last_topic: str | None = None
        self.barriers = 0
        self._producer: AIOKafkaProducer | None = None
        self._probe: AIOKafkaConsumer | None = None
        self._group: AIOKafkaConsumer | None = None
        self._groups: dict[str, AIOKafkaConsumer] = {}  # the workers' consumer groups, one per stage set
        self._watched: list[tuple[str, TopicPartition]] = []  # (group, partition) pairs the barrier waits on
        self._outputs: AIOKafkaConsumer | None = None
        self._tps: list[TopicPartition] = []
        self._written: dict[TopicPartition, int] = {}
        # Topics others write (the workers; the console's API in a drill on the phones' path):
        # their ends are read, not known from what we sent.
        written_by_others = (names.REPORTS, names.DETECTIONS, names.DISPATCH, names.REPORTER_CONTACTS, *external)
        if settings.partitions > 1:
            # The desk re-sends a record that reached another partition than its centre's: read those ends too.
            written_by_others += tuple(t for t in names.DESK_INPUTS if t != names.CLOCK)
        self._internal = {settings.topic(t) for t in written_by_others}
        self._collected = tuple(dict.fromkeys((*COLLECTED, *collect)))

    async def __aenter__(self) -> Feeder:
        security = client_kwargs(self.settings)
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=0, acks="all", **security)
        await self._producer.start()
        self._probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **security)
        await self._probe.start()
        stage_sets = stage_groups([w.settings for w in self.workers] or [self.settings])
        for group in stage_sets:
            self._groups[group] = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False, **security)
            await self._groups[group].start()
        self._group = next(iter(self._groups.values()))
        self._tps = []
        for short in CONSUMED:
            full = self.settings.topic(short)
            parts = self._probe.partitions_for_topic(full)
            if not parts:
                await self._probe._client.force_metadata_update()
                parts = self._probe.partitions_for_topic(full) or {0}
            tps = [TopicPartition(full, p) for p in sorted(parts)]
            self._tps += tps
            self._watched += [(group, tp) for group, shorts in stage_sets.items() if short in shorts for tp in tps]
        self._outputs = reader(self.settings, self.bootstrap, *(self.settings.topic(t) for t in self._collected))
        await self._outputs.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in (self._producer, self._probe, *self._groups.values(), self._outputs):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()

    # ------------------------------------------------------------- sending

    async def send(self, item: FeedItem, partition: int | None = None) -> None:
        if self.last_topic is not None and item.topic != self.last_topic:
            await self.barrier()
        assert self._producer is not None
        meta = await self._producer.send_and_wait(
            self.settings.topic(item.topic), item.value, key=item.key.encode("utf-8") if item.key else None, partition=partition
        )
        tp = TopicPartition(meta.topic, meta.partition)
        self._written[tp] = max(self._written.get(tp, 0), meta.offset + 1)
        self.sent[item.topic] = self.sent.get(item.topic, 0) + 1
        self.last_topic = item.topic

    async def send_via(self, item: FeedItem, write: Callable[[FeedItem], Awaitable[None]]) -> None:
        """Hand an item to another writer (one of `external`'s topics), keeping the cross-topic barrier."""
        if self.last_topic is not None and item.topic != self.last_topic:
            await self.barrier()
        await write(item)
        self.sent[item.topic] = self.sent.get(item.topic, 0) + 1
        self.last_topic = item.topic

    async def tick(self, at: datetime) -> None:
        """One tick on every partition of `clock` (each holds its own dispatch centres)."""
        full = self.settings.topic(names.CLOCK)
        for tp in [tp for tp in self._tps if tp.topic == full]:
            await self.send(FeedItem(at=at, seq=0, topic=names.CLOCK, value=ClockTick(at=at, source="simulated").to_json()), tp.partition)

    # ------------------------------------------------------------- barrier

    async def _ends(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        """True end offsets: ListOffsets, confirmed by a fetch's high watermark."""
        assert self._probe is not None
        if not tps:
            return {}
        # Ask ListOffsets on the group client: on the probe it queues behind
        # the probe's own long-polling fetch (measured: 40 ms a call, against
        # 0.6 ms here, and the drill makes thousands).
        assert self._group is not None
        listed = await self._group.end_offsets(tps)
        ends = dict(listed)
        probe = [tp for tp in tps if listed[tp] > 0]
        if probe:
            if set(self._probe.assignment()) != set(probe):
                self._probe.assign(probe)
            for tp in probe:
                self._probe.seek(tp, listed[tp] - 1)
            await self._probe.getmany(*probe, timeout_ms=100, max_records=1)
            for tp in probe:
                high = self._probe.highwater(tp)
                if high is not None:
                    ends[tp] = max(ends[tp], high)
        return ends

    async def _committed(self) -> dict[TopicPartition, int]:
        """Each partition's committed offset, the least over the groups that read it (a topic no group reads: its end)."""
        offsets = await asyncio.gather(*(self._groups[group].committed(tp) for group, tp in self._watched))
        least: dict[TopicPartition, int] = {}
        for (_, tp), offset in zip(self._watched, offsets, strict=True):
            least[tp] = min(least.get(tp, offset or 0), offset or 0)
        return {tp: least.get(tp, sys.maxsize) for tp in self._tps}

    async def barrier(self, timeout_s: float = 120.0) -> None:
        """Wait until the workers have processed and committed everything sent."""
        self.barriers += 1
        deadline = time.monotonic() + timeout_s
        # Only workers write the internal topics; what we wrote ourselves we know.
        internal = [tp for tp in self._tps if tp.topic in self._internal]
        while True:
            committed = await self._committed()
            ours_done = all(committed[tp] >= end for tp, end in self._written.items() if tp in committed)
            ends = dict(self._written)
            if ours_done:
                ends.update(await self._ends(internal))
                if all(committed[tp] >= ends.get(tp, 0) for tp in self._tps):
                    self.last_topic = None
                    return
            for worker in self.workers:
                if worker.proc is not None and not worker.alive():
                    raise PatrolError(f"worker exited with {worker.proc.returncode}:\n{worker.log_tail()}")
            if time.monotonic() > deadline:
                behind = {f"{tp.topic}[{tp.partition}]": (committed[tp], ends.get(tp)) for tp in self._tps if committed[tp] < ends.get(tp, 0)}
                raise BrokerError(f"workers did not catch up within {timeout_s:.0f}s: {behind}")
            await asyncio.sleep(0.01)

    async def wait_ready(self, at: datetime, timeout_s: float = 90.0) -> None:
        """Send a first tick and wait for the workers to commit it (group joined)."""
        await self.tick(at)
        await self.barrier(timeout_s)

    # ------------------------------------------------------------- outputs

    async def drain(self, idle_ms: int = 5, timeout_s: float = 30.0) -> list[tuple[str, dict[str, Any]]]:
        """Every output record not read yet, as (short topic, JSON object).

        Reads up to the outputs' end offsets as they are now, not merely until
        a poll comes back empty: a slow fetch would otherwise leave records
        written before the barrier for the next step, and a drill's simulated
        teams would react a step late (not repeatable).
        """
        assert self._outputs is not None
        outputs = self._outputs
        out: list[tuple[str, dict[str, Any]]] = []
        prefix = len(self.settings.topic_prefix)
        while not outputs.assignment():
            await outputs.getmany(timeout_ms=idle_ms)  # wait for the partition assignment
        ends = await self._ends(sorted(outputs.assignment()))
        deadline = time.monotonic() + timeout_s
        while True:
            batch = await outputs.getmany(timeout_ms=idle_ms)
            for tp in sorted(batch, key=lambda t: (t.topic, t.partition)):
                for msg in batch[tp]:
                    out.append((tp.topic[prefix:], json.loads(msg.value)))
            if not batch:
                behind = [tp for tp, end in ends.items() if await outputs.position(tp) < end]
                if not behind or time.monotonic() > deadline:
                    return out


async def run_schedule(
    feeder: Feeder,
    items: list[FeedItem],
    ticks: list[datetime],
    on_step: Callable[[datetime], Awaitable[None]] | None = None,
) -> None:
    """Feed inputs and clock ticks merged in event-time order.

    At equal times inputs go first, then the tick, so a deadline that falls on
    a tick sees every record stamped up to that moment. `on_step` runs after
    each tick's barrier (drills read outputs there and let teams react).
    """
    merged: list[tuple[datetime, int, int, FeedItem | None]] = [(i.at, 0, i.seq, i) for i in items]
    merged += [(t, 1, n, None) for n, t in enumerate(ticks)]
    merged.sort(key=lambda m: (m[0], m[1], m[2]))
    for at, _, _, item in merged:
        if item is not None:
            await feeder.send(item)
        else:
            await feeder.tick(at)
            if on_step is not None:
                await feeder.barrier()
                await on_step(at)
    await feeder.barrier()

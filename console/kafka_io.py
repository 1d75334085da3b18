"""Thin Kafka glue for the console: read the view topics, write task-acks.

Kept apart from the web app so that unit tests inject a fake publisher and
integration tests use these against the real broker. The reader has no
consumer group and starts from the earliest offset: a restarted console
rebuilds its whole view from the topics, and several consoles never steal
partitions from each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from console.metrics import VIEW
from core import topics
from core.records import TaskAck, TaskHint, TeamStatus
from core.settings import Settings
from pipeline.kafka_compat import reader
from pipeline.kafka_security import client_kwargs
from pipeline.metrics import RECORDS_OUT
from pipeline.topics_admin import ensure_topics

log = logging.getLogger(__name__)

# What the console reads (unprefixed names) and writes.
READ_TOPICS: tuple[str, ...] = (topics.DISPATCH, topics.TEAM_STATUS, topics.CONDITIONS, topics.CLOCK, topics.TASK_HINTS)
WRITE_TOPIC = topics.TASK_ACKS


# A publish answers within this: the broker has the record, or the caller gets a 503 to retry.
PUBLISH_TIMEOUT_S = 5.0
# How often the console checks that the broker answers (its /healthz reports it).
PROBE_EVERY_S = 2.0


class AckPublisher(Protocol):
    """Where operator and team actions go: `task-acks` in production, a list in unit tests."""

    async def publish(self, ack: TaskAck, key: str | None = None) -> None: ...

    async def publish_status(self, status: TeamStatus, key: str | None = None) -> None: ...

    async def publish_hint(self, hint: TaskHint) -> None: ...

    def broker_health(self) -> dict[str, Any]: ...


class KafkaAckPublisher:
    """Writes TaskAck records to `task-acks`; returns only once the broker has the record.

    Every publish first checks the broker's metadata: a broker restarted on
    memory storage has lost its topics, and sending blindly would auto-create
    `task-acks` with the broker's default partitions (acks land where nobody
    reads them and the desk dies). Missing topics are recreated with
    `pipeline.topics_admin` first. A broker that does not answer gives an error
    within `timeout_s`, never a 40 s hang.
    """

    def __init__(self, bootstrap: str, settings: Settings, *, timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.topic = settings.topic(WRITE_TOPIC)
        self.status_topic = settings.topic(topics.TEAM_STATUS)
        self.timeout_s = timeout_s
        timeout_ms = int(timeout_s * 1000)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id="patrol-console", request_timeout_ms=timeout_ms, retry_backoff_ms=200,
            **client_kwargs(settings),
        )
        self._reachable = True
        self._error = ""
        self._checked_at: float | None = None

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._producer.stop(), self.timeout_s)

    async def _ready(self) -> None:
        """The broker answers and has our topics (recreated if a restart lost them)."""
        try:
            cluster = await self._producer.client.fetch_all_metadata()
            missing = [t for t in (*READ_TOPICS, WRITE_TOPIC) if self.settings.topic(t) not in cluster.topics()]
            if missing:
                log.warning("broker lost topics %s (restarted?); creating them again", missing)
                await asyncio.get_running_loop().run_in_executor(None, ensure_topics, self.bootstrap, self.settings)
        except Exception as exc:
            self._mark(False, f"{type(exc).__name__}: {exc}")
            raise
        self._mark(True, "")

    def _mark(self, reachable: bool, error: str) -> None:
        if reachable != self._reachable:
            (log.info if reachable else log.error)("broker %s %s", self.bootstrap, "reachable again" if reachable else f"unreachable: {error}")
        self._reachable, self._error, self._checked_at = reachable, error, time.monotonic()

    async def probe(self) -> bool:
        """Check the broker now (within the timeout); the result shows in `broker_health`."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ready(), self.timeout_s)
            return True
        if self._reachable:  # a timeout never reached _mark
            self._mark(False, f"no answer within {self.timeout_s:.0f}s")
        return False

    async def watch(self, every_s: float = PROBE_EVERY_S) -> None:
        """Probe the broker forever (a task of the console)."""
        while True:
            await self.probe()
            await asyncio.sleep(every_s)

    def broker_health(self) -> dict[str, Any]:
        checked = None if self._checked_at is None else round(time.monotonic() - self._checked_at, 1)
        return {"reachable": self._reachable, "bootstrap": self.bootstrap, "checked_s_ago": checked, **({"error": self._error} if self._error else {})}

    async def publish(self, ack: TaskAck, key: str | None = None) -> None:
        """Send and wait for the broker's acknowledgement; TimeoutError or KafkaError when it does not come.

        `key` is the incident's dispatch centre (`console.centres`); without one, the incident id.
        """
        await self._send(WRITE_TOPIC, self.topic, (key or ack.incident_id or ack.event_id).encode("utf-8"), ack.to_json())

    async def publish_status(self, status: TeamStatus, key: str | None = None) -> None:
        """A phone's position or status change to `team-status`, keyed by the team's centre (else the team); same guarantees as `publish`."""
        await self._send(topics.TEAM_STATUS, self.status_topic, (key or status.team_id).encode("utf-8"), status.to_json())

    async def publish_hint(self, hint: TaskHint) -> None:
        """What the ledger knows for a team's task (after a link made on the console) to `task-hints`, keyed by team."""
        await self._send(topics.TASK_HINTS, self.settings.topic(topics.TASK_HINTS), hint.team_id.encode("utf-8"), hint.to_json())

    async def _send(self, short: str, topic: str, key: bytes, value: bytes) -> None:
        async def send() -> None:
            await self._ready()
            await self._producer.send_and_wait(topic, value=value, key=key)

        try:
            await asyncio.wait_for(send(), self.timeout_s)
        except TimeoutError:
            self._mark(False, f"no acknowledgement within {self.timeout_s:.0f}s")
            raise
        RECORDS_OUT.labels(short).inc()


class ListPublisher:
    """In-memory publisher for unit tests and dry runs."""

    def __init__(self) -> None:
        self.acks: list[TaskAck] = []
        self.statuses: list[TeamStatus] = []
        self.hints: list[TaskHint] = []
        self.keys: list[str | None] = []  # the key of each ack and status, in order

    async def publish(self, ack: TaskAck, key: str | None = None) -> None:
        self.acks.append(ack)
        self.keys.append(key)

    async def publish_hint(self, hint: TaskHint) -> None:
        self.hints.append(hint)

    async def publish_status(self, status: TeamStatus, key: str | None = None) -> None:
        self.statuses.append(status)
        self.keys.append(key)

    def broker_health(self) -> dict[str, Any]:
        return {"reachable": True, "bootstrap": "memory"}


def _no_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity are no JSON: Python reads them, and kept they went out in answers no browser parses."""
    raise ValueError(f"{name} is not a JSON number")


def fold_one(name: str, value: bytes | None, on_record: Callable[[str, Any], None], *, meter: bool = True, where: str = "") -> bool:
    """Decode one record and hand it to the view; False when it was skipped.

    Nothing one record holds may stop the console's reader: it would die, and
    read the same record again at every start (JSON nested 100 000 deep raised
    RecursionError here and ended the console).
    """
    try:
        data = json.loads(value, parse_constant=_no_constant) if value is not None else None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        log.warning("skipping non-JSON record %s: %s", where, exc)
        return False
    try:
        if meter:
            VIEW.record(name, data)
        on_record(name, data)
    except Exception:
        log.exception("skipping a record the view could not fold: %s", where)
        return False
    return True


async def consume_view_topics(
    bootstrap: str,
    settings: Settings,
    on_record: Callable[[str, Any], None],
    *,
    started: asyncio.Event | None = None,
    names: Iterable[str] = READ_TOPICS,
    caught_up: asyncio.Event | None = None,
    meter: bool = True,
) -> None:
    """Feed every record of the view topics, from the beginning, to `on_record(topic, data)` until cancelled.

    `topic` is the unprefixed name; a payload that is not JSON is logged and skipped.
    `caught_up` is set once everything written before the start has been fed;
    `meter` off for a second reader of the same topics (counted once, by the view).
    """
    by_name = {settings.topic(t): t for t in names}
    consumer = reader(settings, bootstrap, *by_name, client_id="patrol-console")
    await consumer.start()
    try:
        if started is not None:
            started.set()
        ends = await _end_offsets(consumer, list(by_name)) if caught_up is not None else {}
        while True:
            if caught_up is not None and not caught_up.is_set() and await _caught_up(consumer, ends):
                caught_up.set()
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for tp, records in batches.items():
                name = by_name.get(tp.topic, tp.topic)
                if records and meter:
                    VIEW.batch(name, tp.partition, len(records), records[-1].offset + 1, consumer.highwater(tp))
                for record in records:
                    fold_one(name, record.value, on_record, meter=meter, where=f"{tp.topic}@{record.offset}")
    finally:
        await consumer.stop()


async def _end_offsets(consumer: AIOKafkaConsumer, names: list[str]) -> dict[TopicPartition, int]:
    """Where each partition of these topics ends now (what "everything before the start" means)."""
    tps = [TopicPartition(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or {0})]
    return dict(await consumer.end_offsets(tps))


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    if not set(ends) <= consumer.assignment():
        return False
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True

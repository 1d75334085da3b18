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
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from core import topics
from core.errors import BrokerError
from core.records import TaskAck, TeamStatus
from core.settings import Settings
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS

log = logging.getLogger(__name__)

# What the console reads (unprefixed names) and writes.
READ_TOPICS: tuple[str, ...] = (topics.DISPATCH, topics.TEAM_STATUS, topics.CONDITIONS, topics.CLOCK)
WRITE_TOPIC = topics.TASK_ACKS


class AckPublisher(Protocol):
    """Where operator and team actions go: `task-acks` in production, a list in unit tests."""

    async def publish(self, ack: TaskAck) -> None: ...

    async def publish_status(self, status: TeamStatus) -> None: ...


def ensure_topics(bootstrap: str, settings: Settings, names: Iterable[str] = (*READ_TOPICS, WRITE_TOPIC)) -> None:
    """Create the console's topics if missing, so subscribing never races auto-creation."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="patrol-console-admin", request_timeout_ms=10000)
    except Exception as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        wanted = [NewTopic(settings.topic(n), 1, settings.replication) for n in names if settings.topic(n) not in existing]
        for topic in wanted:  # one by one: a concurrent creator makes only its own topic fail
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics([topic])
    finally:
        admin.close()


class KafkaAckPublisher:
    """Writes TaskAck records to `task-acks`, waiting for the broker's acknowledgement."""

    def __init__(self, bootstrap: str, settings: Settings) -> None:
        self.topic = settings.topic(WRITE_TOPIC)
        self.status_topic = settings.topic(topics.TEAM_STATUS)
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="patrol-console")

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, ack: TaskAck) -> None:
        key = (ack.incident_id or ack.event_id).encode("utf-8")
        await self._producer.send_and_wait(self.topic, value=ack.to_json(), key=key)

    async def publish_status(self, status: TeamStatus) -> None:
        """A phone's position or status change to `team-status`, keyed by team."""
        await self._producer.send_and_wait(self.status_topic, value=status.to_json(), key=status.team_id.encode("utf-8"))


class ListPublisher:
    """In-memory publisher for unit tests and dry runs."""

    def __init__(self) -> None:
        self.acks: list[TaskAck] = []
        self.statuses: list[TeamStatus] = []

    async def publish(self, ack: TaskAck) -> None:
        self.acks.append(ack)

    async def publish_status(self, status: TeamStatus) -> None:
        self.statuses.append(status)


async def consume_view_topics(
    bootstrap: str,
    settings: Settings,
    on_record: Callable[[str, Any], None],
    *,
    started: asyncio.Event | None = None,
    names: tuple[str, ...] = READ_TOPICS,
    caught_up: asyncio.Event | None = None,
) -> None:
    """Feed every record of the view topics, from the beginning, to `on_record(topic, data)` until cancelled.

    `topic` is the unprefixed name; a payload that is not JSON is logged and skipped.
    `caught_up` is set once everything written before the start has been fed.
    """
    by_name = {settings.topic(t): t for t in names}
    consumer = AIOKafkaConsumer(
        *by_name,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        client_id="patrol-console",
    )
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
                for record in records:
                    try:
                        data = json.loads(record.value) if record.value is not None else None
                    except (ValueError, UnicodeDecodeError) as exc:
                        log.warning("skipping non-JSON record %s@%s: %s", tp.topic, record.offset, exc)
                        continue
                    on_record(name, data)
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

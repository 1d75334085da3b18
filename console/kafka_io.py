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

from aiokafka import AIOKafkaProducer

from core import topics
from core.errors import BrokerError
from core.records import TaskAck
from core.settings import Settings
from pipeline.kafka_compat import group_free_reader

log = logging.getLogger(__name__)

# What the console reads (unprefixed names) and writes.
READ_TOPICS: tuple[str, ...] = (topics.DISPATCH, topics.TEAM_STATUS, topics.CONDITIONS, topics.CLOCK)
WRITE_TOPIC = topics.TASK_ACKS


class AckPublisher(Protocol):
    """Where operator and team actions go: `task-acks` in production, a list in unit tests."""

    async def publish(self, ack: TaskAck) -> None: ...


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
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="patrol-console")

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, ack: TaskAck) -> None:
        key = (ack.incident_id or ack.event_id).encode("utf-8")
        await self._producer.send_and_wait(self.topic, value=ack.to_json(), key=key)


class ListPublisher:
    """In-memory publisher for unit tests and dry runs."""

    def __init__(self) -> None:
        self.acks: list[TaskAck] = []

    async def publish(self, ack: TaskAck) -> None:
        self.acks.append(ack)


async def consume_view_topics(
    bootstrap: str,
    settings: Settings,
    on_record: Callable[[str, Any], None],
    *,
    started: asyncio.Event | None = None,
) -> None:
    """Feed every record of the view topics, from the beginning, to `on_record(topic, data)` until cancelled.

    `topic` is the unprefixed name; a payload that is not JSON is logged and skipped.
    """
    by_name = {settings.topic(t): t for t in READ_TOPICS}
    consumer = group_free_reader(bootstrap, *by_name, client_id="patrol-console")
    await consumer.start()
    try:
        if started is not None:
            started.set()
        while True:
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

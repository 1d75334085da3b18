"""Where the console's own records go besides `task-acks`: new tips, operators' decisions and commands.

Kafka in production (acks=all: the call returns once the broker has it),
a list in unit tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from aiokafka import AIOKafkaProducer

from core.settings import Settings
from pipeline.kafka_security import client_kwargs

PUBLISH_TIMEOUT_S = 10.0


class Outbox(Protocol):
    async def publish(self, topic: str, key: str, value: bytes) -> None: ...


class KafkaOutbox:
    """Writes to the console's topics by short name, waiting for the broker."""

    def __init__(self, bootstrap: str, settings: Settings, *, timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id="patrol-console-outbox", request_timeout_ms=int(timeout_s * 1000),
            retry_backoff_ms=200, **client_kwargs(settings),
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._producer.stop(), self.timeout_s)

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Written once the broker has it; an error (the caller answers 503) within the timeout, never a hang."""
        await asyncio.wait_for(self._producer.send_and_wait(self.settings.topic(topic), value=value, key=key.encode("utf-8")), self.timeout_s)


class ListOutbox:
    """In-memory outbox for unit tests."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, bytes]] = []

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        self.records.append((topic, key, value))


class OutboxScreens:
    """Mixin for a console extension (`server.Extension`) that writes through its own outbox, started and stopped with the console."""

    outbox: Outbox

    async def start(self) -> None:
        if isinstance(self.outbox, KafkaOutbox):
            await self.outbox.start()

    async def stop(self) -> None:
        if isinstance(self.outbox, KafkaOutbox):
            await self.outbox.stop()

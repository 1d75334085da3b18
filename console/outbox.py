"""Where the console's own records go besides `task-acks`: new tips and operators' decisions.

Kafka in production (acks=all: the call returns once the broker has it),
a list in unit tests.
"""

from __future__ import annotations

from typing import Protocol

from aiokafka import AIOKafkaProducer

from core.settings import Settings


class Outbox(Protocol):
    async def publish(self, topic: str, key: str, value: bytes) -> None: ...


class KafkaOutbox:
    """Writes to the console's topics by short name, waiting for the broker."""

    def __init__(self, bootstrap: str, settings: Settings) -> None:
        self.settings = settings
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="patrol-console-outbox")

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        await self._producer.send_and_wait(self.settings.topic(topic), value=value, key=key.encode("utf-8"))


class ListOutbox:
    """In-memory outbox for unit tests."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str, bytes]] = []

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        self.records.append((topic, key, value))

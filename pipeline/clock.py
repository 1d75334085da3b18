"""The live clock: wall-clock ticks on the `clock` topic.

The only place the product reads the wall clock for decisions' sake: ticks
carry the time, and the desk acts on the ticks. Drills and replays publish a
simulated clock on the same topic instead. A tick goes to every partition of
`clock`: each partition is a set of dispatch centres, all living the same time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from core import topics as names
from core.records import ClockTick
from core.settings import Settings
from pipeline.kafka_security import client_kwargs
from pipeline.topics_admin import ensure_topics


async def run_ticker(settings: Settings, bootstrap: str, count: int | None = None) -> None:
    # Ticks must never auto-create `clock` with the broker's default partitions (the desk needs one).
    await asyncio.get_running_loop().run_in_executor(None, ensure_topics, bootstrap, settings)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **client_kwargs(settings))
    await producer.start()
    try:
        sent = 0
        while count is None or sent < count:
            tick = ClockTick(at=datetime.now(UTC).replace(microsecond=0), source="ticker")
            topic = settings.topic(names.CLOCK)
            for partition in sorted(await producer.partitions_for(topic)):
                await producer.send_and_wait(topic, tick.to_json(), partition=partition)
            sent += 1
            if count is None or sent < count:
                await asyncio.sleep(settings.tick_seconds)
    finally:
        await producer.stop()

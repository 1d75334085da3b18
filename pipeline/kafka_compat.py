"""Two measured broker quirks and how the product lives with them.

1. Faust's aiokafka driver fixes `fetch_max_wait_ms` at 1500 ms. Tansu does
   not wake a waiting fetch when a record arrives, so every hop between
   agents cost ~700 ms. We set the worker consumer's wait to
   `FETCH_MAX_WAIT_MS` (measured: ~6 ms per hop on loopback).
2. Tansu answers ListOffsets(latest) with the last batch's base offset + 1,
   so the end of a partition whose last batch holds several records is
   under-reported (measured: 6 for 8 records written as batches of 5 and 3).
   A Fetch response's high watermark is right. Faust recovers tables up to
   the ListOffsets answer, which would silently drop the tail of a
   changelog after a crash; `true_end_offsets` asks with a fetch instead,
   and the patched driver uses it for table recovery. Real Kafka answers
   both the same way, so the patch is harmless there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

FETCH_MAX_WAIT_MS = 10
_patched = False


async def true_end_offsets(bootstrap: str, partitions: Iterable[Any], timeout_s: float = 5.0) -> dict[Any, int]:
    """End offsets confirmed by a fetch's high watermark, not only by ListOffsets."""
    # Faust passes its own TP tuples; aiokafka insists on its TopicPartition.
    originals = list(partitions)
    if not originals:
        return {}
    tps = [TopicPartition(tp.topic, tp.partition) for tp in originals]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        listed: Mapping[TopicPartition, int] = await consumer.end_offsets(tps)
        result = dict(listed)
        probe = [tp for tp in tps if listed.get(tp, 0) > 0]
        if probe:
            consumer.assign(probe)
            for tp in probe:
                consumer.seek(tp, listed[tp] - 1)
            pending = set(probe)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            while pending and loop.time() < deadline:
                await consumer.getmany(*pending, timeout_ms=200, max_records=1)
                for tp in list(pending):
                    high = consumer.highwater(tp)
                    if high is not None:
                        result[tp] = max(result[tp], high)
                        pending.discard(tp)
        return {orig: result[tp] for orig, tp in zip(originals, tps, strict=True)}
    finally:
        await consumer.stop()


def patch_faust_for_tansu() -> None:
    """Apply both adaptations to Faust's aiokafka driver (idempotent)."""
    global _patched
    if _patched:
        return
    from faust.transport.drivers import aiokafka as driver

    thread_cls: Any = driver.AIOKafkaConsumerThread
    original_create = thread_cls._create_worker_consumer

    def _create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = original_create(self, transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def _highwaters(self: Any, partitions: list[TopicPartition]) -> Mapping[TopicPartition, int]:
        consumer = self._ensure_consumer()
        if self.consumer.in_transaction:
            return {tp: consumer.last_stable_offset(tp) for tp in partitions}
        bootstrap = ",".join(f"{u.host}:{u.port or 9092}" for u in self.transport.url)
        return await true_end_offsets(bootstrap, partitions)

    thread_cls._create_worker_consumer = _create_worker_consumer
    thread_cls._highwaters = _highwaters
    _patched = True

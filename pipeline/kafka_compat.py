"""Measured broker and Faust quirks, and how the product lives with them.

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
3. Faust (faust-streaming 0.15.3) ends table recovery by resuming the
   stream partitions, then seeking them to the committed offsets, then
   resuming flow control, which empties the agents' queues. Records fetched
   between the resume and the seek are dropped from the queues, while the
   fetcher's read offset has already moved past them, so they are never read
   again (measured: a worker restarted after SIGKILL lost a tip in one run
   of three, or stalled with its commit stuck below the hole). The patched
   recovery seeks while the partitions are still paused, then resumes.
4. Faust's commit skips a hole of exactly one record at the head of the
   acknowledged offsets (it tests `min(acked) - committed > 1`): an
   unprocessed record right at the committed offset is committed past and
   lost. The patched commit waits for it instead, unless the hole is a known
   gap (a transaction marker or compacted record).
5. Faust asks aiokafka for the records of its active partitions by passing
   the live set it pauses and resumes; aiokafka reads an empty set as "all
   partitions", and Faust then discards the records of partitions it does
   not consider active, after aiokafka has moved its position past them
   (measured: a restarted worker skipped its whole backlog and stalled).
   The patched fetch puts discarded records back: it seeks their partition
   to the first one, so they are read again once the partition is active.
6. Faust's drain loop hands every record to the agents' queues through
   `Service.wait_first`: four tasks created, raced and cancelled per record,
   so that a hand-over blocked by a rebalance can be abandoned. Almost every
   hand-over finishes without waiting, and the tasks were the worker's
   largest fixed cost per record at a steady rate (measured: CPU per tip at
   500 tips/s 1.77-1.96 ms before, 1.62-1.66 ms after, alternating runs).
   The patched loop runs the hand-over's first step directly and races it
   against the flow's suspension, as Faust does, only when it has to wait.
7. aiokafka fetches every assigned partition that it has not paused itself,
   and Faust pauses only in its own bookkeeping: after recovery the worker
   went on fetching its tables' changelogs (its own writes, discarded) and
   the assignor's leader topic (never written) in every fetch request, 4 of
   about 16 partitions, though the worker reads them only while it recovers.
   The consumer thread pauses these partitions in aiokafka too while Faust
   holds them inactive, and resumes them when Faust does (recovery).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Generator, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from core.settings import Settings
from pipeline.kafka_security import client_kwargs

FETCH_MAX_WAIT_MS = 10
log = logging.getLogger("patrol.kafka")
_patched = False


def reader(settings: Settings, bootstrap: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A plain consumer of the product's tools and side processes: no group, no commits, from the first
    record, the short fetch wait Tansu needs (1. above) and the cluster's security settings; `options` override."""
    kwargs: dict[str, Any] = {"group_id": None, "enable_auto_commit": False, "auto_offset_reset": "earliest",
                              "fetch_max_wait_ms": FETCH_MAX_WAIT_MS, **client_kwargs(settings), **options}
    return AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, **kwargs)


async def true_end_offsets(bootstrap: str, partitions: Iterable[Any], timeout_s: float = 5.0, **client_options: Any) -> dict[Any, int]:
    """End offsets confirmed by a fetch's high watermark, not only by ListOffsets.

    `client_options`: the cluster's security keywords (`pipeline.kafka_security`).
    """
    # Faust passes its own TP tuples; aiokafka insists on its TopicPartition.
    originals = list(partitions)
    if not originals:
        return {}
    tps = [TopicPartition(tp.topic, tp.partition) for tp in originals]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **client_options)
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


def pause_unread(consumer: AIOKafkaConsumer, active: frozenset[Any], side_topics: Iterable[str], never_read: Iterable[str] = ()) -> None:
    """Pause in aiokafka the partitions of `side_topics` that Faust holds inactive and those of `never_read`;
    resume the side topics' partitions that Faust holds active again (7. above).

    Only these topics: a stream partition Faust pauses for flow control keeps
    its records in aiokafka's buffer, as before. Runs in the consumer thread,
    which owns `consumer`; `active` is a copy of Faust's live set.
    """
    unread = frozenset(never_read)
    side = frozenset(side_topics) | unread
    assigned = [tp for tp in consumer.assignment() if tp.topic in side]
    if not assigned:
        return
    paused = consumer.paused()
    wanted = {tp for tp in assigned if tp in active and tp.topic not in unread}
    to_pause = [tp for tp in assigned if tp not in wanted and tp not in paused]
    to_resume = [tp for tp in assigned if tp in wanted and tp in paused]
    if to_pause:
        consumer.pause(*to_pause)
    if to_resume:
        consumer.resume(*to_resume)


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
        conf = self.app.conf  # the worker's own security settings, as Faust holds them
        return await true_end_offsets(bootstrap, partitions, **driver.credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context))

    original_fetch_records = thread_cls._fetch_records

    async def _fetch_records(self: Any, consumer: AIOKafkaConsumer, active_partitions: Any, timeout: float | None = None,
                             max_records: int | None = None) -> Any:
        if active_partitions:
            leader = self.app._leader_assignor._leader_topic_name  # assigned to elect a leader, never written
            pause_unread(consumer, frozenset(active_partitions), self.app.tables.changelog_topics, never_read=(leader,))
        return await original_fetch_records(self, consumer, active_partitions, timeout=timeout, max_records=max_records)

    thread_cls._create_worker_consumer = _create_worker_consumer
    thread_cls._highwaters = _highwaters
    thread_cls._fetch_records = _fetch_records
    _patch_recovery()
    _patch_commit()
    _patch_fetch()
    _patch_drain()
    _patched = True


def _patch_recovery() -> None:
    """Seek stream partitions to their committed offsets before resuming them."""
    from faust.tables.recovery import Recovery

    async def seek_then_resume(self: Any, standbys_ready: bool) -> None:
        app = self.app
        consumer = app.consumer
        assignment = consumer.assignment()
        if assignment:
            self.log.info("Seek stream partitions to committed offsets (still paused).")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
        self.completed.set()
        # Resuming flow control empties the agents' queues: nothing can be in
        # them yet, because the stream partitions are resumed only now.
        app.flow_control.resume()
        consumer.resume_flow()
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        await app._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if standbys_ready:
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")

    async def _resume_streams(self: Any, generation_id: int = 0) -> None:
        await self.app.on_rebalance_complete.send()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again")
            return
        await seek_then_resume(self, standbys_ready=True)

    async def on_recovery_completed(self: Any, generation_id: int = 0) -> None:
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table]))
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        if self.app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again app id %s param %s", self.app.consumer_generation_id, generation_id)
            return
        await seek_then_resume(self, standbys_ready=not self.app.assignor.assigned_standbys())

    recovery: Any = Recovery
    recovery._resume_streams = _resume_streams
    recovery.on_recovery_completed = on_recovery_completed


def _patch_commit() -> None:
    """Never commit past an unacknowledged record at the committed offset."""
    from faust.transport.consumer import Consumer

    consumer_cls: Any = Consumer
    original_new_offset = consumer_cls._new_offset

    def _new_offset(self: Any, tp: Any) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None and min(acked) > committed and not self._gap[tp].overlaps_point(committed):
            return None
        result: int | None = original_new_offset(self, tp)
        return result

    consumer_cls._new_offset = _new_offset


def _patch_fetch() -> None:
    """Seek back over fetched records Faust would discard as not active."""
    from faust.transport.consumer import Consumer

    consumer_cls: Any = Consumer
    original_wait = consumer_cls._wait_next_records

    async def _wait_next_records(self: Any, timeout: float) -> Any:
        records, active = await original_wait(self, timeout)
        if not records or active is None:
            return records, active
        discarded = {tp: batch for tp, batch in records.items() if tp not in active and tp not in self._buffered_partitions}
        if discarded:
            log.info("fetched records of paused partitions, reading them again later: %s", {str(tp): len(b) for tp, b in discarded.items()})
            await self.seek_wait({tp: min(record.offset for record in batch) for tp, batch in discarded.items() if batch})
            records = {tp: batch for tp, batch in records.items() if tp not in discarded}
        return records, active

    consumer_cls._wait_next_records = _wait_next_records



class _Resumed:
    """The rest of a coroutine whose first step (run by hand) stopped at `waiting`; awaitable once, by a task."""

    def __init__(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        self.coro, self.waiting = coro, waiting

    def __await__(self) -> Generator[Any, Any, Any]:
        waiting = self.waiting
        while True:  # what `yield from` does, from the coroutine's second step on
            try:
                sent = yield waiting
            except BaseException as exc:  # cancellation included: the coroutine gets to clean up
                try:
                    waiting = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def hand_over(service: Any, coro: Coroutine[Any, Any, Any], abandon: asyncio.Event) -> None:
    """Run `coro` to its end if it never waits; if it does, race the rest against `abandon` (Faust's `wait_first`)."""
    try:
        waiting = coro.send(None)
    except StopIteration:
        return
    await service.wait_first(_Resumed(coro, waiting), abandon.wait())


def _patch_drain() -> None:
    """Hand each fetched record to the agents without tasks when nothing makes it wait (6. above).

    The loop is Faust 0.15.3's `Consumer._drain_messages`, its hand-over aside.
    """
    from faust.transport import consumer as module

    consumer_cls: Any = module.Consumer

    async def _drain_messages(self: Any, fetcher: Any) -> None:
        callback, getmany = self.callback, self.getmany
        get_read_offset, set_read_offset = self._read_offset.__getitem__, self._read_offset.__setitem__
        acks_enabled_for = self.app.topics.acks_enabled_for
        since_yield = 0
        try:
            while not (self._stopped.is_set() or fetcher._stopped.is_set()):
                self.diag.set_flag(module.CONSUMER_FETCHING)
                records = getmany(timeout=1.0)
                await self.sleep(0)  # getmany may return at once, again and again
                if not self.should_stop:
                    async for tp, message in records:
                        since_yield += 1
                        if since_yield > 100:
                            await asyncio.sleep(0)
                            since_yield = 0
                        offset, read = message.offset, get_read_offset(tp)
                        if read is None or offset >= read:
                            if offset - (read or 0) > 1 and read and acks_enabled_for(message.topic):
                                await self._add_gap(tp, read + 1, offset)
                            if self._commit_every is not None and self._n_acked >= self._commit_every:
                                self._n_acked = 0
                                await self.commit()
                            await hand_over(self, callback(message), self.suspend_flow)
                            set_read_offset(tp, offset)
                    self.diag.unset_flag(module.CONSUMER_FETCHING)
        except (*self.consumer_stopped_errors, asyncio.CancelledError):
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(module.CONSUMER_FETCHING)

    consumer_cls._drain_messages = _drain_messages

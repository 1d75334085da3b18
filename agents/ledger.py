"""The ledger's feeder: dispatch, reports and conditions in, database rows out.

A plain consumer process (`patrol ledger run`), not a Faust agent: it keeps
its read positions in the ledger database itself, in the same transaction as
the rows a batch wrote, so a crash at any point neither loses nor doubles a
row; the rows are upserts keyed by the ids the records carry, so a replay of
the same records (a new consumer, a topic re-read from the start) changes
nothing either. No consumer group: one ledger per database, and it never
waits for a group rebalance.

It also tells the teams what the ledger knows: for every dispatch event that
hands a task to a team it sends a `TaskHint` (the linked or the likely file,
as a team may see it) to `task-hints`, keyed by team, read by the console
for the team's phone, its hours in the time zone of the incident's city (the
centre its events name). Hints, like dead letters, reach the broker before the
read positions past their event commit; their ids derive from the event, so
a crash re-sends the same ids. The desk never waits for the database: its
decisions, and a replay's bytes, do not depend on the ledger.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from agents.common import dead_letter, stats
from core import topics as names
from core.errors import RecordError
from core.records import DeadLetter, DispatchEvent, TaskHint
from core.settings import Settings
from ledger.centres import LedgerCentres, deployment_cities
from ledger.db import RowRefused
from ledger.store import LEDGER_TOPICS, Store, apply_record
from pipeline.kafka_compat import reader
from pipeline.kafka_security import client_kwargs

log = logging.getLogger("patrol.ledger")


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str], stop: asyncio.Event) -> list[TopicPartition]:
    """Every partition of the ledger's topics, waiting until the pipeline has created them."""
    warned = False
    while not stop.is_set():
        known = await consumer.topics()
        missing = [t for t in topics if t not in known]
        if not missing:
            return [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not warned:
            log.warning("waiting for topics %s", ", ".join(missing))
            warned = True
        await asyncio.sleep(1.0)
    return []


async def at_end(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> bool:
    """Read up to each partition's high watermark (a fetch's, which Tansu reports right)."""
    for tp in partitions:
        high = consumer.highwater(tp)
        if high is None or await consumer.position(tp) < high:
            return False
    return True


def _hints(store: Store, events: list[tuple[DispatchEvent, ConsumerRecord]], zone: Callable[[DispatchEvent], ZoneInfo],
           letters: list[DeadLetter]) -> list[TaskHint]:
    """The batch's task hints; an event whose hint cannot be made becomes a dead letter (its rows stay written)."""
    try:
        return store.task_hints([ev for ev, _ in events], zone)
    except Exception:  # one bad event must not cost the others their hints: retry one by one
        log.exception("task hints of a batch failed; retrying event by event")
    out: list[TaskHint] = []
    for ev, record in events:
        try:
            out += store.task_hints([ev], zone)
        except Exception as exc:
            letters.append(dead_letter(names.DISPATCH, record.value, RecordError(f"task hint: {type(exc).__name__}: {exc}", kind="hint_failed"), key=record.key, offset=record.offset))
    return out


async def read_task_hints(settings: Settings, bootstrap: str, timeout_s: float = 60.0) -> list[TaskHint]:
    """Every hint on `task-hints` so far, in order (drills and tools; a phone gets its own through the console)."""
    consumer = reader(settings, bootstrap)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, [settings.topic(names.TASK_HINTS)], asyncio.Event())
        consumer.assign(partitions)
        for tp in partitions:
            await consumer.seek_to_beginning(tp)
        out: list[TaskHint] = []
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            batches = await consumer.getmany(timeout_ms=100)
            out += [TaskHint.from_dict(json.loads(r.value)) for tp in sorted(batches, key=lambda t: t.partition) for r in batches[tp]]
            if not batches and (await at_end(consumer, partitions) or asyncio.get_running_loop().time() > deadline):
                return out
    finally:
        await consumer.stop()


def _unfolded_letters(store: Store) -> list[DeadLetter]:
    """A dead letter per incident whose row could not be folded from its stored events (its last row stays); the
    payload's `unfolded` keeps its id apart from any record's."""
    return [
        dead_letter(names.DISPATCH, json.dumps({"incident_id": incident_id, "unfolded": True}, ensure_ascii=False).encode(),
                    RecordError(f"the ledger could not fold incident {incident_id}'s row from its events: {why}", kind="ledger_refused"),
                    key=incident_id.encode())
        for incident_id, why in store.take_unfolded()
    ]


async def run_ledger(settings: Settings, bootstrap: str, store: Store, stop: asyncio.Event | None = None, *, until_caught_up: bool = False) -> int:
    """Feed the ledger until `stop` is set, forever, or (`until_caught_up`) until it has read all there is.

    Returns the number of records read.
    """
    stop = stop or asyncio.Event()
    counters = stats("ledger")
    by_full = {settings.topic(t): t for t in LEDGER_TOPICS}
    consumer = reader(settings, bootstrap, client_id="patrol-ledger")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="patrol-ledger", **client_kwargs(settings))
    await consumer.start()
    await producer.start()
    try:
        partitions = await _partitions(consumer, list(by_full), stop)
        consumer.assign(partitions)
        stored = store.offsets()
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                await consumer.seek_to_beginning(tp)
        dead_letters = settings.topic(names.DEAD_LETTERS)
        hints_topic = settings.topic(names.TASK_HINTS)
        zone = LedgerCentres(deployment_cities(settings), store.policy.sweep_radius_m).zone
        read = 0
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            if not batches:
                if until_caught_up and await at_end(consumer, partitions):
                    break
                continue
            with store.batch():
                letters = []
                events: list[tuple[DispatchEvent, ConsumerRecord]] = []
                for tp, records in batches.items():
                    short = by_full[tp.topic]
                    for record in records:
                        try:
                            with store.db.savepoint():  # a row the database refuses undoes only its own record's writes
                                event = apply_record(store, short, record.value)
                            if event is not None:
                                events.append((event, record))
                        except (RecordError, RowRefused) as exc:
                            counters.dead_letters += 1
                            reason = exc if isinstance(exc, RecordError) else RecordError(f"the ledger database refused it: {exc}", kind="ledger_refused")
                            letters.append(dead_letter(short, record.value, reason, key=record.key, offset=record.offset))
                        counters.tick()
                    store.set_offset(tp.topic, tp.partition, records[-1].offset + 1)
                    read += len(records)
                # The dead letters reach the broker before the positions past them commit
                # (a crash in between re-sends them under the same ids).
                hints = _hints(store, events, zone, letters)
                store.settle()
                unfolded = _unfolded_letters(store)
                counters.dead_letters += len(unfolded)
                letters.extend(unfolded)
                for letter in letters:
                    await producer.send_and_wait(dead_letters, key=letter.event_id.encode(), value=letter.to_json())
                for hint in hints:
                    await producer.send_and_wait(hints_topic, key=hint.team_id.encode(), value=hint.to_json())
        return read
    finally:
        await producer.stop()
        await consumer.stop()

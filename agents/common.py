"""What every agent shares: dead letters, sending records, liveness counters."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from faust.streams import _current_event

from core import topics as names
from core.errors import RecordError
from core.records import DeadLetter, DispatchEvent, Report, Wire, dead_letter_id, decoded
from pipeline.metrics import CHANGELOG_SUFFIX, RECORDS_OUT, count_outputs

log = logging.getLogger("patrol.agents")

# Agents take their input in batches of what has arrived, up to BATCH_MAX
# records: per-record wake-ups and delivery waits cost more than the records
# themselves, and a batch's fixed costs (two waits for the broker) are paid
# once for everything that queued up while the previous batch was out.
BATCH_MAX = 500


async def batches(stream: Any, most: int = BATCH_MAX) -> AsyncIterator[list[Any]]:
    """The stream's events in batches of what is waiting, acknowledged only once the agent has finished a batch.

    Faust's `take_events` polls: it wakes the agent every `within` seconds even
    when nothing arrived (half of an idle worker's CPU), hands over only what
    the stream delivered in that window, and acknowledges a batch in a
    `finally`, so a batch interrupted by a stop (the agent cancelled mid-batch)
    was committed and lost. Here the stream runs in the background, filling
    the next batch while the agent works on the current one; the agent wakes
    when something arrives and takes everything waiting (at most `most`, the
    stream pausing beyond that); a batch is acknowledged after the agent has
    finished it, never when it is interrupted (the next owner processes it
    again, with the same event ids).
    """
    waiting: list[Any] = []
    arrived, room = asyncio.Event(), asyncio.Event()

    async def collect(value: Any) -> Any:
        while len(waiting) >= most:
            room.clear()
            await stream.wait(room)
        waiting.append(stream.current_event)
        arrived.set()
        return value

    acks = stream.enable_acks
    stream.enable_acks = False  # acknowledged here, per finished batch
    stream.add_processor(collect)
    stream._enable_passive(aiter(stream.channel))
    try:
        while not await stream.wait_for_stopped(arrived):
            batch = waiting[:]
            waiting.clear()
            arrived.clear()
            room.set()
            yield batch
            for event in batch:  # reached only when the agent finished the batch
                await stream.ack(event)
    finally:
        stream.enable_acks = acks
        stream._processors.remove(collect)


@dataclass
class AgentStats:
    """Liveness of one agent: a stalled agent stops moving `last_progress`."""

    processed: int = 0
    dead_letters: int = 0
    internal_errors: int = 0
    last_progress: float = field(default_factory=time.monotonic)

    def tick(self) -> None:
        self.processed += 1
        self.last_progress = time.monotonic()


STATS: dict[str, AgentStats] = {}


def stats(name: str) -> AgentStats:
    return STATS.setdefault(name, AgentStats())


# A dead letter must fit in one broker message: the producer refuses a record over its request limit (Faust's
# producer_max_request_size, core.topics.MAX_MESSAGE_BYTES) by raising, and an agent that cannot send a dead letter dies and meets
# the same record again at its restart. The payload's JSON escaping can make it six times its bytes (a control
# character is written \u0001, an undecodable byte becomes U+FFFD), so a payload is cut when the letter would be larger.
MAX_DEAD_LETTER_BYTES = 512 * 1024
MAX_DEAD_REASON_CHARS = 2000
MAX_DEAD_KEY_CHARS = 1000
DEAD_PAYLOAD_KEPT_CHARS = MAX_DEAD_LETTER_BYTES // 8  # at most 6 bytes each once escaped, with room for the rest


def read_dispatch(data: Any) -> DispatchEvent:
    """A dispatch event as a downstream agent reads it: times without their offset or outside the plausible years are
    a RecordError (dead-lettered), not a partner notice `sent` at the server's local time or a reply dated 9999."""
    return decoded(DispatchEvent, data)


# How many dispatch events `dispatch_of` keeps: the worker's readers of `dispatch` (partner notices, replies) take the
# same records a batch or two apart, batches of at most BATCH_MAX.
DISPATCH_READS_KEPT = 2 * BATCH_MAX


@functools.lru_cache(maxsize=DISPATCH_READS_KEPT)
def _dispatch_of(raw: bytes) -> DispatchEvent:
    return read_dispatch(json.loads(raw))


def dispatch_of(raw: bytes) -> DispatchEvent:
    """`read_dispatch(json.loads(raw))`, once per record for all the worker's readers of `dispatch`.

    Each agent reading the topic decoded and checked every event (about 40
    fields, two nested help points) anew: some 0.1 ms a tip twice. The event
    is frozen and its readers only read it, so the agents share one; a record
    that fails is not kept and fails alike for each.
    """
    if type(raw) is not bytes:  # only bytes are hashable and immutable
        return read_dispatch(json.loads(raw))
    return _dispatch_of(raw)


def dead_letter(source_topic: str, raw: bytes | None, error: Exception, *, key: bytes | None = None, offset: int | None = None) -> DeadLetter:
    """A dead letter carrying the reason and the original payload, with a stable id.

    The payload is kept whole unless the letter would exceed MAX_DEAD_LETTER_BYTES: then its first
    DEAD_PAYLOAD_KEPT_CHARS characters are kept and the reason says so (the id still derives from the whole payload).
    """
    try:
        payload, exact = (raw or b"").decode("utf-8"), None
    except UnicodeDecodeError:  # bytes that are not UTF-8 lose their text to replacement characters: kept whole beside it
        payload, exact = (raw or b"").decode("utf-8", errors="replace"), base64.b64encode(raw or b"").decode("ascii")
    if isinstance(error, RecordError):
        reason, error_kind = error.reason, error.kind
    else:
        reason, error_kind = f"internal error: {type(error).__name__}: {error}", "internal_error"
    if len(reason) > MAX_DEAD_REASON_CHARS:
        reason = reason[:MAX_DEAD_REASON_CHARS] + "..."
    letter = DeadLetter(
        topic=source_topic,
        reason=reason,
        payload=payload,
        error=error_kind,
        key=key.decode("utf-8", errors="replace")[:MAX_DEAD_KEY_CHARS] if key else None,
        offset=offset,
        event_id=dead_letter_id(source_topic, raw),
        payload_b64=exact,
    )
    if len(payload) > DEAD_PAYLOAD_KEPT_CHARS and len(letter.to_json()) > MAX_DEAD_LETTER_BYTES:
        cut = f" (payload cut to its first {DEAD_PAYLOAD_KEPT_CHARS} characters of {len(raw or b'')} bytes: too large for a dead letter)"
        kept = base64.b64encode((raw or b"")[: DEAD_PAYLOAD_KEPT_CHARS // 2]).decode("ascii") if exact else None
        letter = replace(letter, payload=payload[:DEAD_PAYLOAD_KEPT_CHARS], reason=reason + cut, payload_b64=kept)
    return letter


class Outbox:
    """Sends records to the app's topics by short name, straight to the producer.

    Faust's `topic.send` wraps each record in a pending message and a future
    and gives the event loop a turn per record: a desk batch of 60 dispatch
    events took 15-35 ms to hand over that way, 0.5 ms through the producer
    (same partitioner, same bytes). Records out are counted here, as Faust's
    sensor counts only what goes through its topics.
    """

    def __init__(self, topics: Any) -> None:
        self._topics = topics

    async def send_raw(self, name: str, key: bytes | None, value: bytes, headers: Mapping[str, bytes] | None = None) -> Any:
        """Queue one record; the returned future resolves when the broker has it."""
        producer = await self._topics.app.maybe_start_producer()  # the transaction manager under exactly_once
        RECORDS_OUT.labels(name).inc()
        return await producer.send(self._topics.settings.topic(name), key, value, partition=None, timestamp=None, headers=headers)

    async def send_all(self, records: list[tuple[str, str | None, Wire]]) -> None:
        """Send and wait until the broker has every record (before state moves on)."""
        count_outputs(records)
        futures = [await self.send_raw(name, key.encode("utf-8") if key else None, record.to_json()) for name, key, record in records]
        for future in futures:
            await future

    def dead_letter_record(self, source: str, raw: bytes | None, error: Exception, event: Any = None) -> tuple[str, str | None, Wire]:
        """The dead letter for one failed record, ready for `send_all`."""
        message = getattr(event, "message", None)
        letter = dead_letter(
            source,
            raw,
            error,
            key=getattr(message, "key", None),
            offset=getattr(message, "offset", None),
        )
        if not isinstance(error, RecordError):
            log.exception("internal error on %s, record dead-lettered", source, exc_info=error)
        return (names.DEAD_LETTERS, letter.event_id, letter)

    async def dead(self, source: str, raw: bytes | None, error: Exception, event: Any = None) -> None:
        await self.send_all([self.dead_letter_record(source, raw, error, event)])


Output = tuple[str, str | None, Wire]

TableChanges = tuple[Any, Mapping[str, Any]]  # a Faust table and its new values by key (None deletes)


async def save_tables(app: Any, event: Any, *changes: TableChanges, flush: bool = True) -> bool:
    """Write a batch's table changes and wait until their changelog records reach the broker.

    Call it after the batch's outputs were sent: outputs first, then the state
    that says they were made, so a crash in between replays the inputs and
    re-sends the same event ids. Each change goes into the table's store and,
    as Faust would write it (its own key and value serialisation, the
    partition of `event`, the batch's last: a batch has no current event of
    its own), straight to the producer: a Faust table write is a pending
    message that a buffer task publishes one event-loop turn per record, and
    Faust's flush then waits per record (about 15 % of the worker's CPU went
    there). A key set to None is deleted (a tombstone), when present. The
    wait matters because a graceful stop cancels pending sends yet commits
    the offsets of acknowledged events: without it a worker leaving
    mid-stream lost state, and then decisions. `flush=False` leaves that wait
    to the caller (one wait for several calls); the result says whether
    anything was written.
    """
    producer = await app.maybe_start_producer()  # the transaction manager under exactly_once
    _current_event.set(weakref.ref(event))
    written = False
    for table, values in changes:
        if not values:
            continue
        topic = table.changelog_topic
        name = topic.get_topic_name()
        partition = table.partition_for_key(None)  # the event's, once Faust checked the changelog matches its topic
        for key, value in values.items():
            raw_key, headers = topic.prepare_key(key, table.key_serializer, None, {})
            if value is None:
                if key not in table.data:
                    continue
                del table.data[key]
                raw_value = None
            else:
                table.data[key] = value
                raw_value, headers = topic.prepare_value(value, table.value_serializer, None, headers)
            await producer.send(name, raw_key, raw_value, partition=partition, timestamp=None, headers=headers)
            RECORDS_OUT.labels(f"{table.name}{CHANGELOG_SUFFIX}").inc()  # stable across runs, whatever the app id
            written = True
    if written and flush:
        await app.producer.flush()
    return written


def forget_on_revoke(app: Any, forget: Callable[[], None]) -> None:
    """Call `forget` whenever this worker's partitions are revoked.

    Agents keep a table's state in memory between batches for speed. When a
    rebalance moves a partition away and later back, the table is recovered
    from its changelog but such a cache would still hold what this worker knew
    before, and the agent would decide on stale state. Dropping it makes the
    next batch rebuild from the (recovered) table.
    """

    async def on_revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        forget()

    app.on_partitions_revoked.connect(on_revoked, weak=False)


def register_report_agent(
    app: Any,
    topics: Any,
    *,
    name: str,
    source: str,
    to_report: Callable[[bytes], Report | tuple[Report, list[Output]]],
) -> None:
    """An agent that turns each record of `source` into a report, or a dead letter naming why not.

    A batch is acknowledged (and its offsets become committable) only after
    the broker has every report and dead letter it produced; one bad record
    never stops the agent. `to_report` may also give more records of a good
    input (a reporter contact) with the report: they are sent, and acknowledged by the broker,
    before the batch's reports, so nothing downstream of a report misses them.
    """
    outbox = Outbox(topics)
    counters = stats(name)

    async def agent(stream: Any) -> None:
        async for batch in batches(stream):
            side: list[Output] = []
            records: list[Output] = []
            for event in batch:
                raw = event.value
                try:
                    converted = to_report(raw)
                    if isinstance(converted, tuple):
                        report, extra = converted
                        side.extend(extra)
                    else:
                        report = converted
                    records.append((names.REPORTS, report.centre, report))  # one centre, one desk partition
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(source, raw, exc, event))
                counters.tick()
            if side:
                await outbox.send_all(side)
            await outbox.send_all(records)

    app.agent(topics(source), name=name)(agent)

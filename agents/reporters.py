"""Reporter contacts and dispatch events in, replies to reporters out (`reporter-feedback`).

Thin: `rules.reporters.ReplyWriter` decides. The contact comes from the
intake (`reporter-contacts`, written before the tip's report) and is kept
per tip (under its centre: `reply_key`) in a changelogged table with the replies already sent, so a
redelivered event never messages a reporter twice. The two topics are read
in one stream but not in a guaranteed order: an event read before its tip's
contact is remembered (in memory, bounded) and answered when the contact
comes.

Retention (`[replies]` of the policy, `rules.reporters`): the writer's clock
(the latest dispatch event read) is kept in the table under `CLOCK_KEY` (no
tip id has a control character), so a restart drops the same stale records;
every `SWEEP_EVERY` of event time the table is swept and the entries the
writer says are expired are deleted (tombstones on the changelog, which
compacts them away).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from agents.common import Outbox, Output, batches, dispatch_of, forget_on_revoke, save_tables, stats
from core import topics as names
from core.records import DispatchEvent, ReporterContact
from rules.context import Province
from rules.reporters import ReplyWriter, TipReplies, reply_key

DEFAULT_HOTLINE = "12349"
CLOCK_KEY = "\x00clock"  # the writer's clock; tip ids refuse control characters
SWEEP_EVERY = timedelta(minutes=10)


def _state(states: dict[str, TipReplies], table: Any, key: str) -> TipReplies:
    """A tip's replies (under its `reply_key`) as this batch left them, else as the table has them."""
    if key not in states:
        states[key] = TipReplies.from_dict(table.get(key))
    return states[key]


def sweep(writer: ReplyWriter, entries: Any) -> dict[str, dict[str, Any] | None]:
    """Table changes of a sweep: None (a delete) for each expired entry; entries written before retention get the
    clock as their contact's time (their retention starts now)."""
    changes: dict[str, dict[str, Any] | None] = {}
    for tip_id, data in entries:
        if tip_id == CLOCK_KEY:
            continue
        state = TipReplies.from_dict(data)
        if state.read_at is None and writer.clock is not None:
            state.read_at = writer.clock
            changes[tip_id] = state.to_dict()
        elif writer.expired(state):
            changes[tip_id] = None
    return changes


def take(writer: ReplyWriter, province: Province, short: str, raw: bytes, states: dict[str, TipReplies], table: Any) -> list[Output]:
    """The replies one record of `reporter-contacts` or `dispatch` calls for; `states` gains the tips' replies it changed,
    each under its `reply_key` (the tip's centre: a contact naming none, written before centres, is the first city's)."""
    first = next(iter(province.centres))
    if short == names.REPORTER_CONTACTS:
        contact = ReporterContact.from_dict(json.loads(raw))
        if contact.centre not in province.centres:
            contact = replace(contact, centre=first)
        key = reply_key(contact.centre, contact.tip_id)
        due, states[key] = writer.contact(contact, _state(states, table, key))
        return [(names.REPORTER_FEEDBACK, contact.tip_id, feedback) for feedback in due]
    ev = dispatch_of(raw)
    if (centre := province.centre_of(ev) or first) != ev.centre:
        ev = replace(ev, centre=centre)
    out: list[Output] = []
    for tip_id in ev.sources:
        key = reply_key(centre, tip_id)
        feedback, states[key] = writer.handle(ev, tip_id, _state(states, table, key))
        if feedback is not None:
            out.append((names.REPORTER_FEEDBACK, tip_id, feedback))
    return out


def hotlines(province: Province) -> Callable[[DispatchEvent], str]:
    """The hotline a reply names: that of the partners of the incident's centre (`Province.centre_of`, as partner notices are routed)."""
    numbers = {centre: ctx.city.partners.contact if ctx.city.partners is not None else DEFAULT_HOTLINE
               for centre, ctx in province.centres.items()}
    first = next(iter(numbers.values()))
    return lambda ev: numbers.get(province.centre_of(ev) or "", first)


def register(app: Any, topics: Any, province: Province, *, exercise: bool) -> None:
    outbox = Outbox(topics)
    counters = stats("reporters")
    policy = province.first.policy
    writer = ReplyWriter(hotline=hotlines(province), exercise=exercise,
                         keep_after_end=timedelta(hours=policy.reply_keep_after_end_h),
                         keep_unanswered=timedelta(hours=policy.reply_keep_unanswered_h))
    table = app.Table("reporter-replies", default=None, partitions=1, key_type=str)
    swept: list[datetime | None] = [None]  # event time of the last sweep; None: load the clock from the table first
    forget_on_revoke(app, lambda: swept.__setitem__(0, None))
    inputs = (names.REPORTER_CONTACTS, names.DISPATCH)
    by_full_name = {topics.settings.topic(short): short for short in inputs}
    source = app.topic(*by_full_name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw", partitions=1)

    @app.agent(source, name="reporters")
    async def reporters(stream: Any) -> None:
        async for batch in batches(stream):
            if swept[0] is None:  # at start (the table recovered): the clock the last batch left
                kept = (table.get(CLOCK_KEY) or {}).get("clock")
                writer.clock = max(filter(None, (writer.clock, datetime.fromisoformat(kept) if kept else None)), default=None)
            records: list[tuple[str, str | None, Any]] = []
            states: dict[str, TipReplies] = {}
            before = writer.clock
            for event in batch:
                short = by_full_name.get(event.message.topic, event.message.topic)
                raw = event.value
                try:
                    records += take(writer, province, short, raw, states, table)
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(short, raw, exc, event))
                counters.tick()
            await outbox.send_all(records)
            saved: dict[str, Any] = {tip_id: None if writer.expired(replies) else replies.to_dict()
                                     for tip_id, replies in states.items() if replies.contact is not None}
            if writer.clock is not None and (swept[0] is None or writer.clock - swept[0] >= SWEEP_EVERY):
                swept[0] = writer.clock
                saved.update((k, v) for k, v in sweep(writer, list(table.items())).items() if k not in saved)
            if writer.clock is not None and writer.clock != before:
                saved[CLOCK_KEY] = {"clock": writer.clock.isoformat()}
            await save_tables(app, batch[-1], (table, saved))

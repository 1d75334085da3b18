"""Reporter contacts and dispatch events in, replies to reporters out (`reporter-feedback`).

Thin: `rules.reporters.ReplyWriter` decides. The contact comes from the
intake (`reporter-contacts`, written before the tip's report) and is kept
per tip in a changelogged table with the replies already sent, so a
redelivered event never messages a reporter twice. The two topics are read
in one stream but not in a guaranteed order: an event read before its tip's
contact is remembered (in memory, bounded) and answered when the contact
comes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agents.common import Outbox, batches, read_dispatch, save_tables, stats
from core import topics as names
from core.records import DispatchEvent, ReporterContact
from rules.context import Province
from rules.reporters import ReplyWriter, TipReplies

DEFAULT_HOTLINE = "12349"


def _state(states: dict[str, TipReplies], table: Any, tip_id: str) -> TipReplies:
    """A tip's replies as this batch left them, else as the table has them."""
    if tip_id not in states:
        states[tip_id] = TipReplies.from_dict(table.get(tip_id))
    return states[tip_id]


def hotlines(province: Province) -> Callable[[DispatchEvent], str]:
    """The hotline a reply names: that of the partners of the incident's centre (`Province.centre_of`, as partner notices are routed)."""
    numbers = {centre: ctx.city.partners.contact if ctx.city.partners is not None else DEFAULT_HOTLINE
               for centre, ctx in province.centres.items()}
    first = next(iter(numbers.values()))
    return lambda ev: numbers.get(province.centre_of(ev) or "", first)


def register(app: Any, topics: Any, province: Province, *, exercise: bool) -> None:
    outbox = Outbox(topics)
    counters = stats("reporters")
    writer = ReplyWriter(hotline=hotlines(province), exercise=exercise)
    table = app.Table("reporter-replies", default=None, partitions=1, key_type=str)
    inputs = (names.REPORTER_CONTACTS, names.DISPATCH)
    by_full_name = {topics.settings.topic(short): short for short in inputs}
    source = app.topic(*by_full_name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw", partitions=1)

    @app.agent(source, name="reporters")
    async def reporters(stream: Any) -> None:
        async for batch in batches(stream):
            records: list[tuple[str, str | None, Any]] = []
            states: dict[str, TipReplies] = {}
            for event in batch:
                short = by_full_name.get(event.message.topic, event.message.topic)
                raw = event.value
                try:
                    data = json.loads(raw)
                    if short == names.REPORTER_CONTACTS:
                        contact = ReporterContact.from_dict(data)
                        due, states[contact.tip_id] = writer.contact(contact, _state(states, table, contact.tip_id))
                        records += [(names.REPORTER_FEEDBACK, contact.tip_id, feedback) for feedback in due]
                    else:
                        ev = read_dispatch(data)
                        for tip_id in ev.sources:
                            feedback, states[tip_id] = writer.handle(ev, tip_id, _state(states, table, tip_id))
                            if feedback is not None:
                                records.append((names.REPORTER_FEEDBACK, tip_id, feedback))
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(short, raw, exc, event))
                counters.tick()
            await outbox.send_all(records)
            saved = {tip_id: replies.to_dict() for tip_id, replies in states.items() if replies.contact is not None}
            await save_tables(app, batch[-1], (table, saved))

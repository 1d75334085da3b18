"""Tips in, reports out: validate, read flags from text, put on the map.

A tip that leaves a reporter contact also yields a `reporter-contacts`
record, written before its report: the reply agent knows the contact before
any dispatch event can name the tip.
"""

from __future__ import annotations

from typing import Any

from agents.common import BATCH_MAX, BATCH_WITHIN_S, Outbox, stats
from core import topics as names
from rules.context import Context
from rules.intake import parse_json, parse_tip, tip_contact, tip_report


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("intake")

    @app.agent(topics(names.TIPS), name="intake")
    async def intake(stream: Any) -> None:
        # A batch is acknowledged (and its offsets become committable) only
        # after the broker has every report and dead letter it produced.
        async for batch in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            contacts: list[tuple[str, str | None, Any]] = []
            records: list[tuple[str, str | None, Any]] = []
            for event in batch:
                raw = event.value
                try:
                    tip = parse_tip(parse_json(raw), ctx)
                    report = tip_report(tip, ctx)
                    contact = tip_contact(tip)
                    if contact is not None:
                        contacts.append((names.REPORTER_CONTACTS, contact.tip_id, contact))
                    records.append((names.REPORTS, report.district, report))
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(names.TIPS, raw, exc, event))
                counters.tick()
            if contacts:
                await outbox.send_all(contacts)
            await outbox.send_all(records)

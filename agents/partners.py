"""Dispatch events in, partner notices out (CAP 1.2 on `partner-notices`).

Thin: `rules.partners.NoticeWriter` decides; a changelogged table keeps what
each partner was told per incident, so a restart continues the same threads
(Update/Cancel reference the earlier Alert) with the same identifiers.
Each incident's notices go to the partners of its centre, the one whose desk
wrote the event (`Province.centre_of`; a many-city deployment has one
partner list per city).
"""

from __future__ import annotations

from typing import Any

from agents.common import Outbox, batches, dispatch_of, save_tables, stats
from core import topics as names
from rules.context import Province
from rules.partners import NoticeWriter, Thread


def register(app: Any, topics: Any, province: Province, *, exercise: bool) -> None:
    writers = {
        centre: NoticeWriter(ctx.city.partners, ctx.city.timezone, exercise=exercise, team_name={t.team_id: t.name for t in ctx.city.teams}.get)
        for centre, ctx in province.centres.items()
        if ctx.city.partners is not None
    }
    if not writers:
        return  # no city names partners: nothing to notify
    outbox = Outbox(topics)
    counters = stats("partners")
    threads = app.Table("partner-threads", default=None, partitions=1, key_type=str)

    @app.agent(topics(names.DISPATCH), name="partners")
    async def partner_notices(stream: Any) -> None:
        async for batch in batches(stream):
            records: list[tuple[str, str | None, Any]] = []
            updates: dict[str, dict[str, Any]] = {}
            for event in batch:
                raw = event.value
                try:
                    ev = dispatch_of(raw)
                    writer = writers.get(province.centre_of(ev) or "")
                    if writer is None:
                        counters.tick()
                        continue  # that centre's city names no partners
                    saved = updates.get(ev.incident_id, threads.get(ev.incident_id)) or {}
                    before = {p: Thread.from_dict(t) for p, t in saved.items()}
                    notices, after = writer.handle(ev, before)
                    records += [(names.PARTNER_NOTICES, n.incident_id, n) for n in notices]
                    if after != before:
                        updates[ev.incident_id] = {p: t.to_dict() for p, t in after.items()}
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(names.DISPATCH, raw, exc, event))
                counters.tick()
            # Notices reach the broker before the threads that say they were sent.
            await outbox.send_all(records)
            await save_tables(app, batch[-1], (threads, {i: value or None for i, value in updates.items()}))

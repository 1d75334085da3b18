"""Dispatch events in, partner notices out (CAP 1.2 on `partner-notices`).

Thin: `rules.partners.NoticeWriter` decides; a changelogged table keeps what
each partner was told per incident, so a restart continues the same threads
(Update/Cancel reference the earlier Alert) with the same identifiers.
"""

from __future__ import annotations

import json
from typing import Any

from agents.common import BATCH_MAX, BATCH_WITHIN_S, Outbox, save_tables, stats
from core import topics as names
from core.records import DispatchEvent
from rules.context import Context
from rules.partners import NoticeWriter, Thread


def register(app: Any, topics: Any, ctx: Context, *, exercise: bool) -> None:
    partners = ctx.city.partners
    if partners is None:
        return  # the city names no partners: nothing to notify
    outbox = Outbox(topics)
    counters = stats("partners")
    team_names = {t.team_id: t.name for t in ctx.city.teams}
    writer = NoticeWriter(partners, ctx.city.timezone, exercise=exercise, team_name=team_names.get)
    threads = app.Table("partner-threads", default=None, partitions=1, key_type=str)

    @app.agent(topics(names.DISPATCH), name="partners")
    async def partner_notices(stream: Any) -> None:
        async for batch in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            records: list[tuple[str, str | None, Any]] = []
            updates: dict[str, dict[str, Any]] = {}
            for event in batch:
                raw = event.value
                try:
                    ev = DispatchEvent.from_dict(json.loads(raw))
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

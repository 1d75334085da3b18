"""Tips in, reports out: validate, read flags from text, put on the map."""

from __future__ import annotations

from typing import Any

from agents.common import Outbox, stats
from pipeline import topics as names
from pipeline.context import Context
from pipeline.intake import parse_json, parse_tip, tip_report


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("intake")

    @app.agent(topics(names.TIPS), name="intake")
    async def intake(stream: Any) -> None:
        async for event in stream.events():
            raw = event.value
            try:
                report = tip_report(parse_tip(parse_json(raw), ctx), ctx)
                await outbox.send(names.REPORTS, report.district, report)
            except Exception as exc:  # never let one record stop the agent
                counters.dead_letters += 1
                await outbox.dead(names.TIPS, raw, exc, event)
            counters.tick()

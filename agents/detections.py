"""Detections (from the detector or edge devices) in, reports out."""

from __future__ import annotations

from typing import Any

from agents.common import Outbox, stats
from pipeline import topics as names
from pipeline.context import Context
from pipeline.intake import detection_report, parse_detection, parse_json


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("detections")

    @app.agent(topics(names.DETECTIONS), name="detections")
    async def detections(stream: Any) -> None:
        async for event in stream.events():
            raw = event.value
            try:
                report = detection_report(parse_detection(parse_json(raw), ctx), ctx)
                await outbox.send(names.REPORTS, report.district, report)
            except Exception as exc:
                counters.dead_letters += 1
                await outbox.dead(names.DETECTIONS, raw, exc, event)
            counters.tick()

"""Detections (from the detector or edge devices) in, reports out."""

from __future__ import annotations

from typing import Any

from agents.common import BATCH_MAX, BATCH_WITHIN_S, Outbox, stats
from core import topics as names
from rules.context import Context
from rules.intake import detection_report, parse_detection, parse_json


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("detections")

    @app.agent(topics(names.DETECTIONS), name="detections")
    async def detections(stream: Any) -> None:
        # A batch is acknowledged (and its offsets become committable) only
        # after the broker has every report and dead letter it produced.
        async for batch in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            records: list[tuple[str, str | None, Any]] = []
            for event in batch:
                raw = event.value
                try:
                    report = detection_report(parse_detection(parse_json(raw), ctx), ctx)
                    records.append((names.REPORTS, report.district, report))
                except Exception as exc:  # never let one record stop the agent
                    counters.dead_letters += 1
                    records.append(outbox.dead_letter_record(names.DETECTIONS, raw, exc, event))
                counters.tick()
            await outbox.send_all(records)

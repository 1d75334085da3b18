"""Detections (from the detector or edge devices) in, reports out."""

from __future__ import annotations

from typing import Any

from agents.common import register_report_agent
from core import topics as names
from rules.context import Context
from rules.intake import detection_report, parse_detection, parse_json


def register(app: Any, topics: Any, ctx: Context) -> None:
    register_report_agent(
        app,
        topics,
        name="detections",
        source=names.DETECTIONS,
        to_report=lambda raw: detection_report(parse_detection(parse_json(raw), ctx), ctx),
    )

"""Detections (from the detector or edge devices) in, reports out."""

from __future__ import annotations

from typing import Any

from agents.common import register_report_agent
from core import topics as names
from core.records import Report
from rules.context import Province
from rules.intake import detection_report, parse_detection, parse_json


def register(app: Any, topics: Any, province: Province) -> None:
    def to_report(raw: bytes) -> Report:
        obj = parse_json(raw)
        centre, ctx = province.context_for(obj)
        return detection_report(parse_detection(obj, ctx), ctx, centre)

    register_report_agent(app, topics, name="detections", source=names.DETECTIONS, to_report=to_report)

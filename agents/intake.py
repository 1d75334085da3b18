"""Tips in, reports out: validate, read flags from text, put on the map."""

from __future__ import annotations

from typing import Any

from agents.common import register_report_agent
from core import topics as names
from rules.context import Context
from rules.intake import parse_json, parse_tip, tip_report


def register(app: Any, topics: Any, ctx: Context) -> None:
    register_report_agent(
        app, topics, name="intake", source=names.TIPS, to_report=lambda raw: tip_report(parse_tip(parse_json(raw), ctx), ctx)
    )

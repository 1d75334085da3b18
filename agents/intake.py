"""Tips in, reports out: validate, read flags from text, put on the map.

A tip that leaves a reporter contact also yields a `reporter-contacts`
record, written before its report: the reply agent knows the contact before
any dispatch event can name the tip.
"""

from __future__ import annotations

from typing import Any

from agents.common import Output, register_report_agent
from core import topics as names
from core.records import Report
from rules.context import Province
from rules.intake import parse_json, parse_tip, tip_contact, tip_report


def register(app: Any, topics: Any, province: Province) -> None:
    def to_report(raw: bytes) -> tuple[Report, list[Output]]:
        obj = parse_json(raw)
        centre, ctx = province.context_for(obj)  # the city that holds it reads it
        tip = parse_tip(obj, ctx)
        contact = tip_contact(tip, centre)
        report = tip_report(tip, ctx, centre)
        return report, [] if contact is None else [(names.REPORTER_CONTACTS, contact.tip_id, contact)]

    register_report_agent(
        app,
        topics,
        name="intake",
        source=names.TIPS,
        to_report=to_report,
    )

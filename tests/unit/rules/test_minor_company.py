"""A minor alone is the mandatory report to the police (强制报告); a minor with a parent is a minor, not that report."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from core.records import DispatchEvent
from rules.context import Context
from rules.desk import Desk, Outputs
from rules.intake import parse_tip, tip_report
from rules.partners import NoticeWriter
from rules.triage import assess, waived_flags
from rules.weather import RegionConditions
from tests.unit.rules.deskkit import CENTRE, EVENING, TZ, team

ACCOMPANIED = [
    "一个妈妈带着孩子在桥洞下",
    "桥洞下有个女的抱着孩子，挺冷的",
    "娘俩在公交站坐着，孩子冻得直哭",
    "a woman with a baby at the bus stop",
    "a mother and child under the bridge",
    "a lady with her kid sitting outside the mall",
]
ALONE = [
    "一个小孩一个人在桥洞下",
    "有个孩子独自坐在站台上，没有大人",
    "a child alone at the bus stop",
    "an unaccompanied kid by the river",
]
UNSAID = ["桥洞下有个孩子", "a kid under the bridge"]


def tip(ctx: Context, text: str, n: int = 1, minutes: float = 0.0) -> Any:
    return parse_tip({"tip_id": f"tip-{n}", "channel": "hotline", "text": text, "lat": CENTRE[0], "lon": CENTRE[1],
                      "reported_at": (EVENING + timedelta(minutes=minutes)).isoformat()}, ctx)


def feed(desk: Desk, ctx: Context, text: str, n: int = 1, minutes: float = 0.0) -> Outputs:
    return desk.handle_report(tip_report(tip(ctx, text, n, minutes), ctx))


def last_event(out: Outputs) -> DispatchEvent:
    return [e for e in out.events if isinstance(e, DispatchEvent)][-1]


@pytest.mark.parametrize("text", ACCOMPANIED)
def test_a_minor_with_a_parent_is_a_minor_but_not_the_mandatory_report(ctx: Context, desk: Desk, text: str) -> None:
    read = tip(ctx, text)
    assert "minor" in read.flags and read.company == "accompanied"
    team(desk, "T-1", 300)
    ev = last_event(feed(desk, ctx, text))
    assert (ev.category, ev.priority) == ("escort_station", "P2")
    assert "police" not in ev.notify
    assert "waived:minor" in ev.rules


@pytest.mark.parametrize("text", ALONE + UNSAID)
def test_a_minor_alone_or_not_said_to_be_with_anyone_is_reported(ctx: Context, desk: Desk, text: str) -> None:
    read = tip(ctx, text)
    assert "minor" in read.flags and read.company in ("alone", None)
    team(desk, "T-1", 300)
    ev = last_event(feed(desk, ctx, text))
    assert ev.category == "escort_station" and "police" in ev.notify
    assert "waived:minor" not in ev.rules


def test_company_is_read_only_of_a_minor(ctx: Context) -> None:
    assert tip(ctx, "一个男的一个人躺在桥洞下").company is None


def test_alone_wins_when_both_are_said(ctx: Context) -> None:
    assert tip(ctx, "孩子他妈刚才还带着孩子，现在走了，孩子一个人在这").company == "alone"


def test_the_parent_leaving_turns_the_mandatory_report_on(ctx: Context, desk: Desk) -> None:
    team(desk, "T-1", 300)
    first = last_event(feed(desk, ctx, "一个妈妈带着孩子在桥洞下", 1))
    assert "police" not in first.notify
    later = last_event(feed(desk, ctx, "桥洞下那个孩子的妈妈走了，孩子现在没有大人", 2, minutes=5))
    assert later.incident_id == first.incident_id
    assert "police" in later.notify and "waived:minor" not in later.rules
    # A replayed record changes nothing: the incident already says alone.
    again = feed(desk, ctx, "桥洞下那个孩子的妈妈走了，孩子现在没有大人", 2, minutes=5)
    assert not [e for e in again.events if isinstance(e, DispatchEvent)]


def test_the_waiver_keeps_other_notices_and_their_asks(ctx: Context) -> None:
    """An accompanied minor with no identity still goes to the police, asked about the identity, not as a minor alone."""
    weather = RegionConditions()
    result = assess(["minor", "no_id"], policy=ctx.policy, night=False, weather=weather, company="accompanied")
    assert "police" in result.notify and "waived:minor" in result.rules
    assert waived_flags(result.rules) == {"minor"}
    assert ctx.city.partners is not None
    writer = NoticeWriter(ctx.city.partners, TZ, exercise=False)
    ev = DispatchEvent(event_id="inc-x-r1", kind="dispatch", incident_id="inc-x", revision=1, priority="P2",
                       category="escort_station", rules=result.rules, zone_id=None, key_area=None, lat=CENTRE[0],
                       lon=CENTRE[1], sources=("tip-1",), team_id=None, ack_deadline=None, nearest_help_point=None,
                       notify=result.notify, at=EVENING, district="nangang", flags=("minor", "no_id"))
    police = next(n for n in writer.handle(ev, {})[0] if n.partner == "police")
    assert "强制报告" not in police.cap and "identity" in police.cap
    alone = assess(["minor", "no_id"], policy=ctx.policy, night=False, weather=weather, company="alone")
    assert "waived:minor" not in alone.rules
    police = next(n for n in writer.handle(dataclasses.replace(ev, rules=alone.rules), {})[0] if n.partner == "police")
    assert "强制报告" in police.cap

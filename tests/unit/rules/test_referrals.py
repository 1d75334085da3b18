"""A person met with a suspected mental disorder is referred to the mental-health referral platform after the night."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from core.errors import PolicyError
from core.records import DispatchEvent, Report, TaskAck
from core.settings import DATA_DIR
from rules.context import Context
from rules.desk import Desk
from rules.partners import CAP_NS, NoticeWriter
from rules.policy import parse_policy
from rules.referrals import due_at
from tests.capschema import cap_errors
from tests.unit.rules.deskkit import team

TZ = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 12, 20, 23, 0, tzinfo=TZ)
DAWN = datetime(2026, 12, 21, 6, 0, tzinfo=TZ)
NS = {"cap": CAP_NS}
PHONE = "13812345678"


def resolve(desk: Desk, report: Callable[..., Report], outcome: str, flags: tuple[str, ...] = ("mental",)) -> DispatchEvent:
    team(desk, "near", 300, ("medical", "police", "vehicle"), at=NIGHT)
    first = desk.handle_report(report(at=NIGHT, flags=flags, text=f"报警人 {PHONE} 说有人胡言乱语"))
    ev = next(e for e in first.events if e.kind == "dispatch")
    desk.handle_ack(TaskAck(event_id=ev.event_id, team_id="near", status="on_scene", at=NIGHT + timedelta(minutes=20)))
    done = desk.handle_ack(TaskAck(event_id=ev.event_id, team_id="near", status="resolved", outcome=outcome,
                                   at=NIGHT + timedelta(minutes=50)))
    return next(e for e in done.events if e.kind == "resolved")


def referrals(events: list[DispatchEvent]) -> list[DispatchEvent]:
    return [e for e in events if e.kind == "referral"]


def test_due_at_is_the_end_of_the_night_the_person_was_met_in() -> None:
    assert due_at(NIGHT, time(6, 0), TZ) == DAWN
    assert due_at(DAWN - timedelta(hours=1), time(6, 0), TZ) == DAWN
    assert due_at(DAWN, time(6, 0), TZ) == DAWN
    assert due_at(DAWN + timedelta(minutes=1), time(6, 0), TZ) == DAWN + timedelta(days=1)


def test_one_referral_at_the_nights_end_once_per_incident(desk: Desk, report: Callable[..., Report]) -> None:
    resolved = resolve(desk, report, "taken_to_hospital")
    assert referrals(desk.handle_tick(DAWN - timedelta(minutes=1)).events) == []
    (ref,) = referrals(desk.handle_tick(DAWN).events)
    assert ref.incident_id == resolved.incident_id and ref.at == DAWN
    assert ref.outcome == "taken_to_hospital" and ref.resolved_at == NIGHT + timedelta(minutes=50)
    assert "referral:mental_health" in ref.rules and "mental" in ref.flags
    # Later ticks, the same tick again, and a restart from the stored state refer no one twice.
    assert referrals(desk.handle_tick(DAWN).events) == []
    assert referrals(desk.handle_tick(DAWN + timedelta(minutes=1)).events) == []
    stored = json.loads(json.dumps(dict(desk.take_dirty()), default=str))
    again = Desk(desk.ctx, desk.centre)
    again.load_entries([(k, v) for k, v in stored.items() if v is not None])
    assert referrals(again.handle_tick(DAWN + timedelta(minutes=2)).events) == []


def test_a_restart_before_dawn_still_refers_once(desk: Desk, report: Callable[..., Report]) -> None:
    resolve(desk, report, "refused")  # the person was met: refused still goes (a follow-up is scheduled too)
    stored = json.loads(json.dumps(dict(desk.take_dirty()), default=str))
    again = Desk(desk.ctx, desk.centre)
    again.load_entries([(k, v) for k, v in stored.items() if v is not None])
    assert len(referrals(again.handle_tick(DAWN).events)) == 1


@pytest.mark.parametrize("outcome", ["not_found", "false_alarm"])
def test_no_referral_when_nobody_was_met(desk: Desk, report: Callable[..., Report], outcome: str) -> None:
    resolve(desk, report, outcome)
    assert referrals(desk.handle_tick(DAWN + timedelta(minutes=5)).events) == []


def test_no_referral_without_the_flag(desk: Desk, report: Callable[..., Report]) -> None:
    resolve(desk, report, "taken_to_hospital", flags=("ill",))
    assert referrals(desk.handle_tick(DAWN).events) == []


def test_the_referral_notice_carries_what_the_platform_needs_and_no_contact(ctx: Context, desk: Desk,
                                                                           report: Callable[..., Report]) -> None:
    resolve(desk, report, "taken_to_hospital")
    (ref,) = referrals(desk.handle_tick(DAWN).events)
    assert ctx.city.partners is not None
    writer = NoticeWriter(ctx.city.partners, TZ, exercise=False)
    threads = {"police": object()}
    notices, after = writer.handle(ref, threads)  # type: ignore[arg-type]
    assert after == threads  # the incident's own notice threads are untouched
    (notice,) = notices
    assert notice.partner == "mental_health" and notice.msg_type == "Alert"
    assert notice.notice_id == f"patrol-referral-{ref.incident_id}-mental_health"
    assert cap_errors(notice.cap) == [], notice.cap
    doc = etree.fromstring(notice.cap.encode())
    assert doc.findtext("cap:sent", namespaces=NS) == "2026-12-21T06:00:00+08:00"
    description = doc.findtext("cap:info/cap:description", namespaces=NS)
    assert ref.incident_id in description and "taken_to_hospital" in description and "23:50" in description
    assert "疑似精神障碍" in description
    assert PHONE not in notice.cap and "胡言乱语" not in notice.cap
    assert writer.handle(ref, {})[0] == notices  # byte-identical on a replay


def test_the_referral_is_policy(ctx: Context) -> None:
    text = (DATA_DIR / "policy.toml").read_text(encoding="utf-8")
    later = parse_policy(text.replace('send_at = "night_end"', 'send_at = "08:30"'))
    assert later.referrals[0].send_at == time(8, 30) and ctx.policy.referrals[0].send_at == ctx.policy.night_end
    with pytest.raises(PolicyError, match="unknown value 'psychiatry'"):
        parse_policy(text.replace('partner = "mental_health"', 'partner = "psychiatry"'))

"""`patrol replay` writes partner notices (CAP 1.2, schema-valid) and reporter replies like every other output."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from cli.main import main
from rules.desk import incident_id_of
from rules.partners import CAP_NS
from tests.capschema import cap_errors

TZ = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 12, 20, 19, 0, tzinfo=TZ)


def at(minutes: float) -> str:
    return (EVENING + timedelta(minutes=minutes)).isoformat()


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_replay_writes_cap_notices_for_every_partner_named_and_replies_to_reporters(
    broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROL_BROKER", broker)
    tips = [
        {"tip_id": "n-mental", "channel": "城管", "reported_at": at(1), "lat": 45.7600, "lon": 126.6300,
         "text": "一个男的在桥下胡言乱语，报警人电话13812345678", "reporter_contact": "138 1234 5678"},
        {"tip_id": "n-minor", "channel": "网格员", "reported_at": at(2), "lat": 45.7900, "lon": 126.6100, "flags": ["minor"]},
        {"tip_id": "n-plain", "channel": "12345", "reported_at": at(3), "lat": 45.7500, "lon": 126.6400, "text": "someone sitting in the cold"},
    ]
    teams = [
        {"team_id": "med", "at": at(0), "status": "available", "lat": 45.7610, "lon": 126.6310, "capabilities": ["medical", "vehicle", "police"]},
        {"team_id": "soc", "at": at(0), "status": "available", "lat": 45.7890, "lon": 126.6110, "capabilities": ["social_work"]},
        {"team_id": "soc2", "at": at(0), "status": "available", "lat": 45.7510, "lon": 126.6410, "capabilities": ["social_work"]},
        # the next morning: the replay's clock runs past the night's end (06:00), when referrals go
        {"team_id": "soc2", "at": at(11 * 60 + 2), "status": "off_duty", "lat": 45.7510, "lon": 126.6410, "capabilities": ["social_work"]},
    ]
    mental = incident_id_of("harbin", "n-mental")
    acks = [{"event_id": f"{mental}-r1", "team_id": "med", "status": "accepted", "at": at(3)},
            {"event_id": f"{mental}-r1", "team_id": "med", "status": "resolved", "outcome": "taken_to_hospital", "at": at(30)}]
    out = tmp_path / "out.jsonl"
    code = main(["replay", "--tips", str(write(tmp_path / "tips.jsonl", tips)), "--teams", str(write(tmp_path / "teams.jsonl", teams)),
                 "--acks", str(write(tmp_path / "acks.jsonl", acks)), "--out", str(out)])
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    events = [r for r in records if r["kind"] in ("dispatch", "update", "queued", "escalation", "followup", "resolved")]
    notices = [r for r in records if r["kind"] == "partner_notice"]
    replies = [r for r in records if r["kind"] == "reporter_feedback"]
    assert {e["channels"][0] for e in events} >= {"city_management", "grid_worker", "hotline_12345"}

    # Every incident that names a partner has a schema-valid CAP notice for each partner named.
    named = {(e["incident_id"], p) for e in events if e["kind"] != "resolved" for p in e["notify"]}
    assert (mental, "health") in named and (mental, "police") in named
    assert (incident_id_of("harbin", "n-minor"), "police") in named, "a minor found alone is always reported to the police"
    wanted = {(i, p) for i, p in named if p != "health" or any(
        e["incident_id"] == i and e["priority"] in ("P1", "P2") for e in events)}
    assert wanted <= {(n["incident_id"], n["partner"]) for n in notices}
    for notice in notices:
        assert cap_errors(notice["cap"]) == [], notice["cap"]
        doc = etree.fromstring(notice["cap"].encode())
        assert doc.findtext(f"{{{CAP_NS}}}status") == "Actual" and doc.findtext(f"{{{CAP_NS}}}scope") == "Restricted"
        assert doc.findtext(f"{{{CAP_NS}}}identifier") == notice["notice_id"] and notice["event_id"].startswith(notice["incident_id"])
        assert "13812345678" not in notice["cap"]
    thread = [n["msg_type"] for n in notices if n["incident_id"] == mental and n["partner"] == "police"]
    assert thread[0] == "Alert" and thread[-1] == "Cancel", thread
    assert len({n["notice_id"] for n in notices}) == len(notices)

    # The reporter who left a number hears that a team is on the way and how it ended; nobody else gets anything.
    assert [(r["tip_id"], r["stage"], r["outcome_class"]) for r in replies] == [
        ("n-mental", "on_the_way", "team_on_the_way"), ("n-mental", "ended", "taken_to_hospital")]
    assert all(r["to"] == "tel:+8613812345678" and "13812345678" not in r["message_zh"] + r["message_en"] for r in replies)
    # The contact itself travels masked with the incident's report, never in clear on dispatch events.
    assert all("13812345678" not in json.dumps(e.get("reporter_contact")) for e in events)

    # The person met with a suspected mental disorder is referred once, at the night's end; nobody else is.
    referrals = [n for n in notices if n["partner"] == "mental_health"]
    assert [(n["incident_id"], n["msg_type"], n["at"]) for n in referrals] == [(mental, "Alert", "2026-12-21T06:00:00+08:00")]
    assert referrals[0]["notice_id"] == f"patrol-referral-{mental}-mental_health"
    assert "taken_to_hospital" in referrals[0]["cap"] and "胡言乱语" not in referrals[0]["cap"]

"""`patrol replay` on the real embedded broker with real worker processes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cli.main import main
from core.settings import DATA_DIR, Settings
from rules.context import Context
from rules.desk import incident_id_of
from tools.replay import run_replay

TZ = ZoneInfo("Asia/Shanghai")
SAMPLE = DATA_DIR / "samples" / "night"
EVENING = datetime(2026, 12, 20, 19, 0, tzinfo=TZ)
Replay = Callable[..., list[dict[str, Any]]]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def replay(broker: str, ctx: Context, tmp_path: Path) -> Replay:
    """Factory: run a replay of the given records on the session broker."""
    runs = iter(range(100))

    def run(tips: list[Any], *, weather: list[Any] | None = None, teams: list[Any] | None = None, acks: list[Any] | None = None,
            detections: list[Any] | None = None, tail_h: float = 2.0) -> list[dict[str, Any]]:
        n = next(runs)
        files: dict[str, Path | None] = {}
        for name, rows in (("tips", tips), ("weather", weather), ("teams", teams), ("acks", acks), ("detections", detections)):
            files[name] = write_jsonl(tmp_path / f"{name}-{n}.jsonl", rows) if rows is not None else None
        out = tmp_path / f"out-{n}.jsonl"
        settings = replace(Settings.from_env({}), broker=broker)
        assert files["tips"] is not None
        run_replay(settings, tips=files["tips"], weather=files["weather"], teams=files["teams"], acks=files["acks"],
                   detections=files["detections"], out=out, tail=timedelta(hours=tail_h))
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]

    return run


def tip(tip_id: str, minutes: float, lat: float = 45.7600, lon: float = 126.6300, **kw: Any) -> dict[str, Any]:
    return {"tip_id": tip_id, "channel": "hotline", "reported_at": (EVENING + timedelta(minutes=minutes)).isoformat(), "lat": lat, "lon": lon,
            "text": "", **kw}


def team(team_id: str, lat: float, lon: float, caps: list[str]) -> dict[str, Any]:
    return {"team_id": team_id, "at": EVENING.isoformat(), "status": "available", "lat": lat, "lon": lon, "capabilities": caps}


def events_of(outputs: list[dict[str, Any]], incident: str) -> list[dict[str, Any]]:
    return [o for o in outputs if o.get("incident_id") == incident]


def test_sample_night_is_deterministic_and_dead_letters_every_bad_record(broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATROL_BROKER", broker)
    outs = []
    for n in range(2):
        out = tmp_path / f"night-{n}.jsonl"
        code = main(["replay", "--tips", str(SAMPLE / "tips.jsonl"), "--weather", str(SAMPLE / "weather.jsonl"),
                     "--acks", str(SAMPLE / "acks.jsonl"), "--out", str(out)])
        assert code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1], "same input must give the same output, ids included"
    records = [json.loads(line) for line in outs[0].decode().splitlines()]
    dead = [r for r in records if r["kind"] == "dead_letter"]
    errors = {(d["topic"], d["error"]) for d in dead}
    for expected in [("tips", "malformed"), ("tips", "unknown_channel"), ("tips", "out_of_area"), ("tips", "wrong_type"),
                     ("tips", "unknown_address"), ("tips", "too_large"), ("tips", "missing_field"), ("reports", "duplicate"),
                     ("task-acks", "unknown_task")]:
        assert expected in errors, expected
    assert all(d["payload"] and d["reason"] for d in dead)
    # Every valid tip is in exactly one incident; the identical resend of h-001 is processed once.
    events = [r for r in records if r["kind"] not in ("dead_letter", "partner_notice", "reporter_feedback")]
    owners: dict[str, set[str]] = {}
    for e in events:
        for s in e["sources"]:
            owners.setdefault(s, set()).add(e["incident_id"])
    valid = {"h-001", "c-002", "w-003", "h-004", "v-005", "d-006", "s-007", "p-008", "c-009", "m-010", "m-011", "h-012"}
    assert set(owners) == valid and all(len(v) == 1 for v in owners.values())
    assert owners["h-001"] == owners["c-002"], "two channels 80 m and 4 min apart are one incident"
    assert len({e["event_id"] for e in events}) == len(events)


def test_dispatch_escalation_reassignment_and_followup(replay: Replay) -> None:
    teams = [team("med", 45.7610, 126.6310, ["medical", "vehicle"]), team("soc-near", 45.7605, 126.6305, ["social_work"]),
             team("soc-far", 45.7800, 126.6600, ["social_work"])]
    refuse_id = incident_id_of("harbin", "t-refuse")
    # soc-near is busy with t-lost when t-refuse comes in, so soc-far takes it.
    acks = [{"event_id": f"{refuse_id}-r1", "team_id": "soc-far", "status": "accepted", "at": (EVENING + timedelta(minutes=32)).isoformat()},
            {"event_id": f"{refuse_id}-r1", "team_id": "soc-far", "status": "resolved", "outcome": "refused_supplies_given",
             "at": (EVENING + timedelta(minutes=50)).isoformat()}]
    out = replay(
        [
            tip("t-med", 0, text="老人昏迷不醒"),
            tip("t-corr", 5, lat=45.7605, lon=126.6308, channel="courier", text="old man collapsed"),
            tip("t-lost", 10, lat=45.7900, lon=126.6100, text="someone sitting in the cold"),
            tip("t-refuse", 30, lat=45.7500, lon=126.6400, text="流浪汉不愿去救助站"),
        ],
        teams=teams,
        acks=acks,
        tail_h=13,
    )
    med = events_of(out, incident_id_of("harbin", "t-med"))
    assert med[0]["kind"] == "dispatch" and med[0]["team_id"] == "med" and med[0]["priority"] == "P1"
    assert med[0]["category"] == "medical" and "health" in med[0]["notify"] and "elderly" in med[0]["rules"]
    assert med[1]["kind"] == "update" and med[1]["sources"] == ["t-med", "t-corr"] and "corroborated:2" in med[1]["rules"]
    # Nobody acknowledges the medical task: P1 deadline 5 min -> duty supervisor;
    # there is no other medical team, so the task waits in the queue.
    esc = [e for e in med if e["kind"] == "escalation"]
    assert esc[0]["escalate_to"] == "duty_supervisor" and esc[0]["at"].startswith("2026-12-20T19:05")
    assert esc[0]["team_id"] is None and esc[0]["status"] == "queued"
    # t-lost: soc-near misses (19:40, nobody free), soc-far takes it when free (19:50) and misses too -> leader.
    lost = events_of(out, incident_id_of("harbin", "t-lost"))
    assert [e["kind"] for e in lost][:4] == ["dispatch", "escalation", "dispatch", "escalation"]
    assert lost[0]["team_id"] == "soc-near" and lost[1]["at"].startswith("2026-12-20T19:40") and lost[1]["team_id"] is None
    assert lost[2]["team_id"] == "soc-far" and lost[2]["at"].startswith("2026-12-20T19:50")
    assert lost[3]["escalate_to"] == "leader_on_duty" and lost[3]["escalation_level"] == 2
    refuse = events_of(out, refuse_id)
    kinds = [e["kind"] for e in refuse]
    assert "resolved" in kinds and "followup" in kinds
    follow = next(e for e in refuse if e["kind"] == "followup")
    assert follow["at"].startswith("2026-12-21T07:50")  # 12 h after the outcome


def test_thermal_detection_and_tip_become_one_incident(replay: Replay) -> None:
    det = {"detection_id": "cam1-f1-d0", "camera_id": "cam1", "captured_at": (EVENING + timedelta(minutes=1)).isoformat(),
           "bbox": [10, 20, 30, 12], "posture": "lying", "t_max_c": 31.0, "t_mean_c": 18.0, "score": 0.9,
           "lat": 45.7602, "lon": 126.6302, "error_m": 2.0, "track_id": "cam1-t1", "still_s": 0}
    still = {**det, "detection_id": "cam1-f2-d0", "captured_at": (EVENING + timedelta(minutes=11)).isoformat(), "still_s": 600}
    out = replay([tip("t-thermal", 4, text="someone lying on the ground")], teams=[team("soc", 45.77, 126.64, ["social_work"])],
                 detections=[det, still, {"detection_id": "bad"}])
    incident = incident_id_of("harbin", "cam1-f1-d0")
    evs = events_of(out, incident)
    assert evs[0]["category"] == "welfare_check" and evs[0]["priority"] == "P3"
    merged = evs[-1]
    assert set(merged["sources"]) == {"cam1-f1-d0", "t-thermal", "cam1-f2-d0"} and set(merged["channels"]) == {"hotline", "thermal"}
    assert "lying_still" in merged["rules"] and merged["priority"] == "P2"
    assert any(o["kind"] == "dead_letter" and o["topic"] == "detections" for o in out)


def busy(team_id: str, lat: float, lon: float, caps: list[str]) -> dict[str, Any]:
    return {**team(team_id, lat, lon, caps), "status": "on_scene"}


def p1_answered_in_time(events: list[dict[str, Any]], reported_min: float, deadline_min: float = 5.0) -> dict[str, Any]:
    """The first event that gave the P1 a team or escalated it, checked to fall within its ack deadline."""
    tip_at = EVENING + timedelta(minutes=reported_min)
    answer = next(e for e in events if e.get("team_id") or e["kind"] == "escalation")
    assert datetime.fromisoformat(answer["at"]) <= tip_at + timedelta(minutes=deadline_min), answer
    return answer


def test_all_teams_busy_p1_escalates_within_its_deadline(replay: Replay) -> None:
    teams = [busy("med", 45.7610, 126.6310, ["medical", "vehicle"]), busy("soc", 45.7700, 126.6400, ["social_work"])]
    out = replay([tip("t-down", 1, text="a man lies unconscious", flags=["unresponsive"])], teams=teams, tail_h=1)
    events = events_of(out, incident_id_of("harbin", "t-down"))
    assert events[0]["kind"] == "queued" and events[0]["priority"] == "P1" and events[0]["queued_since"]
    answer = p1_answered_in_time(events, 1)
    assert answer["kind"] == "escalation" and answer["escalate_to"] == "duty_supervisor" and answer["escalation_cause"] == "queued"
    chain = [e["escalate_to"] for e in events if e["kind"] == "escalation"]
    assert chain[:2] == ["duty_supervisor", "leader_on_duty"] and set(chain[2:]) <= {"leader_on_duty"} and len(chain) > 2


def test_only_doubly_skilled_team_busy_mental_case_gets_lead_and_support(replay: Replay) -> None:
    teams = [busy("med-police", 45.7610, 126.6310, ["medical", "police", "vehicle"]),
             team("med", 45.7700, 126.6400, ["medical", "vehicle"]), team("police", 45.7650, 126.6200, ["police", "social_work"])]
    out = replay([tip("t-mental", 2, text="someone confused and shouting", flags=["mental"])], teams=teams, tail_h=1)
    events = events_of(out, incident_id_of("harbin", "t-mental"))
    answer = p1_answered_in_time(events, 2)
    assert answer["kind"] == "dispatch" and answer["team_id"] == "med" and answer["eta_min"] > 0
    support = next(e for e in events if e["kind"] == "support")
    assert support["unit_team_id"] == "police" and "support:police" in support["rules"]
    assert answer["destination"]["kind"] == "hospital"


def test_a_line_that_is_not_utf8_is_one_dead_letter_and_the_rest_is_replayed(broker: str, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATROL_BROKER", broker)
    good = [json.dumps(tip(f"u{i}", i, lat=45.7600 + 0.01 * i, text="老人躺在地上"), ensure_ascii=False).encode() for i in range(3)]
    bad = b'{"tip_id": "u-gbk", "channel": "hotline", "text": "' + "老人躺着".encode("gbk") + b'"}'
    tips = tmp_path / "tips.jsonl"
    tips.write_bytes(b"\n".join([good[0], bad, good[1], good[2]]) + b"\n")
    out = tmp_path / "out.jsonl"
    assert main(["replay", "--tips", str(tips), "--out", str(out)]) == 0
    assert f"{tips}:2: not UTF-8 text" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    dead = [r for r in records if r["kind"] == "dead_letter"]
    assert [(d["topic"], d["error"]) for d in dead] == [("tips", "malformed")]
    assert "u-gbk" in dead[0]["payload"]
    decided = {s for r in records if r["kind"] != "dead_letter" for s in r.get("sources", [])}
    assert {"u0", "u1", "u2"} <= decided


def test_two_centres_replay_side_by_side_byte_identical_and_never_share_an_incident(broker: str, tmp_path: Path) -> None:
    """Harbin and Qiqihar on one pipeline, four partitions (each centre on its own desk partition)."""
    qiqihar_station = (47.3410, 123.9690)
    tips = [
        tip("h1", 0, text="老人躺在地上"),
        tip("h2", 4, lat=45.7607, lon=126.6300),  # 80 m from h1: one incident in Harbin
        tip("q1", 1, lat=qiqihar_station[0], lon=qiqihar_station[1], text="老人躺在地上"),
        {**tip("q2", 5, address="齐齐哈尔站"), "lat": None, "lon": None},  # by address: the same place in Qiqihar
        tip("b1", 2, lat=39.9042, lon=116.4074),  # Beijing: no centre holds it
        tip("z1", 3, centre="atlantis"),  # a centre this deployment does not run
    ]
    weather = [  # a severe cold in the whole of Qiqihar only (named by centre), mild in Harbin
        {"centre": "qiqihar", "observed_at": (EVENING - timedelta(minutes=5)).isoformat(), "temp_c": -25.0, "wind_ms": 8.0},
        {"observed_at": (EVENING - timedelta(minutes=5)).isoformat(), "temp_c": -2.0, "wind_ms": 1.0, "lat": 45.76, "lon": 126.63},
    ]
    q_incident = incident_id_of("qiqihar", "q1")
    acks = [  # an operator closes the Qiqihar incident: no city's team is named, the desk that issued the task claims it
        {"event_id": f"{q_incident}-r1", "team_id": "console", "status": "resolved", "incident_id": q_incident, "by": "op",
         "at": (EVENING + timedelta(minutes=20)).isoformat()},
    ]
    settings = replace(Settings.from_env({}), broker=broker, cities="harbin,qiqihar", partitions=4)
    outs = []
    for n in range(2):
        out = tmp_path / f"two-{n}.jsonl"
        run_replay(settings, tips=write_jsonl(tmp_path / "tips.jsonl", tips), weather=write_jsonl(tmp_path / "weather.jsonl", weather),
                   acks=write_jsonl(tmp_path / "acks.jsonl", acks), out=out, tail=timedelta(hours=1))
        outs.append(out.read_bytes())
    assert outs[0] == outs[1], "same input, same output, ids included, with two centres on four partitions"
    records = [json.loads(line) for line in outs[0].decode().splitlines()]
    dead = {(d["topic"], d["error"]) for d in records if d["kind"] == "dead_letter"}
    assert dead == {("tips", "out_of_area"), ("tips", "unknown_centre")}
    events = [r for r in records if r["kind"] not in ("dead_letter", "partner_notice", "reporter_feedback")]
    owners: dict[str, set[str]] = {}
    for e in events:
        assert len({s[0] for s in e["sources"]}) == 1, f"an incident crossed centres: {e['event_id']}"
        for s in e["sources"]:
            owners.setdefault(s, set()).add(e["incident_id"])
        for unit in e.get("assignments") or ():  # each centre dispatches its own city's teams
            city_teams = ("T-daoli", "T-nangang", "T-daowai", "T-xiangfang", "T-songbei") if e["sources"][0][0] == "h" else ("T-longsha", "T-jianhua", "T-tiefeng")
            assert unit["team_id"].startswith(city_teams), (e["event_id"], unit["team_id"])
    assert owners["h1"] == owners["h2"] and owners["q1"] == owners["q2"] and owners["h1"] != owners["q1"]
    first = {e["incident_id"]: e for e in events if e["revision"] == 1}
    harbin, qiqihar = first[next(iter(owners["h1"]))], first[next(iter(owners["q1"]))]
    assert "severe_cold" in qiqihar["rules"] and "severe_cold" not in harbin["rules"], "weather stays in its centre"
    assert any(e["kind"] == "resolved" for e in events_of(events, q_incident)), "the operator's ack reached Qiqihar's desk"
    assert not any(e["kind"] == "resolved" for e in events_of(events, harbin["incident_id"]))


def test_hostile_lines_each_come_back_as_a_dead_letter_named_by_line_and_good_ones_flow(broker: str, tmp_path: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """One file of what a hostile or broken producer writes, CRLF line endings and a byte-order mark, a blank line and a
    trailing partial line: each bad line is one dead letter with its payload, named on stderr by its line; the good
    tips around them are decided; a second run writes the same bytes (no duplicate dispatch)."""
    monkeypatch.setenv("PATROL_BROKER", broker)

    def line(body: Any) -> bytes:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    lines = [
        b"\xef\xbb\xbf" + line(tip("g1", 1, text="老人躺在地上")),          # 1: good, after a BOM
        b"[1, 2, 3]",                                                        # 2: JSON, not an object
        b'{"tip_id": "n1", "channel": "hotline", "reported_at": "2026-12-20T19:03:00+08:00", "lat": NaN, "lon": 126.63}',  # 3
        line(tip("z1", 4, reported_at="2026-12-20T19:04:00")),              # 4: no UTC offset
        line(tip("c1", 5, channel="fax")),                                   # 5: unknown channel
        b"",                                                                 # 6: blank
        line(tip("g1", 6, text="醉汉躺在地上")),                             # 7: g1 again, other content
        line(tip("e1", 7, lat="1e999")),                                     # 8: a number too large for a float
        line(tip("g2", 8, lat=45.7700, text="有人倒在路边")),               # 9: good
        b'{"tip_id": "p1", "channel": "hot',                                 # 10: cut off, no newline after it
    ]
    tips = tmp_path / "tips.jsonl"
    tips.write_bytes(b"\r\n".join(lines))
    outs = []
    for n in range(2):
        out = tmp_path / f"out-{n}.jsonl"
        assert main(["replay", "--tips", str(tips), "--out", str(out)]) == 0
        outs.append(out.read_bytes())
        err = capsys.readouterr().err
        for number in (2, 3, 4, 5, 7, 8, 10):
            assert f"{tips}:{number}" in err, (number, err)
        for number in (1, 6, 9):
            assert f"{tips}:{number}:" not in err, (number, err)
    assert outs[0] == outs[1], "same input must give the same output, ids included"
    records = [json.loads(row) for row in outs[0].decode("utf-8").splitlines()]
    dead = [r for r in records if r["kind"] == "dead_letter"]
    assert sorted((d["topic"], d["error"]) for d in dead) == sorted([
        ("tips", "malformed"), ("tips", "wrong_type"), ("tips", "invalid"), ("tips", "unknown_channel"), ("reports", "duplicate"),
        ("tips", "wrong_type"), ("tips", "malformed")])
    sent = {raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8") for raw in lines}
    assert all(d["reason"] and (d["topic"] == "reports" or d["payload"] in sent) for d in dead)
    events = [r for r in records if r["kind"] not in ("dead_letter", "partner_notice", "reporter_feedback")]
    assert {s for e in events for s in e["sources"]} == {"g1", "g2"}
    assert len({e["event_id"] for e in events}) == len(events)
    assert incident_id_of("harbin", "g1") in {e["incident_id"] for e in events}

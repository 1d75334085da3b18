"""An organizer's audit of the drill's figures: a night built by hand, every figure computed again here.

`audit` reads only what the README and DOMAIN.md define (the truth's reports,
the dispatch events, the on-scene acks), independently of drill/scoring.py,
and the night is built so each edge case has a written answer: a person
reported twice, a camera-only person, a decoy detection named after a
person's frame, a false tip 11 m from a person nobody reported, two incidents
of one person merged, an incident crossing midnight, a diversion and its
victim queued twice, a P1 queued while red is declared and never served. The
same `audit` runs over a real drill's truth.json, events.jsonl and scores.json
(`assert_report_matches_audit`, called by tests/integration/test_drill.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.feed import FeedItem
from drill.runner import _p1_limit
from drill.scoring import detection_persons, format_scores, score
from geo.distance import haversine_m
from rules.context import Context

TZ = timezone(timedelta(hours=8))
T0 = datetime(2025, 1, 14, 22, 0, tzinfo=TZ)
END = T0 + timedelta(hours=10)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _t(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


def _there(p: dict[str, Any], when: datetime) -> tuple[float, float] | None:
    """Where person p stood at `when` (the last track point at or before it, linear between points), None when not
    there: not yet appeared, or taken away at or before `when`."""
    if _t(p["appears_at"]) > when or (p.get("gone_at") and _t(p["gone_at"]) <= when):
        return None
    points = [(_t(x), la, lo) for x, la, lo in p.get("track") or []] or [(_t(p["appears_at"]), p["lat"], p["lon"])]
    before = [q for q in points if q[0] <= when] or points[:1]
    after = [q for q in points if q[0] > when]
    (t0, la0, lo0) = before[-1]
    if not after:
        return la0, lo0
    t1, la1, lo1 = after[0]
    f = (when - t0) / (t1 - t0)
    return la0 + (la1 - la0) * f, lo0 + (lo1 - lo0) * f


def audit(truth: dict[str, Any], events: list[dict[str, Any]], acks: list[dict[str, Any]] | None,
          detections: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The drill's figures from their definitions (README, Drill scenarios and figures); the thermal agent's
    detections join the truth's reports as whom their boxes show in their frames (`detection_persons`)."""
    reports = {**detection_persons(truth, detections), **{rid: r.get("person_ids") or [] for rid, r in truth["reports"].items()}}
    persons = {p["person_id"]: p for p in truth["persons"]}
    outs = sorted((e for e in events if e.get("kind") != "dead_letter"), key=lambda e: _t(e["at"]))
    dead = [e for e in events if e.get("kind") == "dead_letter"]
    by_inc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in outs:
        by_inc[e["incident_id"]].append(e)

    met: dict[str, list[str]] = defaultdict(list)  # whom each incident's teams met on scene, in job order
    for job in truth.get("team_jobs") or []:
        if job.get("person_id") and job.get("incident_id"):
            met[job["incident_id"]].append(job["person_id"])

    def whom(evs: list[dict[str, Any]]) -> tuple[str | None, bool]:
        sources = list(dict.fromkeys(s for e in evs for s in e["sources"]))
        votes: Counter[str] = Counter()
        unknown = False
        for s in sources:
            if s in reports:
                votes.update(reports[s])
            elif s.rsplit("-", 1)[0] in reports:  # a detection named after its frame
                votes.update(reports[s.rsplit("-", 1)[0]][:1])
            else:
                unknown = True
        if votes:
            # Of persons with as many reports, one a team met there, else the first report's.
            tied = [p for p, n in votes.items() if n == max(votes.values())]
            return next((p for p in met[evs[0]["incident_id"]] if p in tied), tied[0]), False
        if not unknown:
            return None, False  # the truth says these reports concern nobody
        first = evs[0]
        when = _t(first["at"])
        near = [(haversine_m(first["lat"], first["lon"], *spot), pid) for pid, p in persons.items()
                if (spot := _there(p, when)) is not None]
        near = [n for n in near if n[0] <= 150.0]
        return (min(near)[1], True) if near else (None, False)

    owner = {iid: whom(evs) for iid, evs in by_inc.items()}
    incs_of: dict[str, list[str]] = defaultdict(list)
    for iid, (pid, _) in owner.items():
        if pid:
            incs_of[pid].append(iid)
    first_dispatch = {iid: next((e for e in evs if e["kind"] == "dispatch" and e.get("team_id")), None) for iid, evs in by_inc.items()}
    reported = {pid for pid, p in persons.items() if p.get("first_report_at")}
    reached = {pid for pid, iids in incs_of.items() if any(first_dispatch[i] for i in iids)}
    # A team already sent when the first report came (to a camera's detection there) waited nothing.
    to_dispatch = {pid: max(0.0, (min(_t(first_dispatch[i]["at"]) for i in incs_of[pid] if first_dispatch[i])
                                  - _t(persons[pid]["first_report_at"])).total_seconds() / 60)
                   for pid in reached if persons[pid].get("first_report_at")}

    def judged_by(pid: str, main: str) -> dict[str, Any]:
        """The first dispatch; when it came before the person's first report, the first event from that report on."""
        first = first_dispatch[main] or by_inc[main][0]
        report = persons[pid].get("first_report_at")
        if first_dispatch[main] is None or report is None or _t(first["at"]) >= _t(report):
            return first
        return next((e for e in by_inc[main] if _t(e["at"]) >= _t(report)), first)

    judged_of: dict[str, dict[str, Any]] = {}
    cat = Counter[str]()
    prio = Counter[str]()
    order = ["P1", "P2", "P3", "P4"]
    for pid, iids in incs_of.items():
        iids = sorted(iids, key=lambda i: _t(by_inc[i][0]["at"]))
        main = next((i for i in iids if first_dispatch[i]), iids[0])
        judged = judged_of[pid] = judged_by(pid, main)
        cat["total"] += 1
        cat["right"] += judged["category"] == (persons[pid].get("expected_category") or persons[pid]["category"])
        got, hi, lo = (order.index(x) for x in (judged["priority"], persons[pid]["expected_priority"], persons[pid]["expected_priority_min"]))
        prio["total"] += 1
        prio["over" if got < hi else "under" if got > lo else "correct"] += 1
    p1_to_dispatch = []
    for pid in to_dispatch:
        if judged_of[pid]["priority"] == "P1":
            p1_to_dispatch.append(to_dispatch[pid])
    # Queue waits: every stay in the queue, to a team, the incident's close or the night's end.
    waits: dict[str, list[float]] = defaultdict(list)
    end = _t(truth["end"])
    for evs in by_inc.values():
        since = None
        for e in evs:
            if since is not None and (e.get("team_id") or e["kind"] in ("resolved", "merged")):
                waits[e["priority"]].append((_t(e["at"]) - since).total_seconds() / 60)
                since = None
            if since is None and not e.get("team_id") and e.get("status") == "queued":
                since = _t(e["at"])
        if since is not None:
            waits[evs[-1]["priority"]].append((end - since).total_seconds() / 60)
    arrived = None
    if acks is not None:
        scene = {a["incident_id"] for a in acks if a.get("status") == "on_scene"}
        arrived = {pid for pid, iids in incs_of.items() if scene & set(iids)}
    payloads = [d["payload"] for d in dead]
    callbacks = truth.get("callbacks") or []
    lost = [(_t(c["resubmitted_at"]) - _t(c["reported_at"])).total_seconds() / 60 for c in callbacks]
    return {
        "persons": len(persons), "persons_reported": len(reported),
        "reported_reached": len(reached & reported), "reach_share": round(len(reached & reported) / len(reported), 4),
        "not_reached": sorted(reported - reached),
        "arrived": None if arrived is None else len(arrived & reported),
        "to_dispatch": (_pct(list(to_dispatch.values()), 50), _pct(list(to_dispatch.values()), 95)),
        "p1_to_dispatch": (_pct(p1_to_dispatch, 50), _pct(p1_to_dispatch, 95)),
        "category_accuracy": round(cat["right"] / cat["total"], 4),
        "priority": dict(prio),
        "incidents": len(by_inc),
        "false_incidents": sum(1 for pid, _ in owner.values() if not pid),
        "by_position": sum(1 for _, pos in owner.values() if pos),
        "duplicates": sum(len(v) - 1 for v in incs_of.values()),
        "persons_with_duplicates": sum(1 for v in incs_of.values() if len(v) > 1),
        "escalations": sum(1 for e in outs if e["kind"] == "escalation"),
        "merges": sum(1 for e in outs if e["kind"] == "merged"),
        "false_merges": sum(1 for e in outs if e["kind"] == "merged" and owner[e["incident_id"]][0] and owner.get(e["merged_into"], (None,))[0]
                            and owner[e["incident_id"]][0] != owner[e["merged_into"]][0]),
        "diversions": sum(1 for e in outs if "diversion" in e.get("rules", [])),
        "queue_wait": {p: (_pct(w, 50), _pct(w, 95), round(max(w), 2), len(w)) for p, w in sorted(waits.items())},
        "call_backs": (len(callbacks), sum(1 for c in callbacks if c["person_id"] in reached), _pct(lost, 50),
                       round(max(lost), 2) if lost else None),
        "malformed_dead": sum(1 for m in truth.get("malformed") or [] if any(m in p for p in payloads)),
    }


def figures(s: dict[str, Any]) -> dict[str, Any]:
    """The same figures as the drill wrote them in scores.json."""
    return {
        "persons": s["persons"], "persons_reported": s["persons_reported"], "reported_reached": s["persons_reported_reached"],
        "reach_share": s["reach_share"], "not_reached": sorted(u["person_id"] for u in s["unreached"]),
        "arrived": s["persons_reported_arrived"],
        "to_dispatch": (s["to_dispatch_min"]["p50"], s["to_dispatch_min"]["p95"]),
        "p1_to_dispatch": (s["p1_to_dispatch_min"]["p50"], s["p1_to_dispatch_min"]["p95"]),
        "category_accuracy": s["category_accuracy"],
        "priority": {k: v for k, v in s["priority"].items() if k != "accuracy" and v},
        "incidents": s["incidents"], "false_incidents": s["false_incidents"], "by_position": s["incidents_by_position"],
        "duplicates": s["duplicate_incidents"], "persons_with_duplicates": s["persons_with_duplicates"],
        "escalations": s["escalations"], "merges": s["merges"], "false_merges": len(s["false_merges"]), "diversions": s["diversions"],
        "queue_wait": {p: (w["p50"], w["p95"], w["max"], w["n"]) for p, w in s["queue_wait_min"].items()},
        "call_backs": (s["call_backs"]["n"], s["call_backs"]["reached"], s["call_backs"]["lost_min_p50"], s["call_backs"]["lost_min_max"]),
        "malformed_dead": s["accounting"]["malformed_dead_lettered"],
    }


def _person(pid: str, category: str, lat: float, first: float | None, prio: str = "P2", prio_min: str | None = None) -> dict[str, Any]:
    return {"person_id": pid, "category": category, "expected_priority": prio, "expected_priority_min": prio_min or prio,
            "lat": lat, "lon": 126.6, "appears_at": at(-30).isoformat(), "first_report_at": at(first).isoformat() if first is not None else None,
            "found_by_camera_only": pid == "D", "district": "north"}


def _ev(iid: str, rev: int, kind: str, minutes: float, sources: list[str], category: str, priority: str, team: str | None,
        lat: float, status: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"{iid}-r{rev}", "kind": kind, "incident_id": iid, "at": at(minutes).isoformat(), "sources": sources,
            "category": category, "priority": priority, "team_id": team, "lat": lat, "lon": 126.6, "district": "north",
            "status": status or ("queued" if team is None else "assigned"), "rules": [], **extra}


def night() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(truth, events.jsonl's records, on-scene acks) of the hand-built night."""
    truth = {
        "start": T0.isoformat(), "end": END.isoformat(),
        "persons": [
            _person("A", "medical", 45.70, 0, "P1"),  # reported twice, one incident
            _person("B", "guidance", 45.71, 110, "P2"),  # 23:50, dispatched 00:05 as basic_support P3: wrong and under
            _person("D", "welfare_check", 45.72, 30, "P2", "P3"),  # camera only; a decoy in its frame
            _person("E", "rescue_first", 45.73, 40),  # two incidents, merged
            _person("G", "guidance", 45.74, 60, "P3"),  # served, diverted away, queued again
            _person("H", "medical", 45.75, 200, "P1"),  # P1 queued, red declared, never served
            _person("J", "medical", 45.76, 80, "P1"),  # the P1 that diverted G's team
            _person("K", "guidance", 45.77, None, "P3"),  # nobody reported them; a camera's unnamed detection found them
        ],
        "reports": {"t1": {"person_ids": ["A"]}, "t2": {"person_ids": ["A"]}, "t3": {"person_ids": ["B"]}, "f1": {"person_ids": ["D"]},
                    "f1-d0": {"person_ids": ["D"]}, "f1-d1": {"person_ids": []}, "t4": {"person_ids": ["E"]}, "t5": {"person_ids": ["E"]},
                    "t6": {"person_ids": ["G"]}, "t7": {"person_ids": ["H"]}, "t8": {"person_ids": ["J"]}, "t9": {"person_ids": []},
                    "t10": {"person_ids": []}},
        "frames": {"f1": {"person_ids": ["D"]}},
        "malformed": ["t10"],
        "callbacks": [{"person_id": "B", "reported_at": at(110).isoformat(), "resubmitted_at": at(115).isoformat()}],
        "cold_wave": {"north": [[at(-60).isoformat(), "none"], [at(203).isoformat(), "red"]]},
    }
    la = 45.70
    events = [
        _ev("iA", 1, "dispatch", 1, ["t1"], "medical", "P1", "T1", la),
        _ev("iA", 2, "update", 5, ["t1", "t2"], "medical", "P1", "T1", la),
        _ev("iB", 1, "dispatch", 125, ["t3"], "basic_support", "P3", "T2", 45.71),  # 00:05: across midnight
        _ev("iB", 2, "resolved", 160, ["t3"], "basic_support", "P3", "T2", 45.71, status="resolved"),
        _ev("iD", 1, "dispatch", 32, ["f1-d0"], "welfare_check", "P3", "T3", 45.72),
        _ev("iX", 1, "dispatch", 33, ["f1-d1"], "welfare_check", "P3", "T4", 45.7201),  # the decoy: a false incident
        _ev("iE1", 1, "dispatch", 41, ["t4"], "rescue_first", "P2", "T5", 45.73),
        _ev("iE2", 1, "dispatch", 43, ["t5"], "rescue_first", "P2", "T6", 45.7302),
        _ev("iE2", 2, "merged", 50, ["t5"], "rescue_first", "P2", None, 45.7302, status="merged", merged_into="iE1"),
        _ev("iG", 1, "queued", 60, ["t6"], "guidance", "P3", None, 45.74),
        _ev("iG", 2, "update", 65, ["t6"], "guidance", "P3", None, 45.74),  # still waiting: the wait goes on
        _ev("iG", 3, "dispatch", 70, ["t6"], "guidance", "P3", "T7", 45.74),
        _ev("iJ", 1, "dispatch", 80, ["t8"], "medical", "P1", "T7", 45.76, rules=["diversion", "diverted_from:iG"]),
        _ev("iG", 4, "queued", 80, ["t6"], "guidance", "P3", None, 45.74),  # the victim queues again
        _ev("iG", 5, "dispatch", 95, ["t6"], "guidance", "P3", "T8", 45.74),
        _ev("iH", 1, "queued", 200, ["t7"], "medical", "P1", None, 45.75),
        _ev("iH", 2, "escalation", 205, ["t7"], "medical", "P1", None, 45.75, escalation_cause="queued"),
        _ev("iK", 1, "dispatch", 300, ["det-5f3a9c"], "welfare_check", "P3", "T9", 45.77),  # 0 m from K: by position
        _ev("iF", 1, "dispatch", 310, ["t9"], "guidance", "P3", "T10", 45.7701),  # a false tip 11 m from K
        {"kind": "dead_letter", "topic": "tips", "key": "t10", "payload": '{"tip_id": "t10", "chan', "reason": "malformed JSON"},
    ]
    acks = [{"incident_id": "iA", "status": "on_scene", "at": at(10).isoformat()},
            {"incident_id": "iB", "status": "on_scene", "at": at(140).isoformat()}]
    return truth, events, acks


def _score(truth: dict[str, Any], events: list[dict[str, Any]], acks: list[dict[str, Any]], ctx: Context | None = None,
           detections: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    outputs = [e for e in events if e.get("kind") != "dead_letter"]
    dead = [e for e in events if e.get("kind") == "dead_letter"]
    inputs = [FeedItem(at=_t(a["at"]), seq=k, topic="task-acks", value=json.dumps(a).encode(), key="T")
              for k, a in enumerate(acks)]
    limit = _p1_limit(ctx, truth) if ctx is not None else None
    return score(truth, outputs, dead, inputs, [], p1_ack_min=2.5, p1_limit=limit, detections=detections)


def test_the_hand_built_night_has_the_written_answers() -> None:
    truth, events, acks = night()
    mine = audit(truth, events, acks)
    assert mine["reported_reached"] == 6 and mine["not_reached"] == ["H"] and mine["reach_share"] == round(6 / 7, 4)
    assert mine["arrived"] == 2
    # report -> dispatch: A 1, B 15 (23:50 -> 00:05), D 2, E 1, G 10, J 0; K nobody reported
    assert mine["to_dispatch"] == (1.5, 13.75) and mine["p1_to_dispatch"] == (0.5, 0.95)
    assert mine["category_accuracy"] == 0.75  # B (basic_support) and K (welfare_check) wrong of 8
    assert mine["priority"] == {"total": 8, "correct": 7, "under": 1}
    assert (mine["incidents"], mine["false_incidents"], mine["by_position"]) == (11, 2, 1)
    assert (mine["duplicates"], mine["persons_with_duplicates"], mine["merges"], mine["false_merges"]) == (1, 1, 1, 0)
    # G waited 60 -> 70 and 80 -> 95; H from 200 to the night's end (08:00)
    assert mine["queue_wait"] == {"P1": (400.0, 400.0, 400.0, 1), "P3": (12.5, 14.75, 15.0, 2)}
    assert mine["diversions"] == 1 and mine["escalations"] == 1 and mine["call_backs"] == (1, 1, 5.0, 5.0) and mine["malformed_dead"] == 1


def test_every_figure_the_drill_writes_matches_the_audit(ctx: Context) -> None:
    truth, events, acks = night()
    s = _score(truth, events, acks, ctx)
    assert figures(s) == audit(truth, events, acks)
    text = format_scores(s)
    assert "reached (dispatch)         6  share 85.7%  (+1 nobody reported)" in text


def test_a_decoy_in_a_persons_frame_and_a_false_tip_are_false_incidents() -> None:
    truth, events, acks = night()
    s = _score(truth, events, acks)
    assert s["false_incidents"] == 2 and s["duplicate_incidents"] == 1  # iX and iF; not D's or K's second incident
    rows = {r["person_id"]: r for r in s["per_person"]}
    assert rows["D"]["incidents"] == ["iD"] and rows["K"]["incidents"] == ["iK"]


def test_a_p1_never_served_waits_until_the_nights_end(ctx: Context) -> None:
    truth, events, acks = night()
    s = _score(truth, events, acks, ctx)
    red = ctx.policy.ack_min["P1"] * next(lvl.deadline_factor for lvl in ctx.policy.cold_wave_levels if lvl.name == "red")
    # 200 -> 205: red declared at 203, past 200 + red, made it due at once; 205 -> 08:00 with nobody sent or told
    assert s["p1_waits_over_deadline_items"] == [
        {"incident": "iH", "from": at(200).isoformat(), "waited_min": 5.0, "deadline_min": 3.0},
        {"incident": "iH", "from": at(205).isoformat(), "waited_min": 395.0, "deadline_min": red},
    ]
    assert s["p1_longest_unattended_min"] == 395.0


def assert_report_matches_audit(base: Path) -> None:
    """A real drill's report (`patrol drill --report DIR`): its scores.json against `audit` of its truth.json and
    events.jsonl (tests/integration/test_drill.py runs it on a drill of the real pipeline)."""
    truth = json.loads((base / "truth.json").read_text(encoding="utf-8"))
    events = [json.loads(line) for line in (base / "events.jsonl").read_text(encoding="utf-8").splitlines() if line]
    s = json.loads((base / "scores.json").read_text(encoding="utf-8"))
    found = base / "detections.jsonl"
    detections = [json.loads(line) for line in found.read_text(encoding="utf-8").splitlines() if line] if found.exists() else []
    mine, theirs = audit(truth, events, None, detections), figures(s)
    mine.pop("arrived"), theirs.pop("arrived")  # the acks are inputs, not in the report's files
    # A malformed tip cut before its id is matched by its raw bytes, an input: the files show a lower bound.
    assert mine.pop("malformed_dead") <= theirs.pop("malformed_dead") <= len(truth.get("malformed") or [])
    for key in ("to_dispatch", "p1_to_dispatch", "call_backs"):  # the drill rounds each time to 0.01 min first
        assert theirs.pop(key) == pytest.approx(mine.pop(key), abs=0.02), key
    assert theirs == mine


def test_every_wait_in_the_queue_counts_to_a_team_or_the_nights_end() -> None:
    truth, events, acks = night()
    waits = _score(truth, events, acks)["queue_wait_min"]
    # G: 60 -> 70, then again 80 -> 95 after its team was diverted; H: 200 -> 08:00, escalated once and never served
    assert waits == {"P1": {"p50": 400.0, "p95": 400.0, "max": 400.0, "n": 1}, "P3": {"p50": 12.5, "p95": 14.75, "max": 15.0, "n": 2}}


def test_a_detection_where_a_person_was_taken_away_from_is_false_in_both_counts() -> None:
    """D is taken away at 100; an unnamed detection at D's spot at 200 is a decoy: a false incident, not D's second."""
    truth, events, acks = night()
    next(p for p in truth["persons"] if p["person_id"] == "D")["gone_at"] = at(100).isoformat()
    events = [*events, _ev("iL", 1, "dispatch", 200, ["det-0c1d2e"], "welfare_check", "P3", "T11", 45.72)]
    s = _score(truth, events, acks)
    mine = audit(truth, events, acks)
    assert (mine["false_incidents"], mine["duplicates"]) == (3, 1) and figures(s) == mine
    assert next(r for r in s["per_person"] if r["person_id"] == "D")["incidents"] == ["iD"]


def _frame(fid: str, minutes: float, drawn: list[tuple[str, list[int]]]) -> dict[str, Any]:
    return {"kind": "frame", "at": at(minutes).isoformat(), "camera_id": "fixed-1", "frame_id": fid,
            "truth": [{"bbox": box, "person_id": pid} for pid, box in drawn], "person_ids": [pid for pid, _ in drawn]}


def _det(did: str, minutes: float, box: list[int]) -> dict[str, Any]:
    return {"detection_id": did, "camera_id": "fixed-1", "captured_at": at(minutes).isoformat(), "bbox": box}


def test_a_detection_is_whom_its_box_shows_in_its_frame() -> None:
    """Seed 53's fixed camera: a decoy opens iY at 390, M lies down there at 395 and the 400 frame's detection of M
    joins iY (the team found M); N sits 2 m from M and that frame's second detection opens iN. By position iY was
    false (nobody there at 390) and iN went to M, the nearer; by their boxes iY is M's and iN is N's."""
    truth, events, acks = night()
    truth["persons"] += [{**_person("M", "welfare_check", 45.78, 400, "P3"), "appears_at": at(395).isoformat()},
                         _person("N", "welfare_check", 45.78002, 400, "P3")]
    truth["reports"] |= {"f8": _frame("f8", 390, []), "f9": _frame("f9", 400, [("M", [100, 80, 10, 30]), ("N", [60, 90, 12, 20])])}
    truth["frames"] |= {"f8": {"person_ids": []}, "f9": {"person_ids": ["M", "N"]}}
    dets = [_det("d-decoy", 390, [150, 40, 6, 6]), _det("d-m", 400, [101, 82, 9, 27]), _det("d-n", 400, [62, 91, 10, 18]),
            _det("d-m-legs", 400, [102, 100, 6, 9])]  # a body split in two blobs: still M
    events = [*events, _ev("iY", 1, "dispatch", 390, ["d-decoy"], "welfare_check", "P3", "T11", 45.78),
              _ev("iY", 2, "update", 400, ["d-decoy", "d-m"], "welfare_check", "P3", "T11", 45.78),
              _ev("iN", 1, "dispatch", 400, ["d-n"], "welfare_check", "P3", "T12", 45.78002),
              _ev("iL", 1, "dispatch", 401, ["d-m-legs"], "welfare_check", "P3", "T13", 45.78)]
    blind = _score(truth, events, acks)
    s = _score(truth, events, acks, detections=dets)
    rows = {r["person_id"]: r["incidents"] for r in s["per_person"]}
    assert (rows["M"], rows["N"]) == (["iY", "iL"], ["iN"])
    assert s["incidents_by_position"] == blind["incidents_by_position"] - 3
    # Blind, N (there since dusk) took the decoy's incident, the one M's detection joined, as a second of their own.
    assert {r["person_id"]: r["incidents"] for r in blind["per_person"]}["N"] == ["iY", "iN"]
    assert figures(s) == audit(truth, events, acks, dets)

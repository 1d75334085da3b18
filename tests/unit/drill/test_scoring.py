"""Scoring maths on small hand-made nights with known answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from core.feed import FeedItem
from drill.scoring import by_time, format_scores, percentile, score

TZ = timezone(timedelta(hours=8))
T0 = datetime(2025, 1, 14, 20, 0, tzinfo=TZ)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def person(pid: str, category: str, lat: float, report_ids: list[str], first: float | None, prio: str = "P2",
           prio_min: str | None = None, camera_only: bool = False) -> dict[str, Any]:
    return {"person_id": pid, "category": category, "expected_priority": prio, "expected_priority_min": prio_min or prio,
            "lat": lat, "lon": 126.6, "appears_at": at(-30).isoformat(), "report_ids": report_ids,
            "first_report_at": at(first).isoformat() if first is not None else None, "found_by_camera_only": camera_only}


def event(eid: str, kind: str, incident: str, minutes: float, sources: list[str], category: str = "medical",
          priority: str = "P2", team: str | None = "T1", lat: float = 45.75) -> dict[str, Any]:
    return {"event_id": eid, "kind": kind, "incident_id": incident, "at": at(minutes).isoformat(), "sources": sources,
            "category": category, "priority": priority, "team_id": team, "lat": lat, "lon": 126.6}


def tip_item(seq: int, tip_id: str, minutes: float, raw: bytes | None = None) -> FeedItem:
    value = raw if raw is not None else json.dumps({"tip_id": tip_id, "channel": "hotline"}).encode()
    return FeedItem(at=at(minutes), seq=seq, topic="tips", value=value, key=tip_id)


def ack_item(seq: int, event_id: str, incident: str, minutes: float, status: str = "on_scene") -> FeedItem:
    value = json.dumps({"event_id": event_id, "team_id": "T1", "status": status, "at": at(minutes).isoformat(),
                        "incident_id": incident}).encode()
    return FeedItem(at=at(minutes), seq=seq, topic="task-acks", value=value, key="T1")


@pytest.fixture
def case() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[FeedItem]]:
    """Four persons: A reached twice (a duplicate), B reached but miscategorised, C never reached, D camera-only."""
    truth = {
        "persons": [
            person("A", "medical", 45.75, ["t1", "t2"], 0, prio="P1", prio_min="P2"),
            person("B", "guidance", 45.76, ["t3"], 10, prio="P2"),
            person("C", "rescue_first", 45.77, ["t4"], 20, prio="P2"),
            person("D", "welfare_check", 45.78, ["f1"], 30, prio="P2", prio_min="P3", camera_only=True),
        ],
        "reports": {"t1": {"person_ids": ["A"]}, "t2": {"person_ids": ["A"]}, "t3": {"person_ids": ["B"]},
                    "t4": {"person_ids": ["C"]}, "t9": {"person_ids": []}},
        "frames": {"f1": {"person_ids": ["D"]}, "f2": {"person_ids": []}, "f3": {"person_ids": ["D"]}},
        "malformed": ["t9"],
        "team_jobs": [{"missed": True}, {"missed": False}],
    }
    outputs = [
        event("i1:d", "dispatch", "i1", 2, ["t1"], "medical", "P1", lat=45.75),
        event("i2:d", "dispatch", "i2", 6, ["t2"], "medical", "P3", lat=45.75),  # duplicate incident of A
        event("i3:d", "dispatch", "i3", 14, ["t3"], "basic_support", "P2", lat=45.76),  # wrong category
        event("i3:e", "escalation", "i3", 30, ["t3"], "basic_support", "P2", lat=45.76),
        event("i4:q", "queued", "i4", 21, ["t4"], "rescue_first", "P2", team=None, lat=45.77),  # never dispatched
        event("i5:d", "dispatch", "i5", 32, ["f1-d0"], "welfare_check", "P3", lat=45.78),  # via the frame id
    ]
    dead = [{"payload": '{"tip_id": "t9", "chan', "reason": "bad json"}]
    inputs = [
        tip_item(1, "t1", 0), tip_item(2, "t2", 4), tip_item(3, "t3", 10), tip_item(4, "t4", 20),
        tip_item(5, "t9", 25, raw=b'{"tip_id": "t9", "chan'),
        tip_item(6, "t-lost", 26),  # in no output, no dead letter: lost
        FeedItem(at=at(30), seq=7, topic="thermal-frames", value=json.dumps({"frame_id": "f1"}).encode(), key="c"),
        FeedItem(at=at(31), seq=8, topic="thermal-frames", value=json.dumps({"frame_id": "f2"}).encode(), key="c"),
        FeedItem(at=at(32), seq=9, topic="thermal-frames", value=json.dumps({"frame_id": "f3"}).encode(), key="c"),
        FeedItem(at=at(33), seq=10, topic="weather", value=b'{"temp_c": -10}', key="x"),
        ack_item(11, "i1:d", "i1", 12),
        ack_item(12, "i3:d", "i3", 40),
    ]
    return truth, outputs, dead, inputs


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([0, 10], 95) == pytest.approx(9.5)
    assert percentile(list(range(101)), 99) == pytest.approx(99.0)


def test_reach_times_and_arrivals(case: Any) -> None:
    s = score(*case, wall_latencies_ms=[10.0, 20.0, 30.0, 40.0])
    assert s["persons"] == 4 and s["persons_reported"] == 4
    assert s["persons_reached"] == 3  # A, B, D; C only queued
    assert s["reach_share"] == 0.75
    assert s["camera_only_reached"] == 1 and s["camera_only_persons"] == 1
    # A: 0 -> 2 min, B: 10 -> 14, D: 30 -> 32: to dispatch [2, 4, 2]
    assert sorted(s["samples"]["to_dispatch_min"]) == [2.0, 2.0, 4.0]
    assert s["to_dispatch_min"]["p50"] == 2.0
    assert s["to_dispatch_min"]["p95"] == pytest.approx(3.8)
    # arrivals: A on scene at 12 (12 min), B at 40 (30 min)
    assert s["persons_arrived"] == 2 and sorted(s["samples"]["to_arrival_min"]) == [12.0, 30.0]
    assert s["wall_latency_ms"]["p50"] == 25.0 and s["wall_latency_ms"]["p99"] == pytest.approx(39.7)


def test_duplicates_confusion_priority_escalations(case: Any) -> None:
    s = score(*case, wall_latencies_ms=[])
    assert s["incidents"] == 5 and s["false_incidents"] == 0
    assert s["duplicate_incidents"] == 1 and s["persons_with_duplicates"] == 1
    assert s["confusion"]["medical"] == {"medical": 1}
    assert s["confusion"]["guidance"] == {"basic_support": 1}
    assert s["confusion"]["rescue_first"] == {"rescue_first": 1}
    assert s["confusion"]["welfare_check"] == {"welfare_check": 1}
    assert s["category_accuracy"] == 0.75
    # A: P1 in [P1, P2] ok; B: P2 ok; C: P2 ok (queued event); D: P3 in [P2, P3] ok
    assert s["priority"] == {"correct": 4, "under": 0, "over": 0, "total": 4, "accuracy": 1.0}
    assert s["escalations"] == 1 and s["escalated_incidents"] == 1 and s["injected_ack_misses"] == 1
    assert s["wall_latency_ms"]["p50"] is None


def test_priority_under_and_over(case: Any) -> None:
    truth, outputs, dead, inputs = case
    outputs = [dict(e, priority="P3") if e["incident_id"] == "i1" else e for e in outputs]
    outputs = [dict(e, priority="P1") if e["incident_id"] == "i3" else e for e in outputs]
    s = score(truth, outputs, dead, inputs, [])
    assert s["priority"]["under"] == 1 and s["priority"]["over"] == 1 and s["priority"]["correct"] == 2


def test_accounting_finds_the_lost_event(case: Any) -> None:
    s = score(*case, wall_latencies_ms=[])
    acc = s["accounting"]
    assert acc["event_inputs"] == 9  # 6 tips + 3 frames; weather and acks are state inputs
    assert acc["in_output"] == 5  # t1-t4, f1 (through f1-d0)
    assert acc["dead_lettered"] == 1 and acc["malformed_dead_lettered"] == 1
    assert acc["silent"] == 1  # f2 shows nobody
    assert acc["missed_frames"] == 1  # f3 shows D but gave no detection
    assert acc["lost"] == 1 and acc["lost_items"][0]["id"] == "t-lost"
    assert "LOST events" in format_scores(s)


def test_incident_without_known_sources_matches_by_position(case: Any) -> None:
    truth, outputs, dead, inputs = case
    outputs = [*outputs, event("i6:d", "dispatch", "i6", 40, ["det-unknown"], "welfare_check", lat=45.7701)]
    s = score(truth, outputs, dead, inputs, [])
    assert s["incidents_by_position"] == 1
    assert s["persons_reached"] == 4  # C reached through the position match
    far = [*case[1], event("i7:d", "dispatch", "i7", 40, ["det-x"], lat=45.9)]
    assert score(truth, far, dead, inputs, [])["false_incidents"] == 1


def test_what_went_wrong_leads(case: Any) -> None:
    truth, outputs, dead, inputs = case
    s = score(truth, outputs, dead, inputs, [], p1_ack_min=5.0)
    # C was reported and only queued: named with the last thing that happened to it.
    (c,) = s["unreached"]
    assert c["person_id"] == "C" and c["incidents"] == ["i4"] and "queued" in c["why"]
    # i4 queued at 21 and never served: waits until its last event (0 min here).
    assert s["queue_wait_min"]["P2"]["n"] == 1
    assert set(s["failure_timelines"]) == {"A", "C"}  # A has a duplicate, C was never reached
    assert s["false_merges"] == [] and s["merges"] == 0 and s["diversions"] == 0 and s["false_matches"] == []
    assert s["escalations_by_cause"] == {"ack_missed": 1}
    # A P1 queued at 40 and left silent until an escalation at 48: 8 min over a 5-min deadline.
    extra = [event("i8:q", "queued", "i8", 40, ["t1"], priority="P1", team=None),
             dict(event("i8:e", "escalation", "i8", 48, ["t1"], priority="P1", team=None), escalation_cause="queued"),
             dict(event("i2:m", "merged", "i2", 50, ["t2"], team=None), merged_into="i3", rules=["merge"])]
    s2 = score(truth, [*outputs, *extra], dead, inputs, [], p1_ack_min=5.0)
    assert s2["p1_waits_over_deadline"] == 1 and s2["p1_longest_unattended_min"] == 8.0
    assert s2["escalations_by_cause"] == {"ack_missed": 1, "queued": 1}
    # i2 (person A) merged into i3 (person B): a false merge.
    assert s2["merges"] == 1 and s2["false_merges"][0]["persons"] == ["A", "B"]
    assert "NOT REACHED" in format_scores(s2)


def test_a_report_counted_into_another_persons_incident_is_a_false_match(case: Any) -> None:
    truth, outputs, dead, inputs = case
    # C's only tip t4 folded into A's incident i1 (and A's two tips outvote it): C is never reached.
    outputs = [e for e in outputs if e["incident_id"] != "i4"]
    outputs.append(event("i1:u", "update", "i1", 21, ["t1", "t4"], "medical", "P1", lat=45.75))
    s = score(truth, outputs, dead, inputs, [])
    assert s["false_matches"] == [{"incident": "i1", "person": "A", "reports": [{"report": "t4", "person": "C"}]}]
    assert "false matches 1" in format_scores(s)
    assert "another person's incident" in next(u["why"] for u in s["unreached"] if u["person_id"] == "C")


def test_diversions_are_listed_with_the_task_they_took_the_team_from(case: Any) -> None:
    truth, outputs, dead, inputs = case
    diverted = dict(event("i1:x", "dispatch", "i1", 3, ["t1"], "medical", "P1", team="T2"), rules=["diversion", "diverted_from:i3"])
    s = score(truth, [*outputs, diverted], dead, inputs, [])
    assert s["diversions"] == 1
    assert s["diversion_items"] == [{"at": at(3).isoformat(), "incident": "i1", "priority": "P1", "team": "T2", "taken_from": "i3"}]


def test_a_p1_wait_counts_from_when_the_incident_became_p1(case: Any) -> None:
    truth, outputs, dead, inputs = case
    extra = [event("i8:q", "queued", "i8", 40, ["t1"], priority="P3", team=None),
             event("i8:u", "update", "i8", 45, ["t1"], priority="P1", team=None),  # the cold wave raised it
             dict(event("i8:e", "escalation", "i8", 47, ["t1"], priority="P1", team=None), escalation_cause="queued"),
             event("i8:d", "dispatch", "i8", 50.5, ["t1"], priority="P1")]
    s = score(truth, [*outputs, *extra], dead, inputs, [], p1_ack_min=2.5)
    assert s["p1_longest_unattended_min"] == 3.5 and s["p1_waits_over_deadline"] == 1  # 47 -> 50.5 after the escalation


def test_a_p1_wait_is_judged_by_the_deadline_of_its_district_and_time(case: Any) -> None:
    truth, outputs, dead, inputs = case
    extra = [dict(event("i8:q", "queued", "i8", 40, ["t1"], priority="P1", team=None), district="north"),
             dict(event("i8:e", "escalation", "i8", 44, ["t1"], priority="P1", team=None), district="north")]

    def limit(district: str, start: datetime, end: datetime) -> float:
        return 5.0 if district == "north" else 2.5  # north: no cold wave; elsewhere red

    s = score(truth, [*outputs, *extra], dead, inputs, [], p1_ack_min=2.5, p1_limit=limit)
    assert s["p1_waits_over_deadline"] == 0 and s["p1_longest_unattended_min"] == 4.0
    south = [dict(e, district="south") for e in extra]
    s2 = score(truth, [*outputs, *south], dead, inputs, [], p1_ack_min=2.5, p1_limit=limit)
    assert s2["p1_waits_over_deadline_items"] == [{"incident": "i8", "from": at(40).isoformat(), "waited_min": 4.0, "deadline_min": 2.5}]


def test_outputs_are_ordered_by_instant_whatever_their_utc_offsets() -> None:
    # Ordered by their time strings, 12:30Z (20:30 in Harbin) came before 20:00+08:00: a drill's outputs with mixed
    # offsets (a replayed feed in UTC beside the desk's local times) were read out of order.
    local, utc, none = {"at": "2025-01-14T20:00:00+08:00", "event_id": "b"}, {"at": "2025-01-14T12:30:00Z", "event_id": "a"}, {"event_id": "c"}
    assert sorted([utc, local, none], key=by_time) == [none, local, utc]


def test_position_match_only_to_a_person_still_there(case: Any) -> None:
    """An unnamed detection at the spot a person was taken away from hours before is a false incident, not their
    duplicate (nor their reach): the decoy detections at camera sites."""
    truth, outputs, dead, inputs = case
    c = next(p for p in truth["persons"] if p["person_id"] == "C")
    c["gone_at"] = at(30).isoformat()
    later = [*outputs, event("i6:d", "dispatch", "i6", 40, ["det-unknown"], "welfare_check", lat=45.7701)]
    s = score(truth, later, dead, inputs, [])
    assert s["incidents_by_position"] == 0 and s["false_incidents"] == 1
    assert s["persons_reached"] == 3  # C is not reached through a detection made after they left
    before = [*outputs, event("i6:d", "dispatch", "i6", 20, ["det-unknown"], "welfare_check", lat=45.7701)]
    assert score(truth, before, dead, inputs, [])["incidents_by_position"] == 1


def test_position_match_where_the_person_was_then(case: Any) -> None:
    """A person who walked away is matched where they were when the incident opened, not where they first sat."""
    truth, outputs, dead, inputs = case
    c = next(p for p in truth["persons"] if p["person_id"] == "C")
    c["track"] = [[at(-30).isoformat(), 45.77, 126.6], [at(0).isoformat(), 45.77, 126.6], [at(10).isoformat(), 45.775, 126.6]]
    moved = [*outputs, event("i6:d", "dispatch", "i6", 40, ["det-unknown"], "welfare_check", lat=45.7749)]
    s = score(truth, moved, dead, inputs, [])
    assert s["incidents_by_position"] == 1 and next(r for r in s["per_person"] if r["person_id"] == "C")["incidents"] == ["i4", "i6"]
    left = [*outputs, event("i6:d", "dispatch", "i6", 40, ["det-unknown"], "welfare_check", lat=45.7701)]
    assert score(truth, left, dead, inputs, [])["false_incidents"] == 1


def test_a_person_whose_tip_joined_a_team_already_sent_is_judged_by_the_tip() -> None:
    """A team sent to a camera's detection (here a decoy) before the person was reported: the person is judged by the
    category and priority the desk gave once it had their first tip, and waited nothing (not minus 7 min)."""
    truth = {
        "persons": [person("E", "escort_station", 45.75, ["t1"], 7, prio="P2")],
        "reports": {"t1": {"person_ids": ["E"]}, "decoy": {"person_ids": []}},
        "frames": {},
    }
    outputs = [
        event("i1:d", "dispatch", "i1", 0, ["decoy"], "welfare_check", "P3"),
        event("i1:u", "update", "i1", 7, ["decoy", "t1"], "escort_station", "P2"),
        event("i1:v", "update", "i1", 9, ["decoy", "t1"], "escort_station", "P1"),
    ]
    s = score(truth, outputs, [], [tip_item(1, "t1", 7)], [])
    assert s["confusion"]["escort_station"] == {"escort_station": 1} and s["category_accuracy"] == 1.0
    assert s["priority"]["correct"] == 1 and s["priority"]["under"] == 0
    assert s["samples"]["to_dispatch_min"] == [0.0]
    # Dispatched after the first report, the dispatch still decides.
    late = [event("i1:q", "queued", "i1", 7, ["t1"], "guidance", "P3", team=None),
            event("i1:d", "dispatch", "i1", 12, ["t1"], "escort_station", "P1")]
    s = score(truth, late, [], [tip_item(1, "t1", 7)], [])
    assert s["confusion"]["escort_station"] == {"escort_station": 1} and s["priority"]["over"] == 1
    assert s["samples"]["to_dispatch_min"] == [5.0]


def test_a_person_only_a_camera_saw_is_judged_as_a_welfare_check(case: Any) -> None:
    """A minor taken away before anyone called, seen by a camera only: the desk could only send a welfare check,
    and the truth's `expected_category` says so (its `category` is still what she needed)."""
    truth, outputs, dead, inputs = case
    truth = {**truth, "persons": [dict(p, category="escort_station", expected_category="welfare_check") if p["person_id"] == "D" else p
                                  for p in truth["persons"]]}
    s = score(truth, outputs, dead, inputs, [])
    assert s["confusion"]["welfare_check"] == {"welfare_check": 1} and "escort_station" not in s["confusion"]
    assert s["category_accuracy"] == 0.75  # B's wrong category only, as in the plain case


def test_an_incident_whose_reports_tie_is_the_person_its_first_report_was_about() -> None:
    """Seed 149: a camera's detection of a sitting man opened an incident and its team was sent; a caller's tip about
    a refusing man 146 m off joined it (one report each). The team was sent for the man the camera saw; given to the
    other by his id, the camera's man counted as never reached and the caller's man, whose own later tip opened a
    second incident, as a duplicate."""
    truth = {
        "persons": [person("Z", "welfare_check", 45.75, ["dz"], 0, prio="P1", camera_only=True),
                    person("A", "supplies_followup", 45.7513, ["ta", "ta2"], 6, prio="P1")],
        "reports": {"dz": {"person_ids": ["Z"]}, "ta": {"person_ids": ["A"]}, "ta2": {"person_ids": ["A"]}},
        "frames": {},
    }
    outputs = [
        event("i1:d", "dispatch", "i1", 0, ["dz"], "welfare_check", "P1"),
        event("i1:u", "update", "i1", 6, ["dz", "ta"], "supplies_followup", "P1"),
        event("i2:d", "dispatch", "i2", 8, ["ta2"], "supplies_followup", "P1", lat=45.7513),
    ]
    s = score(truth, outputs, [], [tip_item(1, "ta", 6), tip_item(2, "ta2", 8)], [])
    assert [(r["person_id"], r["incidents"]) for r in s["per_person"]] == [("A", ["i2"]), ("Z", ["i1"])]
    assert s["persons_reported_reached"] == 2 and s["camera_only_reached"] == 1 and s["duplicate_incidents"] == 0
    assert s["false_matches"] == [{"incident": "i1", "person": "Z", "reports": [{"report": "ta", "person": "A"}]}]
    # A tip more for the caller's man outvotes the camera: the incident is his, as before.
    outputs.append(event("i1:v", "update", "i1", 7, ["dz", "ta", "ta2"], "supplies_followup", "P1"))
    s = score(truth, outputs[:2] + outputs[3:], [], [tip_item(1, "ta", 6), tip_item(2, "ta2", 7)], [])
    assert [(r["person_id"], r["incidents"]) for r in s["per_person"]] == [("A", ["i1"]), ("Z", [])]


def test_an_incident_whose_reports_tie_is_the_person_its_team_met() -> None:
    """Seed 241: a camera's detection of a standing man opened an incident; a hotline tip (240 m accuracy) about a
    woman in a wheelchair 225 m off joined it, one report each. Its team met her and took her to the station (the
    truth's `team_jobs`); given to the camera's first report, she counted as never reached and the man's own
    incident at the next frame as his duplicate. The man's report in her incident is still a false match."""
    truth = {
        "persons": [person("Z", "welfare_check", 45.75, ["dz", "dz2"], 0, prio="P3", camera_only=True),
                    person("W", "escort_station", 45.752, ["tw"], 18, prio="P2")],
        "reports": {"dz": {"person_ids": ["Z"]}, "dz2": {"person_ids": ["Z"]}, "tw": {"person_ids": ["W"]}},
        "frames": {},
        "team_jobs": [{"incident_id": "i1", "person_id": None}, {"incident_id": "i1", "person_id": "W"},
                      {"incident_id": "i2", "person_id": "Z"}],
    }
    outputs = [
        event("i1:d", "dispatch", "i1", 0, ["dz"], "welfare_check", "P3"),
        event("i1:u", "update", "i1", 18, ["dz", "tw"], "escort_station", "P2"),
        event("i2:d", "dispatch", "i2", 60, ["dz2"], "welfare_check", "P3"),
    ]
    s = score(truth, outputs, [], [tip_item(1, "tw", 18)], [])
    assert [(r["person_id"], r["incidents"]) for r in s["per_person"]] == [("W", ["i1"]), ("Z", ["i2"])]
    assert s["persons_reported_reached"] == 2 and s["unreached"] == [] and s["duplicate_incidents"] == 0
    assert s["false_matches"] == [{"incident": "i1", "person": "W", "reports": [{"report": "dz", "person": "Z"}]}]
    # No team met either of them there (sent to nobody, or not yet on scene): the first report's person, as before.
    s = score({**truth, "team_jobs": []}, outputs, [], [tip_item(1, "tw", 18)], [])
    assert [(r["person_id"], r["incidents"]) for r in s["per_person"]] == [("W", []), ("Z", ["i1", "i2"])]
    # More reports still decide over whom the team met.
    outputs[1] = event("i1:u", "update", "i1", 18, ["dz", "dz2", "tw"], "escort_station", "P2")
    s = score(truth, outputs[:2], [], [tip_item(1, "tw", 18)], [])
    assert [(r["person_id"], r["incidents"]) for r in s["per_person"]] == [("W", []), ("Z", ["i1"])]

"""Score a drill: the pipeline's output against the simulated night's ground truth.

Incidents are mapped to persons through the dispatch events' `sources` (the
report ids merged into the incident): a tip id, a detection id, or a
detection id that starts with a thermal frame's id (the detector names its
detections after the frame, e.g. `frame-7-00012-d0`). The thermal agent's
detections (ids hashed from camera, time and box) are read back from the
`detections` topic: each is put in its frame (same camera, same instant) and
its box paired with the persons the frame drew (`thermal.tracking.pair_boxes`),
so it concerns that person, or nobody (a decoy). Only an incident whose
sources the truth does not know is matched by position (nearest person
present within `POSITION_MATCH_M`) and counted as such.

Accounting rule (no event lost): every *event* input — a tip, a detection
record or a thermal frame — must be accounted for:
  * its id is in some dispatch event's `sources` (a frame: some source
    starts with its id), or
  * a dead letter carries it (its id occurs in the dead letter's payload, or
    the payload is the input's raw text), or
  * the truth says it concerns nobody and the pipeline may drop it silently:
    a frame that shows no person, or a decoy detection (filtered).
A frame that shows a person but yields no source counts as a *missed frame*
(detector recall), not as lost. State inputs (weather, team-status,
task-acks, clock) update tables and produce no event of their own, so they
are not accounted for.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from core import topics as names
from core.feed import FeedItem
from core.records import CATEGORIES, PRIORITIES, maybe_time
from geo.distance import haversine_m
from thermal.tracking import HIT_IOU_MIN, centre_inside, pair_boxes

_EPOCH = datetime.min.replace(tzinfo=UTC)


def by_time(record: dict[str, Any]) -> tuple[datetime, str]:
    """An output's order: its `at` as an instant (times with different UTC offsets compare as the instants they are;
    their strings do not), then its event id; a record without a readable time first."""
    return maybe_time(record.get("at")) or _EPOCH, str(record.get("event_id", ""))

# The P1 acknowledgement deadline (minutes) that held in a district over a span of time.
P1Limit = Callable[[str, datetime, datetime], float]
EVENT_TOPICS: tuple[str, ...] = (names.TIPS, names.DETECTIONS, names.THERMAL_FRAMES)
POSITION_MATCH_M = 150.0
_ID_FIELDS = {names.TIPS: "tip_id", names.DETECTIONS: "detection_id", names.THERMAL_FRAMES: "frame_id"}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); None when there is nothing to measure."""
    data = sorted(float(v) for v in values)
    if not data:
        return None
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)




def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60.0


def _input_id(item: FeedItem) -> tuple[str | None, str]:
    """(id, raw text) of an event input; id None when the payload does not parse."""
    raw = item.value.decode("utf-8", errors="replace")
    try:
        data = json.loads(raw)
    except ValueError:
        return None, raw
    if not isinstance(data, dict):
        return None, raw
    value = data.get(_ID_FIELDS.get(item.topic, ""))
    return (str(value) if value not in (None, "") else None), raw


class _Sources:
    """Which persons a report id concerns, exact or through its frame's id."""

    def __init__(self, truth: dict[str, Any], detections: Iterable[dict[str, Any]] = ()) -> None:
        self.reports: dict[str, list[str]] = {rid: list(r.get("person_ids") or []) for rid, r in (truth.get("reports") or {}).items()}
        self.frames: dict[str, list[str]] = {fid: list(f.get("person_ids") or []) for fid, f in (truth.get("frames") or {}).items()}
        self.persons = {p["person_id"]: p for p in truth.get("persons") or []}
        for did, pids in detection_persons(truth, detections).items():
            self.reports.setdefault(did, pids)

    def frame_of(self, source: str) -> str | None:
        if source in self.frames:
            return source
        for sep in ("-", ":", "/", "#", "_"):
            head = source.rsplit(sep, 1)[0]
            if head != source and head in self.frames:
                return head
        return None

    def known(self, source: str) -> bool:
        """Whether the truth knows this report id (or its frame): then it says whom it concerns, maybe nobody."""
        return source in self.reports or self.frame_of(source) is not None

    def persons_of(self, source: str, lat: float, lon: float) -> list[str]:
        if source in self.reports:
            # The truth's word, also when it is nobody: a decoy detection named after its frame is not the frame's person.
            return self.reports[source]
        frame = self.frame_of(source)
        if frame is not None:
            pids = self.frames[frame]
            if len(pids) <= 1:
                return pids
            # Several persons in the frame: the one nearest the incident.
            return [min(pids, key=lambda p: haversine_m(lat, lon, self.persons[p]["lat"], self.persons[p]["lon"])
                        if p in self.persons else math.inf)]
        return []


def detection_persons(truth: dict[str, Any], detections: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Detection id -> the person its box shows in the frame it came from (same camera, same instant), or nobody.

    Boxes pair one-to-one, best overlap first; a box left over whose centre
    lies on a drawn person is that person too (a body split in two blobs).
    A detection of no known frame is left out (the scorer does not know it).
    Without this, a detection was given by position to whoever stood nearest
    when its incident opened: a decoy's incident a person later joined was
    false, and a person's detection was the nearest other person's.
    """
    drawn: dict[tuple[str, datetime], list[dict[str, Any]]] = {}
    for r in (truth.get("reports") or {}).values():
        if r.get("kind") == "frame" and (at := maybe_time(r.get("at"))) is not None:
            drawn[(str(r.get("camera_id")), at)] = [t for t in r.get("truth") or () if t.get("person_id")]
    shots: dict[tuple[str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for d in detections:
        at = maybe_time(d.get("captured_at"))
        bbox = d.get("bbox")
        if at is not None and d.get("detection_id") and isinstance(bbox, list | tuple) and len(bbox) == 4:
            shots[(str(d.get("camera_id")), at)].append(d)
    out: dict[str, list[str]] = {}
    for key, dets in shots.items():
        if key not in drawn:
            continue
        people = drawn[key]
        boxes = [[int(v) for v in d["bbox"]] for d in dets]
        truths = [[int(v) for v in t["bbox"]] for t in people]
        paired = dict(pair_boxes(boxes, truths, HIT_IOU_MIN, centre_in=True))
        for i, d in enumerate(dets):
            j = paired.get(i)
            if j is None:
                j = next((k for k, t in enumerate(truths) if centre_inside(boxes[i], t)), None)
            out[str(d["detection_id"])] = [str(people[j]["person_id"])] if j is not None else []
    return out


def where_then(person: dict[str, Any], at: datetime | None) -> tuple[float, float] | None:
    """Where a truth person was at `at` (along their track), None when not there then: not yet appeared, or gone
    (taken away by a team) at or before `at`. Without a time, where they first appeared."""
    if at is None:
        return float(person["lat"]), float(person["lon"])
    appears, gone = maybe_time(person.get("appears_at")), maybe_time(person.get("gone_at"))
    if (appears is not None and appears > at) or (gone is not None and gone <= at):
        return None
    track = [(t, float(la), float(lo)) for x, la, lo in person.get("track") or () if (t := maybe_time(x)) is not None]
    if not track:
        return float(person["lat"]), float(person["lon"])
    for (t0, la0, lo0), (t1, la1, lo1) in pairwise(track):
        if t0 <= at < t1:
            f = (at - t0) / (t1 - t0)
            return la0 + (la1 - la0) * f, lo0 + (lo1 - lo0) * f
    return (track[0][1], track[0][2]) if at < track[0][0] else (track[-1][1], track[-1][2])


def _position_match(truth: dict[str, Any], lat: float, lon: float, at: datetime | None) -> str | None:
    """The person nearest the incident who was there when it opened (within POSITION_MATCH_M), where they were then.

    A person a team took away hours before is not whom a camera saw there
    later: given to them, a decoy detection at a camera site counted as their
    duplicate (and "reached" them again) instead of as the false incident it is.
    """
    best: tuple[float, str] | None = None
    for p in truth.get("persons") or []:
        spot = where_then(p, at)
        if spot is None:
            continue
        d = haversine_m(lat, lon, spot[0], spot[1])
        if d <= POSITION_MATCH_M and (best is None or d < best[0]):
            best = (d, p["person_id"])
    return best[1] if best else None


def _rank(priority: str | None) -> int | None:
    return PRIORITIES.index(priority) if priority in PRIORITIES else None


def score(truth: dict[str, Any], outputs: list[dict[str, Any]], dead_letters: list[dict[str, Any]], inputs: list[FeedItem],
          wall_latencies_ms: list[float], p1_ack_min: float = 5.0, p1_limit: P1Limit | None = None,
          detections: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """Every drill measure in one dict (plain JSON types; `samples` holds the raw lists); `detections` are the
    records the thermal agent published, to tell whom each detection saw."""
    src = _Sources(truth, detections)
    persons = {p["person_id"]: p for p in truth.get("persons") or []}
    events = sorted((e for e in outputs if isinstance(e, dict)), key=by_time)
    incidents, event_incident = _incidents(events, src, truth)
    on_scene = _arrivals(inputs, event_incident)
    people = _persons(persons, incidents, on_scene)
    escalations = [e for e in events if e.get("kind") == "escalation"]
    injected = sum(1 for j in truth.get("team_jobs") or [] if j.get("missed"))
    accounting = _accounting(truth, incidents, src, dead_letters, inputs)
    reported_ids = {p["person_id"] for p in people.reported}
    reached, arrived = people.reached, people.arrived
    false_incidents = [i["incident_id"] for i in incidents.values() if not i["person_id"]]
    limit = p1_limit or (lambda district, start, end: p1_ack_min)
    night_end = maybe_time(truth.get("end")) or max((t for e in events if (t := maybe_time(e.get("at"))) is not None), default=None)
    wrong = _what_went_wrong(persons, people, incidents, events, p1_ack_min, limit, _dead_reasons(src, dead_letters), night_end)
    return {
        **wrong,
        "false_matches": _false_matches(incidents, src),
        "call_backs": _call_backs(truth, set(reached)),
        "persons": len(persons),
        "persons_reported": len(people.reported),
        "persons_reached": len(reached),
        "persons_reported_reached": len(set(reached) & reported_ids),
        "reach_share": _share(len(set(reached) & reported_ids), len(people.reported)),
        "reach_share_all": _share(len(reached), len(persons)),
        "persons_arrived": len(arrived),
        "persons_reported_arrived": len(set(arrived) & reported_ids),
        "arrival_share": _share(len(set(arrived) & reported_ids), len(people.reported)),
        "camera_only_reached": sum(1 for pid in reached if persons[pid].get("found_by_camera_only")),
        "camera_only_persons": sum(1 for p in persons.values() if p.get("found_by_camera_only")),
        "to_dispatch_min": {"p50": _r(percentile(people.to_dispatch, 50)), "p95": _r(percentile(people.to_dispatch, 95)),
                            "n": len(people.to_dispatch)},
        "to_arrival_min": {"p50": _r(percentile(people.to_arrival, 50)), "p95": _r(percentile(people.to_arrival, 95)),
                           "n": len(people.to_arrival)},
        "wall_latency_ms": {"p50": _r(percentile(wall_latencies_ms, 50)), "p99": _r(percentile(wall_latencies_ms, 99)),
                            "n": len(wall_latencies_ms)},
        "category_accuracy": _share(people.cat_right, people.cat_total),
        "confusion": {k: dict(sorted(v.items())) for k, v in people.confusion.items() if v},
        "priority": {**people.prio, "accuracy": _share(people.prio["correct"], people.prio["total"])},
        "incidents": len(incidents),
        "incidents_by_position": sum(1 for i in incidents.values() if i["by_position"]),
        "false_incidents": len(false_incidents),
        "duplicate_incidents": people.duplicates,
        "persons_with_duplicates": people.persons_with_duplicates,
        "escalations": len(escalations),
        "escalated_incidents": len({e.get("incident_id") for e in escalations}),
        "injected_ack_misses": injected,
        "events": dict(Counter(str(e.get("kind")) for e in events)),
        "accounting": accounting,
        "per_person": people.rows,
        "samples": {"to_dispatch_min": people.to_dispatch, "to_arrival_min": people.to_arrival,
                    "wall_latency_ms": list(wall_latencies_ms)},
    }


def team_met(truth: dict[str, Any]) -> dict[str, list[str]]:
    """Incident id -> the persons its teams met on scene (the truth's `team_jobs`), in job order."""
    met: dict[str, list[str]] = defaultdict(list)
    for job in truth.get("team_jobs") or []:
        if job.get("person_id") and job.get("incident_id"):
            met[str(job["incident_id"])].append(str(job["person_id"]))
    return met


def owner(votes: Counter[str], met: Sequence[str]) -> str:
    """Whom an incident concerns: most reports decide; of persons with as many, one a team met there, else the one the
    first report was about (`votes` counts in the order the persons first appear among the sources).

    Seed 149: given by id to a caller's man whose tip joined a camera's incident, the man the camera saw and the
    team met counted as never reached. Seed 241: a hotline tip about a woman in a wheelchair 225 m off joined a
    camera's incident of a standing man; its team met her and took her to the station, yet given to the camera's
    first report she counted as never reached and his own later incident as a duplicate.
    """
    top = max(votes.values())
    tied = [p for p, n in votes.items() if n == top]
    return next((p for p in met if p in tied), tied[0])


def _incidents(events: list[dict[str, Any]], src: _Sources, truth: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Incidents rebuilt from their events, each with the person it concerns; and event id -> incident id."""
    incidents: dict[str, dict[str, Any]] = {}
    event_incident: dict[str, str] = {}
    for e in events:
        iid = str(e.get("incident_id", ""))
        inc = incidents.setdefault(iid, {"incident_id": iid, "events": [], "sources": [], "first": e, "dispatch": None})
        inc["events"].append(e)
        event_incident[str(e.get("event_id", ""))] = iid
        for s in e.get("sources") or ():
            if s not in inc["sources"]:
                inc["sources"].append(str(s))
        if inc["dispatch"] is None and e.get("kind") == "dispatch" and e.get("team_id"):
            inc["dispatch"] = e
    met = team_met(truth)
    for inc in incidents.values():
        first = inc["first"]
        lat, lon = float(first.get("lat", 0.0)), float(first.get("lon", 0.0))
        votes: Counter[str] = Counter()  # in the order the persons first appear among the sources
        for s in inc["sources"]:
            votes.update(src.persons_of(s, lat, lon))
        inc["by_position"] = False
        if votes:
            inc["person_id"] = owner(votes, met.get(inc["incident_id"], []))
        elif inc["sources"] and all(src.known(s) for s in inc["sources"]):
            inc["person_id"] = None  # every report is one the truth says concerns nobody: a false incident
        else:
            inc["person_id"] = _position_match(truth, lat, lon, maybe_time(first.get("at")))
            inc["by_position"] = inc["person_id"] is not None
        decider = inc["dispatch"] or first
        inc["category"] = decider.get("category")
        inc["priority"] = decider.get("priority")
    return incidents, event_incident


def _arrivals(inputs: list[FeedItem], event_incident: dict[str, str]) -> dict[str, datetime]:
    """First on-scene acknowledgement per incident."""
    on_scene: dict[str, datetime] = {}
    for item in inputs:
        if item.topic != names.TASK_ACKS:
            continue
        try:
            ack = json.loads(item.value)
        except ValueError:
            continue
        if not isinstance(ack, dict) or ack.get("status") != "on_scene":
            continue
        inc_id = str(ack.get("incident_id") or event_incident.get(str(ack.get("event_id", ""))) or "")
        when = maybe_time(ack.get("at")) or item.at
        if inc_id and (inc_id not in on_scene or when < on_scene[inc_id]):
            on_scene[inc_id] = when
    return on_scene


@dataclass
class _People:
    """Per-person measures: reach, times, category and priority against the truth."""

    reported: list[dict[str, Any]]
    reached: list[str] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)
    to_dispatch: list[float] = field(default_factory=list)
    to_arrival: list[float] = field(default_factory=list)
    confusion: dict[str, dict[str, int]] = field(default_factory=lambda: {c: {} for c in CATEGORIES})
    cat_right: int = 0
    cat_total: int = 0
    prio: dict[str, int] = field(default_factory=lambda: {"correct": 0, "under": 0, "over": 0, "total": 0})
    duplicates: int = 0
    persons_with_duplicates: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def _persons(persons: dict[str, dict[str, Any]], incidents: dict[str, dict[str, Any]], on_scene: dict[str, datetime]) -> _People:
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inc in incidents.values():
        if inc["person_id"]:
            by_person[inc["person_id"]].append(inc)
    people = _People(reported=[p for p in persons.values() if p.get("first_report_at")])
    for pid, p in sorted(persons.items()):
        incs = sorted(by_person.get(pid, []), key=lambda i: by_time(i["first"]))
        first_report = maybe_time(p.get("first_report_at"))
        row: dict[str, Any] = {"person_id": pid, "category": p.get("category"), "incidents": [i["incident_id"] for i in incs],
                               "reached": False, "arrived": False}
        if len(incs) > 1:
            people.duplicates += len(incs) - 1
            people.persons_with_duplicates += 1
        dispatches = [maybe_time(i["dispatch"].get("at")) for i in incs if i["dispatch"] is not None]
        dispatch_times = [t for t in dispatches if t is not None]
        if dispatch_times:
            people.reached.append(pid)
            row["reached"] = True
            if first_report is not None:
                # A team already sent there (to a camera's detection) when the first call came: no wait, not a negative one.
                row["to_dispatch_min"] = round(max(0.0, _minutes(first_report, min(dispatch_times))), 2)
                people.to_dispatch.append(row["to_dispatch_min"])
        arrivals = [on_scene[i["incident_id"]] for i in incs if i["incident_id"] in on_scene]
        if arrivals:
            people.arrived.append(pid)
            row["arrived"] = True
            if first_report is not None:
                row["to_arrival_min"] = round(_minutes(first_report, min(arrivals)), 2)
                people.to_arrival.append(row["to_arrival_min"])
        if incs:
            _judge(people, p, incs, row)
        people.rows.append(row)
    return people


def decision(inc: dict[str, Any], first_report: datetime | None) -> tuple[Any, Any]:
    """The category and priority a person is judged by: their incident's at its first dispatch; or, when that dispatch
    came before the person's first report, the first the desk gave once it had that report.

    A team sent to a camera's detection (often a decoy) before the person was
    there or reported was rightly sent to a `welfare_check`; judged by that
    dispatch, seed 97's minor and drunk man without ID, whose tips joined it
    (escort_station P2, rescue_first P1 from their first tip), counted as a wrong
    category and an under-priority.
    """
    dispatched = maybe_time(inc["dispatch"].get("at")) if inc["dispatch"] is not None else None
    if first_report is None or dispatched is None or dispatched >= first_report:
        return inc["category"], inc["priority"]
    later = next((e for e in inc["events"] if e.get("category") and (t := maybe_time(e.get("at"))) is not None and t >= first_report),
                 None)
    return (later.get("category"), later.get("priority")) if later is not None else (inc["category"], inc["priority"])


def _judge(people: _People, person: dict[str, Any], incs: list[dict[str, Any]], row: dict[str, Any]) -> None:
    """Category and priority of the person's main incident against the truth."""
    main = next((i for i in incs if i["dispatch"] is not None), incs[0])
    category, priority = decision(main, maybe_time(person.get("first_report_at")))
    predicted = str(category)
    # What the desk could know: a person only a camera saw is a welfare check, whatever they need (truth `category`).
    truth_cat = str(person.get("expected_category") or person.get("category"))
    people.confusion.setdefault(truth_cat, {})
    people.confusion[truth_cat][predicted] = people.confusion[truth_cat].get(predicted, 0) + 1
    people.cat_total += 1
    people.cat_right += predicted == truth_cat
    got = _rank(priority)
    hi, lo = _rank(person.get("expected_priority")), _rank(person.get("expected_priority_min") or person.get("expected_priority"))
    if got is not None and hi is not None and lo is not None:
        people.prio["total"] += 1
        if got < hi:
            people.prio["over"] += 1
        elif got > lo:
            people.prio["under"] += 1
        else:
            people.prio["correct"] += 1
    row["predicted_category"], row["predicted_priority"] = predicted, priority


def _accounting(truth: dict[str, Any], incidents: dict[str, dict[str, Any]], src: _Sources, dead_letters: list[dict[str, Any]],
                inputs: list[FeedItem]) -> dict[str, Any]:
    """Every event input is in an output, a dead letter, silent by the truth, or a missed frame; else lost."""
    all_sources = {s for inc in incidents.values() for s in inc["sources"]}
    source_frames = {f for s in all_sources if (f := src.frame_of(s)) is not None}
    payloads = [str(d.get("payload", "")) for d in dead_letters if isinstance(d, dict)]
    counted = Counter[str]()
    lost: list[dict[str, Any]] = []
    for item in inputs:
        if item.topic not in EVENT_TOPICS:
            continue
        counted["events"] += 1
        rid, raw = _input_id(item)
        if rid is not None and (rid in all_sources or (item.topic == names.THERMAL_FRAMES and rid in source_frames)):
            counted["in_output"] += 1
            continue
        if any(raw == pl or (rid is not None and rid in pl) for pl in payloads):
            counted["dead_lettered"] += 1
            continue
        if item.topic == names.THERMAL_FRAMES and rid is not None and rid in src.frames:
            counted["missed_frames" if src.frames[rid] else "silent"] += 1
            continue
        if item.topic == names.DETECTIONS and rid is not None and rid in src.reports and not src.reports[rid]:
            counted["silent"] += 1
            continue
        lost.append({"topic": item.topic, "id": rid, "at": item.at.isoformat(), "seq": item.seq})
    malformed = set(truth.get("malformed") or [])
    # A truncated JSON line may have lost its id: match the payload itself too.
    sent = {item.key: item.value.decode("utf-8", errors="replace") for item in inputs if item.key in malformed}
    malformed_dead = sum(1 for m in malformed if any(m in pl or (m in sent and sent[m] == pl) for pl in payloads))
    return {
        "event_inputs": counted["events"], "in_output": counted["in_output"], "dead_lettered": counted["dead_lettered"],
        "silent": counted["silent"], "missed_frames": counted["missed_frames"], "lost": len(lost),
        "lost_items": lost[:50], "malformed": len(malformed), "malformed_dead_lettered": malformed_dead,
        "dead_letters": len(payloads),
    }


def _dead_reasons(src: _Sources, dead_letters: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Person id -> why their reports were dead-lettered (a report's id found in a dead letter's payload)."""
    out: dict[str, list[str]] = defaultdict(list)
    for d in dead_letters:
        if not isinstance(d, dict):
            continue
        payload = str(d.get("payload", ""))
        for rid, pids in src.reports.items():
            if pids and f'"{rid}"' in payload:
                for pid in pids:
                    out[pid].append(f"{rid} dead-lettered: {d.get('reason')}")
    return out


def _what_went_wrong(persons: dict[str, dict[str, Any]], people: _People, incidents: dict[str, dict[str, Any]],
                     events: list[dict[str, Any]], p1_ack_min: float, limit: P1Limit, dead: dict[str, list[str]],
                     night_end: datetime | None = None) -> dict[str, Any]:
    """The failures first: persons never reached and why, queue waits, duplicates, false merges, diversions, escalations."""
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for inc in incidents.values():
        if inc["person_id"]:
            by_person[inc["person_id"]].append(inc)
    reported = {p["person_id"] for p in people.reported}
    unreached = []
    for pid in sorted(reported - set(people.reached)):
        incs = by_person.get(pid, [])
        last = max((e for i in incs for e in i["events"]), key=by_time, default=None)
        if last:
            why = f"last event {last.get('kind')}: {last.get('reason')}"
        elif dead.get(pid):
            why = "no incident: " + "; ".join(dead[pid])
        else:
            why = "no incident of its own: its reports were counted into another person's incident"
        unreached.append({"person_id": pid, "category": persons[pid].get("category"), "incidents": [i["incident_id"] for i in incs],
                          "why": why})
    waits: dict[str, list[float]] = defaultdict(list)
    p1_to_dispatch: list[float] = []
    p1_unattended: list[float] = []
    p1_over: list[dict[str, Any]] = []
    for inc in incidents.values():
        evs = inc["events"]
        for priority, minutes in _queue_waits(evs, night_end):
            waits[priority].append(minutes)
        if inc["priority"] == "P1":
            silences = _p1_silences(evs, night_end)
            p1_unattended.append(max((_minutes(a, b) for a, b in silences), default=0.0))
            district = str(inc["first"].get("district") or "")
            p1_over += [{"incident": inc["incident_id"], "from": a.isoformat(), "waited_min": round(_minutes(a, b), 2),
                         "deadline_min": round(limit(district, a, b), 2)}
                        for a, b in silences if _minutes(a, b) > limit(district, a, b) + 1e-9]
    for row in people.rows:
        if row.get("predicted_priority") == "P1" and "to_dispatch_min" in row:
            p1_to_dispatch.append(row["to_dispatch_min"])
    merges = [e for e in events if e.get("kind") == "merged"]
    false_merges = [{"incident": e.get("incident_id"), "into": e.get("merged_into"),
                     "persons": [incidents.get(str(e.get("incident_id")), {}).get("person_id"),
                                 incidents.get(str(e.get("merged_into")), {}).get("person_id")]}
                    for e in merges if _different(incidents, str(e.get("incident_id")), str(e.get("merged_into")))]
    escalations = [e for e in events if e.get("kind") == "escalation"]
    failures = {u["person_id"] for u in unreached} | {r["person_id"] for r in people.rows if len(r["incidents"]) > 1}
    timelines = {pid: [{"at": e.get("at"), "incident": e.get("incident_id"), "kind": e.get("kind"), "priority": e.get("priority"),
                        "team": e.get("unit_team_id") or e.get("team_id"), "reason": e.get("reason")}
                       for e in sorted((e for i in by_person.get(pid, []) for e in i["events"]), key=by_time)]
                 for pid in sorted(failures)}
    return {
        "unreached": unreached,
        "queue_wait_min": {p: {"p50": _r(percentile(w, 50)), "p95": _r(percentile(w, 95)), "max": _r(max(w)), "n": len(w)}
                           for p, w in sorted(waits.items())},
        "p1_to_dispatch_min": {"p50": _r(percentile(p1_to_dispatch, 50)), "p95": _r(percentile(p1_to_dispatch, 95)), "n": len(p1_to_dispatch)},
        "p1_longest_unattended_min": _r(max(p1_unattended, default=0.0)),
        "p1_waits_over_deadline": len(p1_over),
        "p1_waits_over_deadline_items": p1_over,
        "p1_wait_limit_min": p1_ack_min,
        "merges": len(merges),
        "false_merges": false_merges,
        "diversions": sum(1 for e in events if "diversion" in (e.get("rules") or ())),
        "diversion_items": [{"at": e.get("at"), "incident": e.get("incident_id"), "priority": e.get("priority"), "team": e.get("team_id"),
                             "taken_from": next((str(r).split(":", 1)[1] for r in e.get("rules") or () if str(r).startswith("diverted_from:")), None)}
                            for e in events if "diversion" in (e.get("rules") or ())],
        "escalations_by_cause": dict(sorted(Counter(str(e.get("escalation_cause") or "ack_missed") for e in escalations).items())),
        "unit_timers": sum(1 for e in events if e.get("kind") == "unit_timer"),
        "failure_timelines": timelines,
    }


def _call_backs(truth: dict[str, Any], reached: set[str]) -> dict[str, Any]:
    """Dead tips the drill's call-taker resubmitted with a position: how many, the time each lost, and who was reached."""
    rows = [{**c, "lost_min": round(_minutes(datetime.fromisoformat(c["reported_at"]), datetime.fromisoformat(c["resubmitted_at"])), 2),
             "reached": c["person_id"] in reached} for c in truth.get("callbacks") or []]
    lost = [r["lost_min"] for r in rows]
    return {"n": len(rows), "reached": sum(1 for r in rows if r["reached"]), "lost_min_p50": _r(percentile(lost, 50)),
            "lost_min_max": _r(max(lost, default=None)), "items": rows}


def _false_matches(incidents: dict[str, dict[str, Any]], src: _Sources) -> list[dict[str, Any]]:
    """Reports counted into another person's incident: a false merge of a report, which leaves its person unseen."""
    found = []
    for inc in sorted(incidents.values(), key=lambda i: i["incident_id"]):
        owner = inc["person_id"]
        lat, lon = float(inc["first"].get("lat", 0.0)), float(inc["first"].get("lon", 0.0))
        strays = [{"report": s, "person": p} for s in inc["sources"] for p in src.persons_of(s, lat, lon) if owner and p != owner]
        if strays:
            found.append({"incident": inc["incident_id"], "person": owner, "reports": strays})
    return found


def _different(incidents: dict[str, dict[str, Any]], a: str, b: str) -> bool:
    pa, pb = incidents.get(a, {}).get("person_id"), incidents.get(b, {}).get("person_id")
    return bool(pa and pb and pa != pb)


def _waiting(event: dict[str, Any]) -> bool:
    """The event leaves the incident in the queue: queued (a first dispatch, a diversion's victim), or an escalation
    or follow-up visit that found no team."""
    return not event.get("team_id") and (event.get("kind") == "queued" or event.get("status") == "queued")


def _queue_waits(events: list[dict[str, Any]], night_end: datetime | None) -> list[tuple[str, float]]:
    """Every wait of the incident in the queue (it may queue again: a diversion's victim, an escalation that found no
    team), from the event that queued it to the first with a team, its closing (resolved, merged), or the night's end;
    each under the priority it had when the wait ended."""
    out: list[tuple[str, float]] = []
    since: datetime | None = None
    last: dict[str, Any] = {}
    for e in events:
        at = maybe_time(e.get("at"))
        if at is None:
            continue
        if since is not None and (e.get("team_id") or e.get("kind") in ("resolved", "merged")):
            out.append((str(e.get("priority")), round(_minutes(since, at), 2)))
            since = None
        if since is None and _waiting(e):
            since = at
        last = e
    if since is not None:
        end = max(night_end or since, since, maybe_time(last.get("at")) or since)
        out.append((str(last.get("priority")), round(_minutes(since, end), 2)))
    return out


def _p1_silences(events: list[dict[str, Any]], night_end: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The spans a P1 waited without a team and without an escalation.

    Counted from when the incident was P1: a P3 queued at dusk waits by the
    P3 deadline until the cold wave makes it a P1. A silence still open when
    the events end lasts until the night's end.
    """
    spans: list[tuple[datetime, datetime]] = []
    silent: datetime | None = None  # since when nobody was sent and nobody told
    as_p1: datetime | None = None  # since when that silence concerned a P1
    for e in events:
        at = maybe_time(e.get("at"))
        if at is None:
            continue
        kind = e.get("kind")
        if silent is not None and (e.get("team_id") or kind in ("escalation", "resolved", "merged")):
            if as_p1 is not None:
                spans.append((as_p1, at))
            silent = as_p1 = None
        if (kind == "escalation" and not e.get("team_id")) or (silent is None and _waiting(e)):
            silent = at
            as_p1 = at if e.get("priority") == "P1" else None
        elif silent is not None and as_p1 is None and e.get("priority") == "P1":
            as_p1 = at
    if silent is not None and as_p1 is not None and night_end is not None and night_end > as_p1:
        spans.append((as_p1, night_end))
    return spans


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def format_scores(scores: dict[str, Any]) -> str:
    """A short terminal table of the headline measures."""
    acc = scores["accounting"]
    rows: list[tuple[str, str]] = [
        ("persons (reported)", f"{scores['persons']} ({scores['persons_reported']})"),
        ("reached (dispatch)", _of_reported(scores, "reached", "reach_share")),
        ("arrived (on scene)", _of_reported(scores, "arrived", "arrival_share")),
        ("camera-only reached", f"{scores['camera_only_reached']} / {scores['camera_only_persons']}"),
        ("report -> dispatch min", f"p50 {_fmt(scores['to_dispatch_min']['p50'])}  p95 {_fmt(scores['to_dispatch_min']['p95'])}"),
        ("report -> arrival min", f"p50 {_fmt(scores['to_arrival_min']['p50'])}  p95 {_fmt(scores['to_arrival_min']['p95'])}"),
        ("wall tip -> dispatch ms", f"p50 {_fmt(scores['wall_latency_ms']['p50'])}  p99 {_fmt(scores['wall_latency_ms']['p99'])}"),
        ("category accuracy", _pct(scores["category_accuracy"])),
        ("priority in range", f"{_pct(scores['priority']['accuracy'])}  under {scores['priority']['under']}  over {scores['priority']['over']}"),
        ("incidents", f"{scores['incidents']}  false {scores['false_incidents']}  by position {scores['incidents_by_position']}"),
        ("duplicate incidents", f"{scores['duplicate_incidents']}  ({scores['persons_with_duplicates']} persons)"),
        ("escalations", f"{scores['escalations']}  (injected ack misses {scores['injected_ack_misses']})"),
        ("event inputs", f"{acc['event_inputs']}: output {acc['in_output']}  dead {acc['dead_lettered']}  silent {acc['silent']}"
                         f"  missed frames {acc['missed_frames']}"),
        ("LOST events", str(acc["lost"])),
        ("NOT REACHED (reported)", str(len(scores["unreached"]))),
        ("P1 report -> dispatch min", f"p50 {_fmt(scores['p1_to_dispatch_min']['p50'])}  p95 {_fmt(scores['p1_to_dispatch_min']['p95'])}"),
        ("P1 waits over deadline", f"{scores['p1_waits_over_deadline']}  (deadline at the level in force, strictest {_fmt(scores['p1_wait_limit_min'])} min,"
                                   f" longest unattended {_fmt(scores['p1_longest_unattended_min'])} min)"),
        ("queue wait min", "  ".join(f"{p} p50 {_fmt(w['p50'])} p95 {_fmt(w['p95'])} max {_fmt(w['max'])}"
                                     for p, w in scores["queue_wait_min"].items()) or "-"),
        ("merges", f"{scores['merges']}  false {len(scores['false_merges'])}  false matches {len(scores['false_matches'])}"),
        ("diversions", str(scores["diversions"])),
        ("call-backs (dead tips)", f"{scores['call_backs']['n']}  reached {scores['call_backs']['reached']}"
                                   f"  time lost p50 {_fmt(scores['call_backs']['lost_min_p50'])}"
                                   f" max {_fmt(scores['call_backs']['lost_min_max'])} min"),
        ("escalations by cause", ", ".join(f"{k} {v}" for k, v in scores["escalations_by_cause"].items()) or "-"),
        ("malformed dead-lettered", f"{acc['malformed_dead_lettered']} / {acc['malformed']}"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k.ljust(width)}  {v}" for k, v in rows]
    bar = "-" * max(len(line) for line in lines)
    return "\n".join([bar, *lines, bar])


def _of_reported(scores: dict[str, Any], what: str, share: str) -> str:
    """Reported persons reached (or arrived at) and their share; persons nobody reported, found by position, apart."""
    mine = scores.get(f"persons_reported_{what}", scores[f"persons_{what}"])
    extra = scores[f"persons_{what}"] - mine
    return f"{mine}  share {_pct(scores[share])}" + (f"  (+{extra} nobody reported)" if extra else "")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100.0 * value:.1f}%"


def confusion_rows(confusion: dict[str, dict[str, int]], labels: Iterable[str] = CATEGORIES) -> list[list[str]]:
    """The confusion matrix as table rows (truth down, predicted across)."""
    cols = list(labels)
    extra = sorted({c for row in confusion.values() for c in row} - set(cols))
    cols += extra
    rows = [["truth \\ predicted", *cols]]
    for truth_cat in [*labels, *sorted(set(confusion) - set(labels))]:
        if truth_cat in confusion:
            rows.append([truth_cat, *(str(confusion[truth_cat].get(c, 0)) for c in cols)])
    return rows

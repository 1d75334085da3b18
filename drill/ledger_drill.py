"""A multi-night ledger drill: the same people return to their places, new ones appear.

Each night runs through the real pipeline (embedded broker or PATROL_BROKER,
one worker) with its own topics; simple crews answer every task (accepted,
on scene, resolved with the outcome the person gives); the ledger feeder then
reads the night into the database, and a simulated operator works through the
night's incidents with the ledger's suggestions: a returning person's likely
file should be theirs (goal ≥ 90 %), and a suggestion must never name another
person's file (a wrong link merges two people). The same is scored on what
reached the teams: the task hints the feeder sent (`task-hints`) for each
incident's task. Before each night after the
first the sweep list is drawn from the ledger and scored on the places people
were found that night (goal ≥ 80 %); each night's daily report is compared
with the drill's truth.

With several centres (PATROL_CITIES) one pipeline and one ledger serve every
city: each city has its own people, its own teams answer its tasks (acks keyed
by the centre the events name), and each city's sweep list is drawn from its
own incidents and its gathering places (`ledger.centres.LedgerCentres`), scored on
the places its people were found.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agents.ledger import read_task_hints, run_ledger
from core import topics as names
from core.feed import FeedItem
from core.records import CHANNELS, TaskAck, TaskHint, WeatherWarning
from core.settings import Settings
from drill.runner import check_centres
from geo.distance import haversine_m, offset_latlon
from geo.zones import CityIndex
from ledger.centres import LedgerCentres
from ledger.fold import utc_text
from ledger.match import Case, likely, suggest
from ledger.policy import load_ledger_policy
from ledger.report import report_day, to_csv, to_html
from ledger.store import PersonInput, Store
from ledger.sweep import coverage
from rules.context import Context
from tools.harness import pipeline_run
from tools.replay import city_teams

STEP = timedelta(minutes=5)
FIRST_NIGHT = date(2026, 12, 14)
COLOURS: tuple[str, ...] = ("红", "黑", "灰", "蓝", "绿", "白")
GARMENTS: tuple[str, ...] = ("大衣", "围巾", "棉袄", "羽绒服", "帽子", "毯子", "外套", "口罩")
WHO: dict[tuple[str, str], str] = {
    ("male", "elderly"): "一位老大爷", ("female", "elderly"): "一位老大娘",
    ("male", "adult"): "一名男子", ("female", "adult"): "一名女子",
}  # fmt: skip
# Most newcomers turn up where people already gather (stations, underpasses, markets); the rest elsewhere.
NEWCOMERS_AT_GATHERING_PLACES = 0.7
WHERE: tuple[str, ...] = ("坐在路边", "躺在长椅上", "蹲在墙角", "在台阶上睡觉")


@dataclass(frozen=True)
class Someone:
    """A person of the drill: who they are, where and when they usually are, whether they refuse help."""

    pid: str
    sex: str
    age_group: str
    clothes: str
    refuses: bool
    lat: float
    lon: float
    hour: float  # local hours after noon's midnight: 19.5 is 19:30, 25 is 01:00 next morning
    regular: bool


@dataclass(frozen=True)
class Sighting:
    person: Someone
    night: int
    tip_id: str
    channel: str
    at: datetime
    lat: float
    lon: float


@dataclass
class Scores:
    returning: int = 0
    suggested_right: int = 0
    suggested_none: int = 0
    suggested_wrong: int = 0
    new_people: int = 0
    new_suggested_as_known: int = 0
    unmatched_incidents: int = 0
    hint_returning: int = 0
    hint_right: int = 0
    hint_none: int = 0
    hint_wrong: int = 0
    hint_new_as_known: int = 0
    sweep: list[float | None] = field(default_factory=list)
    sweep_known: list[float | None] = field(default_factory=list)
    sweep_by_centre: dict[str, list[float | None]] = field(default_factory=dict)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    report_checks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        covered = [c for c in self.sweep if c is not None]
        return {
            "returning_people": self.returning,
            "linked_by_suggestion": round(self.suggested_right / self.returning, 3) if self.returning else None,
            "no_suggestion": self.suggested_none,
            "wrong_links": self.suggested_wrong + self.new_suggested_as_known,
            "new_people": self.new_people,
            "sweep_coverage_by_night": self.sweep,
            "sweep_coverage": round(sum(covered) / len(covered), 3) if covered else None,
            "sweep_coverage_of_places_with_history_by_night": self.sweep_known,
            "sweep_coverage_by_centre_by_night": self.sweep_by_centre,
            "wrong_link_cases": self.wrong,
            "daily_reports": self.report_checks,
            "daily_reports_equal_truth": all(c["equal"] for c in self.report_checks),
            "unmatched_incidents": self.unmatched_incidents,
            "task_hints": {
                "returning_people": self.hint_returning,
                "linked_on_the_task": round(self.hint_right / self.hint_returning, 3) if self.hint_returning else None,
                "no_hint": self.hint_none,
                "wrong": self.hint_wrong + self.hint_new_as_known,
            },
        }


@dataclass(frozen=True)
class Town:
    """One centre's city in the drill: its people and the spots they keep to."""

    centre: str
    people: list[Someone]
    spots: list[tuple[float, float]]
    prefix: str  # of its people's and tips' ids: "" with one centre, "<centre>-" with several
    index: CityIndex

    def inside(self, lat: float, lon: float) -> bool:
        """A newcomer's spot stays within the city's built-up area: near some gathering place, in its service area."""
        return self.index.in_service_area(lat, lon) and any(haversine_m(lat, lon, s_lat, s_lon) < 2500 for s_lat, s_lon in self.spots)


def population(ctx: Context, rng: np.random.Generator, regulars: int, prefix: str = "") -> tuple[list[Someone], list[tuple[float, float]]]:
    """Regulars at gathering places (some places shared by two people at hours far apart); ids start with `prefix`."""
    spots: list[tuple[float, float]] = []
    for place in ctx.city.places:
        if all(haversine_m(place.lat, place.lon, lat, lon) > 700 for lat, lon in spots):
            spots.append((place.lat, place.lon))
    rng.shuffle(spots)
    people: list[Someone] = []
    for n in range(regulars):
        shared = n >= len(spots) // 2 and n % 3 == 0 and n - 1 >= 0
        lat, lon = spots[(n - 1) if shared else n % len(spots)]
        hour = (people[-1].hour + 5.0 - 18) % 8 + 18 if shared else float(rng.uniform(18.5, 25.5))
        people.append(_someone(f"{prefix}R{n:02d}", rng, lat, lon, hour, regular=True))
    return people, spots


def _someone(pid: str, rng: np.random.Generator, lat: float, lon: float, hour: float, *, regular: bool) -> Someone:
    sex = "male" if rng.random() < 0.7 else "female"
    age = "elderly" if rng.random() < 0.5 else "adult"
    clothes = str(rng.choice(COLOURS)) + str(rng.choice(GARMENTS))
    return Someone(pid, sex, age, clothes, bool(rng.random() < 0.3), lat, lon, hour, regular)


def night_plan(night: int, town: Town, rng: np.random.Generator, newcomers: int, tz: ZoneInfo) -> list[Sighting]:
    """Who of a town is found where and when on night `night` (regulars at their place most nights; newcomers once)."""
    people, spots, prefix = town.people, town.spots, town.prefix
    evening = datetime.combine(FIRST_NIGHT + timedelta(days=night), time(0), tzinfo=tz)
    found: list[tuple[Someone, float, float, float]] = []
    for person in people:
        if rng.random() < 0.85:
            lat, lon = offset_latlon(person.lat, person.lon, float(rng.normal(0, 40)), float(rng.normal(0, 40)))
            found.append((person, lat, lon, person.hour + float(rng.normal(0, 0.5))))
    gathering = sorted({(p.lat, p.lon) for p in people})
    for n in range(newcomers):
        for _ in range(50):
            if rng.random() < NEWCOMERS_AT_GATHERING_PLACES:  # where people gather, far from its regulars' hours
                lat, lon = gathering[int(rng.integers(len(gathering)))]
            else:  # somewhere nobody was found before
                lat, lon = offset_latlon(*spots[int(rng.integers(len(spots)))], float(rng.uniform(900, 2000)), float(rng.uniform(-900, 900)))
            hour = float(rng.uniform(18.5, 25.5))
            near_known = [p for p in people if haversine_m(lat, lon, p.lat, p.lon) < 400 and abs(p.hour - hour) < 3.5]
            clash = [f for f in found if haversine_m(lat, lon, f[1], f[2]) < 400 and abs(f[3] - hour) < 1]
            if not near_known and not clash and town.inside(lat, lon):
                found.append((_someone(f"{prefix}N{night}-{n}", rng, lat, lon, hour, regular=False), lat, lon, hour))
                break
    sightings = []
    for n, (person, lat, lon, hour) in enumerate(sorted(found, key=lambda f: f[3])):
        at = evening + timedelta(hours=hour)
        at = at.replace(second=0, microsecond=0)
        channel = CHANNELS[int(rng.integers(len(CHANNELS)))]
        sightings.append(Sighting(person, night, f"ld-{prefix}{night}-{n:03d}", channel, at, round(lat, 6), round(lon, 6)))
    return sightings


def tip(s: Sighting) -> FeedItem:
    text = f"{WHO[(s.person.sex, s.person.age_group)]}穿{s.person.clothes}{WHERE[zlib.crc32(s.tip_id.encode()) % len(WHERE)]}"
    value = {"tip_id": s.tip_id, "channel": s.channel, "reported_at": s.at.isoformat(), "lat": s.lat, "lon": s.lon, "text": text}
    return FeedItem(at=s.at, seq=0, topic=names.TIPS, value=json.dumps(value, ensure_ascii=False).encode(), key=s.tip_id)


def outcome(person: Someone) -> str:
    return "refused_supplies_given" if person.refuses else "taken_to_station"


async def run_night(settings: Settings, centres: Mapping[str, Context], sightings: list[Sighting], level: str, store: Store,
                    night: int) -> tuple[list[dict[str, Any]], list[TaskHint]]:
    """One night of every centre through the real pipeline, crews answering every task; then the ledger reads it and tells the teams."""
    start = min(s.at for s in sightings) - timedelta(minutes=30)
    end = max(s.at for s in sightings) + timedelta(hours=2)
    by_tip = {s.tip_id: s for s in sightings}
    night_settings = replace(settings, topic_prefix=f"{settings.topic_prefix}ledgerdrill-n{night}-")
    pending: list[FeedItem] = [*city_teams(centres, start), *(tip(s) for s in sightings)]
    if level != "none":  # the province's warning, to every centre
        warning = WeatherWarning(level=level, issued_at=start)
        pending += [FeedItem(at=start, seq=-2000, topic=names.WEATHER, value=warning.to_json(), key=centre) for centre in centres]
    events: list[dict[str, Any]] = []
    async with pipeline_run(night_settings, "ledgerdrill", ready_at=start - STEP) as run:
        now = start
        while now <= end:
            due = sorted((p for p in pending if p.at <= now), key=lambda p: (p.topic, p.at, p.seq))
            pending = [p for p in pending if p.at > now]
            for item in due:
                await run.feeder.send(item)
            await run.feeder.tick(now)
            await run.feeder.barrier()
            for topic, obj in await run.feeder.drain():
                if topic != names.DISPATCH:
                    continue
                events.append(obj)
                if obj.get("status") == "assigned" and obj.get("team_id"):
                    person = next((by_tip[s].person for s in obj.get("sources", []) if s in by_tip), None)
                    pending += _answers(obj, now, person)
            now += STEP
        await run_ledger(run.settings, run.bootstrap, store, until_caught_up=True)
        hints = await read_task_hints(run.settings, run.bootstrap)
    return events, hints


def score_hints(events: list[dict[str, Any]], hints: list[TaskHint], sightings: list[Sighting], files: dict[str, str], scores: Scores) -> None:
    """What the team on each incident's first task was told, against who the person was (before tonight's new files)."""
    by_tip = {s.tip_id: s for s in sightings}
    people: dict[str, set[str]] = {}
    for ev in events:
        people.setdefault(ev["incident_id"], set()).update(by_tip[t].person.pid for t in ev.get("sources", []) if t in by_tip)
    first: dict[str, TaskHint] = {}
    for hint in sorted(hints, key=lambda h: (h.at, h.hint_id)):
        first.setdefault(hint.incident_id, hint)
    for incident_id, pids in people.items():
        if len(pids) != 1:
            continue
        pid = next(iter(pids))
        told = first.get(incident_id)
        if pid in files:
            scores.hint_returning += 1
            if told is None:
                scores.hint_none += 1
            elif told.person_id == files[pid]:
                scores.hint_right += 1
            else:
                scores.hint_wrong += 1
        elif told is not None:
            scores.hint_new_as_known += 1


def _answers(event: dict[str, Any], now: datetime, person: Someone | None) -> list[FeedItem]:
    """A crew accepts at once, is on scene 8 minutes later and resolves 20 minutes after the task."""
    out = []
    for minutes, status in ((0, "accepted"), (8, "on_scene"), (20, "resolved")):
        at = now + timedelta(minutes=minutes)
        ack = TaskAck(
            event_id=event["event_id"], team_id=event["team_id"], status=status, at=at,
            outcome=(outcome(person) if person else "not_found") if status == "resolved" else None, incident_id=event["incident_id"],
        )  # fmt: skip
        out.append(FeedItem(at=at, seq=minutes, topic=names.TASK_ACKS, value=ack.to_json(), key=event.get("centre") or event["incident_id"]))
    return out


def operate(store: Store, sightings: list[Sighting], files: dict[str, str], scores: Scores, tz: ZoneInfo, night: int) -> None:
    """The operator works through the night's incidents with the ledger's suggestions, linking each to its person's file."""
    by_tip = {s.tip_id: s for s in sightings}
    start, end = report_day(FIRST_NIGHT + timedelta(days=night), store.policy, tz)
    rows = store.db.query(
        "SELECT e.incident_id, e.payload FROM dispatch_events e JOIN incidents i ON i.incident_id = e.incident_id "
        "WHERE i.first_report_at >= ? AND i.first_report_at < ? ORDER BY i.first_report_at, e.incident_id, e.revision",
        (utc_text(start), utc_text(end)),
    )
    sources: dict[str, set[str]] = {}
    for row in rows:
        sources.setdefault(row["incident_id"], set()).update(json.loads(row["payload"]).get("sources", []))
    for incident_id, tips in sources.items():
        people = {by_tip[t].person for t in tips if t in by_tip}
        if len(people) != 1:
            scores.unmatched_incidents += 1
            continue
        person = people.pop()
        found = store.incident(incident_id)
        assert found is not None
        row = found
        case = Case(float(row["lat"]), float(row["lon"]), datetime.fromisoformat(row["first_report_at"]), tuple(f for f in row["flags"].split(",") if f), row["text"])
        best = likely(suggest(case, store.profiles(), store.policy, tz), store.policy)
        at = datetime.fromisoformat(row["first_report_at"])
        if person.pid in files:
            scores.returning += 1
            if best is None:
                scores.suggested_none += 1
            elif best.person_id == files[person.pid]:
                scores.suggested_right += 1
            else:
                scores.suggested_wrong += 1
                scores.wrong.append({"incident": incident_id, "person": person.pid, "suggested": best.person_id, "reasons": list(best.reasons)})
        else:
            scores.new_people += 1
            if best is not None:
                scores.new_suggested_as_known += 1
                owner = next((pid for pid, f in files.items() if f == best.person_id), None)
                scores.wrong.append({"incident": incident_id, "person": person.pid, "suggested_file_of": owner, "text": row["text"], "reasons": list(best.reasons)})
            files[person.pid] = store.open_person(
                PersonInput(sex=person.sex, age_group=person.age_group, appearance=person.clothes), by="drill-operator", at=at, request_id=f"drill-{person.pid}"
            )
        store.link(incident_id, files[person.pid], by="drill-operator", at=at)


def check_report(store: Store, sightings: list[Sighting], seen_before: set[str], tz: ZoneInfo, night: int) -> dict[str, Any]:
    """The night's daily report against what the drill did."""
    report = store.report("daily", *report_day(FIRST_NIGHT + timedelta(days=night), store.policy, tz), tz)
    people = {s.person.pid for s in sightings}
    truth = {
        "incidents": len(sightings),
        "tips_by_channel": dict(Counter(s.channel for s in sightings)),
        "refused": sum(1 for s in sightings if s.person.refuses),
        "station": sum(1 for s in sightings if not s.person.refuses),
        "persons_new": len(people - seen_before),
        "persons_returning": len(people & seen_before),
    }
    got = {
        "incidents": report.incidents,
        "tips_by_channel": report.tips_by_channel,
        "refused": report.outcomes.get("refused", 0),
        "station": report.outcomes.get("station", 0),
        "persons_new": report.persons_new,
        "persons_returning": report.persons_returning,
    }
    return {"night": str(FIRST_NIGHT + timedelta(days=night)), "equal": got == truth, "truth": truth, "report": got}


def run_ledger_drill(
    settings: Settings, centres: Mapping[str, Context], *, database: str, nights: int = 3, regulars: int = 14, newcomers: int = 4, seed: int = 7,
    out: Path | None = None,
) -> dict[str, Any]:
    """Run the drill in every centre's city (PATROL_CITIES); returns the scores (and writes them, with each night's reports, under `out`)."""
    check_centres(settings, centres)
    rng = np.random.default_rng(seed)
    tz = next(iter(centres.values())).city.timezone
    store = Store.open(database, load_ledger_policy(settings.ledger_policy_file, outcomes=next(iter(centres.values())).policy.outcomes))
    towns = []
    for centre, ctx in centres.items():
        prefix = f"{centre}-" if len(centres) > 1 else ""
        towns.append(Town(centre, *population(ctx, rng, regulars, prefix), prefix, ctx.index))
    sweeps = LedgerCentres({centre: ctx.city for centre, ctx in centres.items()}, store.policy.sweep_radius_m)
    scores = Scores()
    files: dict[str, str] = {}
    seen_before: set[str] = set()
    levels = ["none", "orange", "orange", "red", "yellow", "none", "none"]
    try:
        for night in range(nights):
            by_town = {town.centre: night_plan(night, town, rng, newcomers, tz) for town in towns}
            sightings = [s for plan in by_town.values() for s in plan]
            level = levels[night % len(levels)]
            tonight = FIRST_NIGHT + timedelta(days=night)
            if night:
                radius = store.policy.sweep_radius_m
                history = [(float(r["lat"]), float(r["lon"])) for r in store.db.query("SELECT lat, lon FROM incidents")]
                stops = []
                for town in towns:  # each city's list from its own incidents, scored on where its people are found
                    mine = sweeps.sweep(store, tonight, level, town.centre)[1]
                    scores.sweep_by_centre.setdefault(town.centre, []).append(coverage(mine, [(s.lat, s.lon) for s in by_town[town.centre]], radius))
                    stops += mine
                scores.sweep.append(coverage(stops, [(s.lat, s.lon) for s in sightings], radius))
                known = [(s.lat, s.lon) for s in sightings if any(haversine_m(s.lat, s.lon, lat, lon) <= radius for lat, lon in history)]
                scores.sweep_known.append(coverage(stops, known, radius))
            events, hints = asyncio.run(run_night(settings, centres, sightings, level, store, night))
            score_hints(events, hints, sightings, files, scores)
            operate(store, sightings, files, scores, tz, night)
            scores.report_checks.append(check_report(store, sightings, seen_before, tz, night))
            seen_before |= {s.person.pid for s in sightings}
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                report = store.report("daily", *report_day(tonight, store.policy, tz), tz)
                (out / f"daily-{tonight}-zh.html").write_text(to_html(report, "zh"), encoding="utf-8")
                (out / f"daily-{tonight}-zh.csv").write_text(to_csv(report, "zh"), encoding="utf-8-sig", newline="")
        result = scores.to_dict()
        result["social_work_escalations"] = len(store.escalations(None))
        result["nights"], result["seed"] = nights, seed
    finally:
        store.close()
    if out is not None:
        (out / "scores.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result


def format_ledger_scores(result: dict[str, Any]) -> str:
    lines = [
        f"nights {result['nights']} (seed {result['seed']})",
        f"returning people linked by suggestion: {result['linked_by_suggestion']} of {result['returning_people']} (goal >= 0.9); no suggestion {result['no_suggestion']}",
        f"wrong links (a suggestion naming another person's file): {result['wrong_links']} (goal 0); new people {result['new_people']}",
        f"sweep coverage of the next night's places: {result['sweep_coverage']} by night {result['sweep_coverage_by_night']} (goal >= 0.8); "
        f"of those with history {result['sweep_coverage_of_places_with_history_by_night']}",
        f"task hints (what reached the team's task): returning people linked {result['task_hints']['linked_on_the_task']} "
        f"of {result['task_hints']['returning_people']}; no hint {result['task_hints']['no_hint']}; wrong {result['task_hints']['wrong']} (goal 0)",
        f"daily reports equal the drill's truth: {result['daily_reports_equal_truth']}",
        f"social-work escalations: {result['social_work_escalations']}",
    ]
    for case in result["wrong_link_cases"]:
        lines.append(f"  wrong: {case}")
    for check in result["daily_reports"]:
        if not check["equal"]:
            lines.append(f"  {check['night']}: truth {check['truth']} report {check['report']}")
    return "\n".join(lines)

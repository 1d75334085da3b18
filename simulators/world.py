"""A whole drill night: weather, people, reporters, cameras and teams.

`DrillWorld` is what the drill runner drives: it hands out every input due
by a simulated time (`inputs_until`), shows the teams the pipeline's output
(`observe`) so they react with future acks and status, and keeps the ground
truth for scoring (`truth`). Everything is a function of (scenario, seed):
seeded generators, no wall clock, stable ids.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from core import topics as names
from core.errors import ConfigError
from core.feed import FeedItem
from core.records import PRIORITIES
from core.settings import DATA_DIR
from geo.distance import haversine_m, offset_latlon
from rules.policy import Policy, load_policy
from rules.triage import assess
from rules.weather import is_night
from simulators.cameras import Capture, Site, build_sites, detection_records, frame_record, load_generator, schedule
from simulators.citymap import CityMap
from simulators.people import Person, generate_population
from simulators.reporters import TextMaker, TipPlan, plan_tips, render_tips
from simulators.scenario import Scenario
from simulators.teams import Fleet, stable_rng
from simulators.weather import ColdWaveWarning, Observation, WeatherBook, simulate_weather

POLICY_PATH = DATA_DIR / "policy.toml"


@dataclass
class _Pending:
    """An input waiting for its time; captures are rendered only when due."""

    at: datetime
    order: int
    topic: str
    value: bytes = b""
    key: str | None = None
    token: int = 0  # team job token (0: none); a cancelled job's inputs are dropped
    tip: TipPlan | None = None
    capture: Capture | None = None

    def sort_key(self) -> tuple[datetime, int]:
        return (self.at, self.order)


class DrillWorld:
    """The simulated night the drill runner feeds through the real pipeline."""

    def __init__(self, scenario: Scenario, city: Any, seed: int, *, policy: Policy | None = None, camera_prefix: str = "") -> None:
        """`camera_prefix` keeps camera ids apart when several cities' worlds share one pipeline."""
        self.scenario = scenario
        self.seed = seed
        self.policy = policy or load_policy(POLICY_PATH)
        self.map = CityMap(city)
        if not self.map.zones or not self.map.teams:
            raise ConfigError("the city has no zones or no teams: a drill needs both", path=scenario.source or None)
        tz = self.map.timezone
        self.tz = tz
        self.start = datetime.combine(scenario.date, scenario.start, tzinfo=tz)
        end = datetime.combine(scenario.date, scenario.end, tzinfo=tz)
        if end <= self.start:
            end += timedelta(days=1)
        self.end = end
        rng = np.random.default_rng([seed, 1])
        warning = scenario.weather.warning
        if warning is not None and warning.region is not None and warning.region not in self.map.districts:
            # every desk refuses it (unknown_region) and the truth never applies it: a night scored without its warning
            raise ConfigError(f"weather.warning.region: unknown region {warning.region!r:.60} in this city "
                              f"(known: {', '.join(self.map.districts)})", path=scenario.source or None)
        # Weather by district.
        self.observations, self.warnings = simulate_weather(scenario.weather, self.map.districts, self.start, self.end,
                                                            np.random.default_rng([seed, 2]))
        self.weather = WeatherBook(self.observations, self.warnings, self.policy)
        # Cameras, then persons (thermal-only persons sit where a camera looks).
        self.sites: list[Site] = [
            replace(s, site_id=camera_prefix + s.site_id, camera_id=camera_prefix + s.camera_id)
            for s in build_sites(scenario.cameras, self.map, scenario.source)
        ]
        generator = load_generator()
        mode = scenario.cameras.mode
        if mode == "auto":
            mode = "frames" if generator is not None else "detections"
        if mode == "frames" and generator is None:
            raise ConfigError("cameras.mode = 'frames' but the thermal generator is not installed", path=scenario.source or None)
        self.camera_mode = mode
        self._generator = generator
        site_areas = [(s.site_id, s.lat, s.lon, s.radius_m) for s in self.sites]
        self.persons: list[Person] = generate_population(scenario.population, self.map, self.start, self.end, seed,
                                                         np.random.default_rng([seed, 3]), site_areas)
        self.captures = schedule(scenario.cameras, self.sites, self.start, self.end, seed)
        # Tips.
        channels = dict(scenario.channels)
        self.tips = plan_tips(self.persons, scenario.reporting, channels, self.start, self.end, tz, np.random.default_rng([seed, 4]))
        render_tips(self.tips, scenario.reporting, channels, self.map, tz, seed, np.random.default_rng([seed, 5]), TextMaker())
        self.fleet = Fleet(self.map.teams, scenario.teams, self.start, seed)
        # The queue of inputs, by (at, order).
        self._pending: list[_Pending] = []
        self._order = 0
        for obs in self.observations:
            self._push(obs.at, names.WEATHER, json.dumps(obs.to_dict(), sort_keys=True).encode(), obs.region)
        for w in self.warnings:
            self._push(w.at, names.WEATHER, json.dumps(w.to_dict(), sort_keys=True).encode(), w.region)
        for at, topic, record, key, token in self.fleet.initial_status(self.start):
            self._push(at, topic, json.dumps(record, ensure_ascii=False, sort_keys=True).encode(), key, token)
        for plan in self.tips:
            self._push(plan.at, names.TIPS, plan.payload, plan.tip_id, tip=plan)
        topic = names.THERMAL_FRAMES if self.camera_mode == "frames" else names.DETECTIONS
        for cap in self.captures:
            self._push(cap.at, topic, b"", cap.site.camera_id, capture=cap)
        self._seq = 0
        self._horizon = self.start - timedelta(days=10)  # every input up to here has been handed out
        self._emitted: list[FeedItem] = []
        self._report_persons: dict[str, list[str]] = {}
        self._named: dict[str, list[str]] = {}  # report ids handed out by others (the thermal agent's detections)
        self._report_meta: dict[str, dict[str, Any]] = {}
        self._suppressed: list[str] = []
        self._cancelled: set[int] = set()
        self._seen_events: set[str] = set()
        self._first_seen: dict[tuple[str, str], datetime] = {}
        self._rendered: set[str] = set()
        self._plans = {plan.tip_id: plan for plan in self.tips}
        self.callbacks: list[dict[str, Any]] = []  # the call-taker's resubmissions, for the scores
        del rng

    # ------------------------------------------------------------------ feeding

    def _push(self, at: datetime, topic: str, value: bytes, key: str | None, token: int = 0, *, tip: TipPlan | None = None,
              capture: Capture | None = None) -> None:
        self._order += 1
        item = _Pending(at=at, order=self._order, topic=topic, value=value, key=key, token=token, tip=tip, capture=capture)
        bisect.insort(self._pending, item, key=_Pending.sort_key)

    def inputs_until(self, t: datetime) -> list[FeedItem]:
        """Every input not yet handed out with `at <= t`, by (at, seq); seq grows across calls."""
        out: list[FeedItem] = []
        while self._pending and self._pending[0].at <= t:
            item = self._pending.pop(0)
            if item.token and item.token in self._cancelled:
                continue
            for topic, value, key in self._render(item):
                self._seq += 1
                feed = FeedItem(at=item.at, seq=self._seq, topic=topic, value=value, key=key)
                out.append(feed)
                self._emitted.append(feed)
        if t > self._horizon:
            self._horizon = t
        return out

    def _render(self, item: _Pending) -> list[tuple[str, bytes, str | None]]:
        if item.tip is not None:
            plan = item.tip
            person = plan.person
            if person is not None and person.gone_at is not None and person.gone_at <= plan.at:
                self._suppressed.append(plan.tip_id)  # nobody reports a person already taken away
                return []
            if person is not None:
                self._report_persons[plan.tip_id] = [person.person_id]
            self._report_meta[plan.tip_id] = {"kind": "tip" if plan.kind == "tip" else "malformed", "malformed": plan.kind
                                              if plan.kind != "tip" else None, "at": plan.reported_at().isoformat(), "channel": plan.channel,
                                              "address_quality": plan.address_quality}
            if "corrects" in plan.extra:
                self._report_meta[plan.tip_id]["corrects"] = plan.extra["corrects"]
            return [(item.topic, item.value, item.key)]
        if item.capture is not None:
            return self._render_capture(item.capture, item.topic)
        return [(item.topic, item.value, item.key)]

    def _render_capture(self, cap: Capture, topic: str) -> list[tuple[str, bytes, str | None]]:
        self._rendered.add(cap.frame_id)
        rng = stable_rng(self.seed, "capture", cap.frame_id)
        site = cap.site
        lat0, lon0 = site.lat, site.lon
        seen = []
        for p in self.persons:
            if p.present(cap.at):
                lat, lon = p.position(cap.at)
                if haversine_m(lat, lon, lat0, lon0) <= site.radius_m:
                    seen.append(p)
        decoys = int(rng.poisson(self.scenario.cameras.decoys_per_frame))
        if self.camera_mode == "detections":
            records = detection_records(cap, seen, rng, self._first_seen, decoys)
            for rec in records:
                pid = [seen[int(rec["detection_id"].rsplit("-d", 1)[1])].person_id] if rec["posture"] != "unknown" else []
                self._report_persons[rec["detection_id"]] = pid
                self._report_meta[rec["detection_id"]] = {"kind": "detection", "at": cap.at.isoformat(), "camera_id": site.camera_id,
                                                          "frame_id": cap.frame_id, "decoy": not pid}
            return [(topic, json.dumps(r, sort_keys=True).encode(), site.camera_id) for r in records]
        region = self.map.locate(lat0, lon0)[0]
        ambient = self.weather.at(region, cap.at).temp_c
        record, truth = frame_record(cap, seen, rng, self.scenario.cameras, ambient if ambient is not None else -10.0, decoys)
        self._report_persons[cap.frame_id] = [str(t["person_id"]) for t in truth if t.get("person_id")]
        self._report_meta[cap.frame_id] = {"kind": "frame", "at": cap.at.isoformat(), "camera_id": site.camera_id,
                                           "frame_id": cap.frame_id, "decoys": decoys,
                                           "truth": [{k: t[k] for k in ("bbox", "posture", "lat", "lon", "person_id")} for t in truth]}
        return [(topic, json.dumps(record, sort_keys=True).encode(), site.camera_id)]

    def owns_report(self, report_id: str) -> bool:
        """Whether a tip, detection or frame id is one this world handed out."""
        return report_id in self._report_meta

    def owns_camera(self, camera_id: str) -> bool:
        """Whether a camera id is one of this world's sites."""
        return any(s.camera_id == camera_id for s in self.sites)

    def frames_shown(self) -> dict[str, dict[str, Any]]:
        """Every thermal frame handed out so far, by id: its camera, instant and the persons drawn with their boxes."""
        return {rid: meta for rid, meta in self._report_meta.items() if meta.get("kind") == "frame"}

    def name_reports(self, persons: dict[str, list[str]]) -> None:
        """Whom reports this world did not hand out concern (the thermal agent's detections, paired with the frame's
        persons by the drill): a team sent to one looks for that person first, as for a tip's.

        Without it a team sent to a detection met the nearest person there (seed 211: at an underpass camera, a
        sitting man 0.1 m nearer than the lying old man the detection saw; he lay there 20 min more)."""
        for rid, pids in persons.items():
            if rid not in self._report_persons:
                self._named[rid] = list(pids)  # not in the truth's reports: the scorer pairs them again

    # ------------------------------------------------------------------ teams

    def observe(self, events: list[dict[str, Any]], now: datetime) -> None:
        """The pipeline's dispatch events seen by `now`: teams react with inputs after `now`.

        Reactions are also kept after every input already handed out, so a
        runner that asked for inputs beyond `now` never receives one from
        its past.
        """
        floor = max(now, self._horizon)
        fresh = [e for e in events if str(e.get("event_id", "")) not in self._seen_events]
        fresh.sort(key=lambda e: (str(e.get("at", "")), str(e.get("event_id", ""))))
        named = {**self._named, **self._report_persons}
        for event in fresh:
            self._seen_events.add(str(event.get("event_id", "")))
            reactions, cancel = self.fleet.react(event, now, floor, self.persons, named)
            for token in cancel:
                self._cancelled.add(token)
                for job in self.fleet.jobs:
                    if job.token == token:
                        for p in self.persons:
                            if p.person_id == job.person_id and p.gone_at == job.resolve_at and p.gone_at is not None and p.gone_at > now:
                                p.gone_at, p.outcome = None, None
            for at, topic, record, key, token in reactions:
                at = max(at, floor + timedelta(seconds=1))
                self._push(at, topic, json.dumps(record, ensure_ascii=False, sort_keys=True).encode(), key, token)

    # ------------------------------------------------------------------ call-taker

    def call_back(self, dead_letters: list[dict[str, Any]], now: datetime) -> None:
        """The needs-attention queue: a dead tip the call-taker can fix is resubmitted with a position, later.

        As an operator does at the console: call the reporter back, place the
        person on the map, resubmit a tip that names the dead letter
        (`corrects`, id `<letter>-fix`). The person's reports keep their
        first time, so the drill's report-to-dispatch times include the time lost.
        """
        spec = self.scenario.call_taker
        if not spec.enabled:
            return
        floor = max(now, self._horizon)
        for letter in dead_letters:
            letter_id = str(letter.get("event_id") or "")
            if letter.get("topic") != names.TIPS or letter.get("error") not in spec.fixable or not letter_id:
                continue
            if any(c["dead_letter"] == letter_id for c in self.callbacks):
                continue  # a redelivered dead letter: one call back
            try:
                original = json.loads(str(letter.get("payload", "")))
            except ValueError:
                continue
            plan = self._plans.get(str(original.get("tip_id", ""))) if isinstance(original, dict) else None
            if plan is None or plan.person is None:
                continue
            rng = stable_rng(self.seed, "callback", letter_id)
            at = max(now + timedelta(minutes=float(rng.uniform(*spec.callback_min))), floor + timedelta(seconds=1)).replace(microsecond=0)
            lat, lon = plan.person.position(at)
            east, north = rng.normal(0.0, spec.position_noise_m, size=2) if spec.position_noise_m > 0 else (0.0, 0.0)
            lat, lon = offset_latlon(lat, lon, float(east), float(north))
            record = {k: v for k, v in original.items() if k != "address"}
            fix_id = f"{letter_id}-fix"
            record.update(tip_id=fix_id, corrects=letter_id, reported_at=at.astimezone(self.tz).isoformat(), lat=round(lat, 6),
                          lon=round(lon, 6), accuracy_m=round(2.0 * spec.position_noise_m))
            fix = TipPlan(at=at, channel=plan.channel, person=plan.person, tip_id=fix_id, extra={"corrects": letter_id},
                          payload=json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8"))
            self.callbacks.append({"dead_letter": letter_id, "tip_id": plan.tip_id, "fix_tip_id": fix_id,
                                   "person_id": plan.person.person_id, "reported_at": plan.reported_at().isoformat(),
                                   "resubmitted_at": at.isoformat(), "reason": letter.get("reason")})
            self._push(at, names.TIPS, fix.payload, fix_id, tip=fix)

    # ------------------------------------------------------------------ truth

    def _expected(self, person: Person, at: datetime, has_tip: bool = True) -> tuple[str, str, str, str]:
        """(category, base, most urgent, least urgent) acceptable priority of the person's first report.

        A person only a camera sees (a thermal-only person, or one whose every tip was suppressed) is judged by what a
        camera can see: a warm body, lying or not, not that they are old or drunk, nor a minor (a detection carries
        no flags; raised for them, seed 71's old woman seen at a camera counted as an under-priority, and seed 41's
        minor, reported by no one before a team took her away, as a wrong category the desk could not have avoided)."""
        has_tip = has_tip and person.profile != "thermal_only"
        flags = person.flags if has_tip else ()
        results = []
        for dt in (0, 10):
            when = at + timedelta(minutes=dt)
            cond = self.weather.at(person.district, when)
            night = is_night(when, self.policy, self.tz)
            for lying in ({0.0, 10.0} if (person.lying and not has_tip) else {0.0}):
                a = assess(flags, policy=self.policy, night=night, weather=cond, has_tip=has_tip,
                           lying_still_min=lying, key_area=person.key_area)
                results.append(a)
        base = results[0].base_priority
        if person.lying and not has_tip:
            base = self.policy.thermal.lying_still_priority
        ranks = [PRIORITIES.index(a.priority) for a in results]
        return results[0].category, base, PRIORITIES[min(ranks)], PRIORITIES[max(ranks)]

    def truth(self) -> dict[str, Any]:
        """Ground truth of everything handed out so far (call it after the run)."""
        by_person: dict[str, list[str]] = {}
        for rid, pids in self._report_persons.items():
            for pid in pids:
                by_person.setdefault(pid, []).append(rid)
        persons = []
        for p in self.persons:
            rids = sorted(by_person.get(p.person_id, []))
            times = [datetime.fromisoformat(str(self._report_meta[r]["at"])) for r in rids if r in self._report_meta]
            first = min(times) if times else None
            tip_ids = [r for r in rids if self._report_meta.get(r, {}).get("kind") == "tip"]
            expected, base, urgent, lenient = self._expected(p, first or p.appears_at, has_tip=bool(tip_ids) or not rids)
            lat, lon = p.position(p.appears_at)
            persons.append({
                "person_id": p.person_id, "profile": p.profile, "category": p.category, "flags": list(p.flags),
                "expected_category": expected,
                "base_priority": base, "expected_priority": urgent, "expected_priority_min": lenient,
                "lat": lat, "lon": lon, "district": p.district, "zone_id": p.zone_id, "key_area": p.key_area,
                "place": p.place.name if p.place else None, "appears_at": p.appears_at.isoformat(),
                "gone_at": p.gone_at.isoformat() if p.gone_at else None, "outcome": p.outcome, "lying": p.lying,
                "report_ids": rids, "first_report_at": first.isoformat() if first else None,
                "found_by_camera_only": bool(rids) and not tip_ids, "reported": bool(rids),
                "track": [[t.isoformat(), la, lo] for t, la, lo in p.track],
            })
        malformed = sorted(r for r, m in self._report_meta.items() if m.get("kind") == "malformed")
        unresolvable = sorted(r for r, m in self._report_meta.items() if m.get("address_quality") == "unknown")
        levels = {d: [[t.isoformat(), lvl] for t, lvl in self.weather.level_series(d, self.start, self.end)] for d in self.map.districts}
        return {
            "seed": self.seed,
            "scenario": self.scenario.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "timezone": str(self.tz),
            "camera_mode": self.camera_mode,
            "persons": persons,
            "reports": {rid: {**meta, "person_ids": self._report_persons.get(rid, [])} for rid, meta in sorted(self._report_meta.items())},
            "malformed": malformed,
            "unresolvable_tips": unresolvable,
            "callbacks": list(self.callbacks),
            "suppressed_tips": list(self._suppressed),
            "weather": [o.to_dict() for o in self.observations],
            "warnings": [w.to_dict() for w in self.warnings],
            "cold_wave": levels,
            "teams": {tid: {"capabilities": list(s.team.capabilities), "district": s.team.district, "base": [s.team.lat, s.team.lon],
                            "track": [[t.isoformat(), la, lo, st] for t, la, lo, st in s.track]}
                      for tid, s in self.fleet.states.items()},
            "team_jobs": [j.to_dict() for j in self.fleet.jobs],
            "cameras": [{"site_id": s.site_id, "camera_id": s.camera_id, "kind": s.kind, "lat": s.lat, "lon": s.lon,
                         "zone_id": s.zone_id} for s in self.sites],
            "frames": {c.frame_id: {"at": c.at.isoformat(), "camera_id": c.site.camera_id, "person_ids": list(c.persons),
                                    "decoys": c.decoys} for c in self.captures if c.frame_id in self._rendered},
        }


__all__ = ["ColdWaveWarning", "DrillWorld", "Observation"]

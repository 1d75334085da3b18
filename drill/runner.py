"""`patrol drill`: a simulated winter night through the real pipeline, scored.

The world (weather, people, reporters, cameras, teams) lives in
`simulators/`; this runner owns the loop: every simulated minute it hands the
world's inputs to the real workers, ticks the clock, waits for the workers
(the harness barrier), shows the world what the pipeline decided so the teams
can react, and moves on. Same scenario and seed, same decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from core import topics as names
from core.errors import ConfigError
from core.feed import FeedItem
from core.settings import Settings
from drill.phones import PHONE_TOPICS, PhoneGateway
from drill.report import write_report
from drill.scoring import P1Limit, detection_persons, format_scores, score
from geo.centres import centre_for
from rules.context import Context
from simulators.scenario import load_scenario
from simulators.world import DrillWorld
from tools.harness import pipeline_run

STEP = timedelta(minutes=1)
# Starts the console for a run's settings and broker, and yields the gateway to its team API.
Phones = Callable[[Settings, str], AbstractAsyncContextManager[PhoneGateway]]


def _p1_limit_min(ctx: Context) -> float:
    """The strictest P1 ack deadline of the policy (cold-wave factors applied), shown beside the waits."""
    factor = min([lvl.deadline_factor for lvl in ctx.policy.cold_wave_levels] or [1.0])
    return ctx.policy.ack_min["P1"] * factor


def _p1_limit(ctx: Context, truth: dict[str, Any]) -> P1Limit:
    """The longest a P1 may wait without a team or an escalation: its ack deadline at the cold-wave level in force
    in its district when the wait began, brought forward by a stricter level from the moment it is declared (the
    world's own weather, not the desk's); the desk escalates on the last tick at or before it."""
    series = {d: [(datetime.fromisoformat(t), lvl) for t, lvl in rows] for d, rows in (truth.get("cold_wave") or {}).items()}

    def minutes(name: str) -> float:
        level = ctx.policy.level(name)
        return ctx.policy.ack_min["P1"] * (level.deadline_factor if level is not None else 1.0)

    def limit(district: str, start: datetime, end: datetime) -> float:
        rows = series.get(district) or sorted(r for rows in series.values() for r in rows)
        before = [lvl for t, lvl in rows if t <= start][-1:] or ["none"]
        deadline = start + timedelta(minutes=minutes(before[0]))
        for t, lvl in rows:
            if start < t < min(end, deadline):
                deadline = min(deadline, max(t, start + timedelta(minutes=minutes(lvl))))
        return (deadline - start).total_seconds() / 60.0

    return limit


class Progress:
    """A one-line progress bar of simulated time (stderr, so stdout stays clean)."""

    def __init__(self, start: datetime, end: datetime, out: TextIO = sys.stderr, enabled: bool = True) -> None:
        self.start, self.end, self.out, self.enabled = start, end, out, enabled
        self.last = -1

    def show(self, now: datetime, incidents: int) -> None:
        if not self.enabled:
            return
        share = (now - self.start) / (self.end - self.start)
        step = int(share * 40)
        if step == self.last and now < self.end:
            return
        self.last = step
        bar = "#" * step + "-" * (40 - step)
        self.out.write(f"\r[{bar}] {now:%H:%M} simulated, {incidents} incidents")
        if now >= self.end:
            self.out.write("\n")
        self.out.flush()


def _multi_keyed(item: FeedItem, centre: str) -> FeedItem:
    """A world's desk input keyed by its centre, as producers of a many-city deployment key them."""
    return replace(item, key=centre) if item.topic in names.DESK_INPUTS else item


class _Owners:
    """Which centre's world each incident belongs to: the centre its events name, else the world
    of the report ids they name, else (detections the thermal agent made from a world's frames)
    its position."""

    def __init__(self, worlds: dict[str, DrillWorld], centres: Mapping[str, Context]) -> None:
        self.worlds = worlds
        self.indexes = {c: ctx.index for c, ctx in centres.items()}
        self.of_incident: dict[str, str] = {}
        self.crossing: set[str] = set()  # incidents whose sources came from two worlds

    def centre(self, event: dict[str, Any]) -> str:
        sources = {c for s in event.get("sources", []) for c, w in self.worlds.items() if w.owns_report(str(s))}
        incident = str(event.get("incident_id", ""))
        if len(sources) > 1:
            self.crossing.add(incident)
        if incident not in self.of_incident:
            if event.get("centre") in self.worlds:
                self.of_incident[incident] = str(event["centre"])
            elif sources:
                self.of_incident[incident] = min(sources, key=list(self.worlds).index)
            elif isinstance(event.get("lat"), float | int) and isinstance(event.get("lon"), float | int):
                self.of_incident[incident] = centre_for(self.indexes, float(event["lat"]), float(event["lon"])) or next(iter(self.worlds))
        return self.of_incident.get(incident, next(iter(self.worlds)))

    def of_camera(self, detection: dict[str, Any]) -> str:
        """The world whose camera took a detection (its camera ids are the world's, prefixed in a many-city drill)."""
        camera = str(detection.get("camera_id") or "")
        return next((c for c, w in self.worlds.items() if w.owns_camera(camera)), next(iter(self.worlds)))

    def of_dead(self, letter: dict[str, Any]) -> str:
        key = str(letter.get("key") or "")
        return next((c for c, w in self.worlds.items() if w.owns_report(key)), next(iter(self.worlds)))


async def _night(worlds: dict[str, DrillWorld], centres: Mapping[str, Context], settings: Settings, log_dir: Path, speed: float, progress: Progress,
                 phones: Phones | None = None) -> dict[str, dict[str, Any]]:
    """The night of every centre's world through one pipeline; results by centre."""
    results: dict[str, dict[str, Any]] = {
        c: {"inputs": [], "outputs": [], "dead": [], "latencies": [], "detections": []} for c in worlds
    }
    multi = len(worlds) > 1
    owners = _Owners(worlds, centres)
    sent_wall: dict[str, float] = {}
    incidents: set[str] = set()
    start, end = min(w.start for w in worlds.values()), max(w.end for w in worlds.values())
    async with (
        pipeline_run(settings, "drill", ready_at=start - STEP, log_dir=log_dir, external=PHONE_TOPICS if phones else (),
                     collect=(names.DETECTIONS,)) as run,
        contextlib.AsyncExitStack() as stack,
    ):
        feeder = run.feeder
        gateway = await stack.enter_async_context(phones(run.settings, run.bootstrap)) if phones is not None else None
        if gateway is not None:
            await gateway.catch_up((), start - STEP)
        wall0 = time.monotonic()
        now = start
        while now <= end:
            step = [(c, item) for c, world in worlds.items() for item in world.inputs_until(now)]
            if multi:
                step = sorted(((c, _multi_keyed(item, c)) for c, item in step), key=lambda ci: ci[1].at)
            for centre, item in step:
                if gateway is not None and item.topic in PHONE_TOPICS:
                    await feeder.send_via(item, gateway.send)  # the phones' path: the console's team API
                else:
                    await feeder.send(item)
                results[centre]["inputs"].append(item)
                if item.topic == names.TIPS and item.key:
                    sent_wall.setdefault(item.key, time.perf_counter())
            await feeder.tick(now)
            await feeder.barrier()
            fresh: dict[str, list[dict[str, Any]]] = {c: [] for c in worlds}
            fresh_dead: dict[str, list[dict[str, Any]]] = {c: [] for c in worlds}
            seen: dict[str, list[dict[str, Any]]] = {c: [] for c in worlds}
            for topic, obj in await feeder.drain():
                if topic == names.DEAD_LETTERS:
                    fresh_dead[owners.of_dead(obj)].append(obj)
                elif topic == names.DISPATCH:
                    fresh[owners.centre(obj)].append(obj)
                elif topic == names.DETECTIONS:  # the thermal agent's (and the world's own): the scorer's key to the frames
                    seen[owners.of_camera(obj)].append(obj)
            for centre, detections in seen.items():
                results[centre]["detections"] += detections
                if detections:  # whom each saw, before the teams sent to them look
                    worlds[centre].name_reports(detection_persons({"reports": worlds[centre].frames_shown()}, detections))
            for centre, letters in fresh_dead.items():
                results[centre]["dead"] += letters
            arrived = time.perf_counter()
            for centre, events in fresh.items():
                for event in events:
                    incidents.add(event["incident_id"])
                    for source in event.get("sources", []):
                        if source in sent_wall:
                            results[centre]["latencies"].append((arrived - sent_wall.pop(source)) * 1000.0)
                results[centre]["outputs"] += events
                worlds[centre].observe(events, now)
                worlds[centre].call_back(fresh_dead[centre], now)
            if gateway is not None:
                await gateway.catch_up([e["event_id"] for events in fresh.values() for e in events], now)
            progress.show(now, len(incidents))
            if speed > 0:
                lag = (now - start).total_seconds() / speed - (time.monotonic() - wall0)
                if lag > 0:
                    await asyncio.sleep(lag)
            now += STEP
        for result in results.values():
            result["barriers"] = feeder.barriers
            result["phones"] = gateway.summary() if gateway is not None else None
            result["crossing"] = sorted(owners.crossing)
        return results


def _dedupe(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique = []
    for event in events:
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            unique.append(event)
    return unique


def check_centres(settings: Settings, centres: Mapping[str, Context]) -> None:
    """A drill's centres must be the workers' (PATROL_CITIES), in order."""
    if list(centres) != list(settings.centre_dirs):
        raise ConfigError(f"the drill's centres {list(centres)} are not PATROL_CITIES {list(settings.centre_dirs)}: the workers would serve others")


def run_drill(
    settings: Settings,
    centres: Context | Mapping[str, Context],
    *,
    scenario: str = "default",
    seed: int = 7,
    speed: float = 0.0,
    report: Path = Path("out/drill"),
    progress: bool = True,
    phones: Phones | None = None,
) -> int:
    """One scenario in every centre's city at once (seed + k for the k-th centre), each scored and reported.

    With one centre the report is `report/`; with several, `report/<centre>/`
    each, and `report/scores.json` holds every centre's scores and the
    incidents whose reports came from two centres (none, by design).
    """
    if isinstance(centres, Context):
        centres = {settings.city_dir.name: centres}
    else:
        check_centres(settings, centres)
    scen = load_scenario(scenario)
    multi = len(centres) > 1
    worlds = {
        c: DrillWorld(scen, ctx.city, seed + k, policy=ctx.policy, camera_prefix=f"{c}-" if multi else "")
        for k, (c, ctx) in enumerate(centres.items())
    }
    started = time.monotonic()
    log_dir = Path(tempfile.mkdtemp(prefix="patrol-drill-"))
    bar = Progress(min(w.start for w in worlds.values()), max(w.end for w in worlds.values()), enabled=progress)
    # partner notices say Exercise, reporter replies say drill
    results = asyncio.run(_night(worlds, centres, replace(settings, exercise=True), log_dir, speed, bar, phones))
    wall = round(time.monotonic() - started, 1)
    every: dict[str, Any] = {}
    pages = []
    for k, (centre, ctx) in enumerate(centres.items()):
        every[centre], page = _score_centre(worlds[centre], ctx, results[centre], report / centre if multi else report, wall, scenario, seed + k)
        pages.append(page)
        if multi:
            print(f"== {centre}")
        print(format_scores(every[centre]))
    some = next(iter(results.values()))
    if multi:
        combined = {"centres": every, "incidents_crossing_centres": some["crossing"], "wall_clock_s": wall, "seed": seed}
        (report / "scores.json").write_text(json.dumps(combined, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        print(f"incidents crossing centres: {len(some['crossing'])}")
    if some["phones"] is not None:
        print(f"phones (console team API): {json.dumps(some['phones'], sort_keys=True)}")
    print(f"wall clock: {wall} s, barriers: {some['barriers']}, worker log: {log_dir / 'worker.log'}")
    print(f"report: {', '.join(str(p) for p in pages)}")
    return 0


def _score_centre(world: DrillWorld, ctx: Context, result: dict[str, Any], report: Path, wall: float, scenario: str,
                  seed: int) -> tuple[dict[str, Any], Path]:
    """Score one centre's night and write its scores, events and HTML report under `report`."""
    outputs = _dedupe(result["outputs"])
    dead = _dedupe(result["dead"])
    truth = world.truth()
    scores = score(truth, outputs, dead, result["inputs"], result["latencies"], p1_ack_min=_p1_limit_min(ctx),
                   p1_limit=_p1_limit(ctx, truth), detections=result["detections"])
    scores["wall_clock_s"] = wall
    scores["scenario"], scores["seed"] = world.scenario.name if hasattr(world.scenario, "name") else scenario, seed
    if result["phones"] is not None:
        scores["phones"] = result["phones"]
    report.mkdir(parents=True, exist_ok=True)
    (report / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    (report / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, default=str), encoding="utf-8")
    with open(report / "events.jsonl", "w", encoding="utf-8") as fh:
        for event in outputs + dead:
            fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
    with open(report / "detections.jsonl", "w", encoding="utf-8") as fh:  # whom each detection saw, for an organizer's check
        for det in result["detections"]:
            fh.write(json.dumps(det, ensure_ascii=False, sort_keys=True) + "\n")
    return scores, write_report(report, scores, truth, outputs, ctx.city)

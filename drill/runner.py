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
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from core import topics as names
from core.feed import FeedItem
from core.settings import Settings
from drill.phones import PHONE_TOPICS, PhoneGateway
from drill.report import write_report
from drill.scoring import P1Limit, format_scores, score
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


async def _night(world: DrillWorld, settings: Settings, log_dir: Path, speed: float, progress: Progress,
                 phones: Phones | None = None) -> dict[str, Any]:
    inputs: list[FeedItem] = []
    outputs: list[dict[str, Any]] = []
    dead: list[dict[str, Any]] = []
    sent_wall: dict[str, float] = {}
    latencies: list[float] = []
    incidents: set[str] = set()
    async with (
        pipeline_run(settings, "drill", ready_at=world.start - STEP, log_dir=log_dir, external=PHONE_TOPICS if phones else ()) as run,
        contextlib.AsyncExitStack() as stack,
    ):
        feeder = run.feeder
        gateway = await stack.enter_async_context(phones(run.settings, run.bootstrap)) if phones is not None else None
        if gateway is not None:
            await gateway.catch_up((), world.start - STEP)
        wall0 = time.monotonic()
        now = world.start
        while now <= world.end:
            for item in world.inputs_until(now):
                if gateway is not None and item.topic in PHONE_TOPICS:
                    await feeder.send_via(item, gateway.send)  # the phones' path: the console's team API
                else:
                    await feeder.send(item)
                inputs.append(item)
                if item.topic == names.TIPS and item.key:
                    sent_wall.setdefault(item.key, time.perf_counter())
            await feeder.tick(now)
            await feeder.barrier()
            fresh, fresh_dead = [], []
            for topic, obj in await feeder.drain():
                if topic == names.DEAD_LETTERS:
                    fresh_dead.append(obj)
                elif topic == names.DISPATCH:
                    fresh.append(obj)
            dead += fresh_dead
            arrived = time.perf_counter()
            for event in fresh:
                incidents.add(event["incident_id"])
                for source in event.get("sources", []):
                    if source in sent_wall:
                        latencies.append((arrived - sent_wall.pop(source)) * 1000.0)
            outputs += fresh
            if gateway is not None:
                await gateway.catch_up([e["event_id"] for e in fresh], now)
            world.observe(fresh, now)
            world.call_back(fresh_dead, now)
            progress.show(now, len(incidents))
            if speed > 0:
                lag = (now - world.start).total_seconds() / speed - (time.monotonic() - wall0)
                if lag > 0:
                    await asyncio.sleep(lag)
            now += STEP
        return {"inputs": inputs, "outputs": outputs, "dead": dead, "latencies": latencies, "barriers": feeder.barriers,
                "phones": gateway.summary() if gateway is not None else None}


def _dedupe(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    unique = []
    for event in events:
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            unique.append(event)
    return unique


def run_drill(
    settings: Settings,
    ctx: Context,
    *,
    scenario: str = "default",
    seed: int = 7,
    speed: float = 0.0,
    report: Path = Path("out/drill"),
    progress: bool = True,
    phones: Phones | None = None,
) -> int:
    scen = load_scenario(scenario)
    world = DrillWorld(scen, ctx.city, seed, policy=ctx.policy)
    started = time.monotonic()
    log_dir = Path(tempfile.mkdtemp(prefix="patrol-drill-"))
    bar = Progress(world.start, world.end, enabled=progress)
    # partner notices say Exercise, reporter replies say drill
    result = asyncio.run(_night(world, replace(settings, exercise=True), log_dir, speed, bar, phones))
    outputs = _dedupe(result["outputs"])
    dead = _dedupe(result["dead"])
    truth = world.truth()
    scores = score(truth, outputs, dead, result["inputs"], result["latencies"], p1_ack_min=_p1_limit_min(ctx),
                   p1_limit=_p1_limit(ctx, truth))
    scores["wall_clock_s"] = round(time.monotonic() - started, 1)
    scores["scenario"], scores["seed"] = scen.name if hasattr(scen, "name") else scenario, seed
    if result["phones"] is not None:
        scores["phones"] = result["phones"]
    report.mkdir(parents=True, exist_ok=True)
    (report / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    with open(report / "events.jsonl", "w", encoding="utf-8") as fh:
        for event in outputs + dead:
            fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
    page = write_report(report, scores, truth, outputs, ctx.city)
    print(format_scores(scores))
    if result["phones"] is not None:
        print(f"phones (console team API): {json.dumps(result['phones'], sort_keys=True)}")
    print(f"wall clock: {scores['wall_clock_s']} s, barriers: {result['barriers']}, worker log: {log_dir / 'worker.log'}")
    print(f"report: {page}")
    return 0

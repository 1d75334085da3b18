"""The desk's state size and tick time over a long winter, without and with forgetting closed incidents.

    .venv/bin/python -m tools.bench_desk_state [--incidents 5000]

Feeds one desk (Harbin, its ten teams) an incident every 20 minutes of event
time: a tip, dispatched, accepted, resolved (no follow-up), with a clock tick
every 20 minutes. "kept" runs the policy with a retention too long to ever
forget anything (what the desk did before `[state] closed_retention_h`);
"forgotten" runs `data/policy.toml` as it is. Then it prints the incidents
and entries held, the state's size as JSON and the mean time of a tick.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.records import Report, TaskAck, TeamStatus
from core.settings import DATA_DIR
from rules.context import Context, load_context
from rules.desk import Desk

START = datetime(2026, 11, 1, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
STEP = timedelta(minutes=20)


def run(ctx: Context, incidents: int) -> dict[str, float]:
    desk = Desk(ctx, "harbin")
    rng = random.Random(7)
    for base in ctx.city.teams:
        desk.handle_team_status(TeamStatus(team_id=base.team_id, at=START, status="available", lat=base.lat, lon=base.lon,
                                           capabilities=base.capabilities))
    box = ctx.city.bbox
    now = START
    for n in range(incidents):
        now += STEP
        desk.handle_tick(now)
        lat, lon = rng.uniform(box.lat_min, box.lat_max), rng.uniform(box.lon_min, box.lon_max)
        where = ctx.index.locate(lat, lon)
        out = desk.handle_report(Report(report_id=f"tip-{n}", source="tip", channel="hotline", at=now, lat=lat, lon=lon,
                                        district=where.district or "", zone_id=where.zone_id, key_area=where.key_area, flags=()))
        task = next((e for e in out.events if e.team_id), None)
        if task is None:
            continue
        for minutes, status in ((2, "accepted"), (15, "resolved")):
            desk.handle_ack(TaskAck(event_id=task.event_id, team_id=task.team_id or "", status=status, at=now + timedelta(minutes=minutes),
                                    outcome="taken_to_station" if status == "resolved" else None))
    desk.take_dirty()
    ticks = 200
    started = time.perf_counter()
    for k in range(ticks):
        desk.handle_tick(now + timedelta(seconds=k + 1))
    tick_ms = (time.perf_counter() - started) * 1000 / ticks
    size = len(json.dumps(desk.to_dict()).encode("utf-8"))
    return {"incidents": len(desk.incidents), "seen": len(desk.seen), "event_index": len(desk.event_index),
            "state_mb": size / 1e6, "tick_ms": tick_ms, "days": (now - START).total_seconds() / 86400}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=5000)
    args = parser.parse_args()
    ctx = load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin")
    never = replace(ctx, policy=replace(ctx.policy, closed_retention_h=1e9))
    for name, context in (("kept", never), ("forgotten", ctx)):
        r = run(context, args.incidents)
        print(f"{name:>9}: {args.incidents} incidents over {r['days']:.0f} days; held {r['incidents']:.0f} incidents, "
              f"{r['seen']:.0f} report ids, {r['event_index']:.0f} task ids; state {r['state_mb']:.2f} MB as JSON; "
              f"tick {r['tick_ms']:.2f} ms")


if __name__ == "__main__":
    main()

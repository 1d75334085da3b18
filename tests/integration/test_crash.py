"""SIGKILL a worker mid-stream: nothing lost, nothing doubled, state recovered."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from geo.distance import offset_latlon
from pipeline import topics as names
from pipeline.feed import FeedItem
from pipeline.harness import Feeder, WorkerProcess, create_topics, isolated_settings
from pipeline.records import TeamStatus
from pipeline.settings import Settings

T0 = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ORIGIN = (45.7250, 126.5800)


def position(i: int) -> tuple[float, float]:
    """Points 400 m apart on a grid: no two of them correlate."""
    return offset_latlon(*ORIGIN, 400.0 * (i % 20), 400.0 * (i // 20))


def tip_item(tip_id: str, at: datetime, lat: float, lon: float, seq: int) -> FeedItem:
    body = {"tip_id": tip_id, "channel": "hotline", "reported_at": at.isoformat(), "lat": lat, "lon": lon, "text": "cold"}
    return FeedItem(at=at, seq=seq, topic=names.TIPS, value=json.dumps(body).encode(), key=tip_id)


async def scenario(settings: Settings, broker: str, log_dir: Path) -> list[dict]:
    workers = [WorkerProcess(settings, broker, log_dir / f"worker-{n}.log") for n in range(1, 4)]
    workers[0].start()
    try:
        async with Feeder(settings, broker, workers[:1]) as feeder:

            async def restart(dead: int) -> None:
                # A supervisor restarts the worker at once; the broker still
                # holds the dead member until its session expires.
                assert not workers[dead].alive()
                workers[dead + 1].start()
                feeder.workers = [workers[dead + 1]]

            await feeder.wait_ready(T0)
            for n in range(2):
                status = TeamStatus(team_id=f"T{n}", at=T0, status="available", lat=ORIGIN[0], lon=ORIGIN[1], capabilities=("social_work",))
                await feeder.send(FeedItem(at=T0, seq=n, topic=names.TEAM_STATUS, value=status.to_json(), key=f"T{n}"))
            # Phase 1: 40 tips about 40 people, fully processed.
            for i in range(40):
                await feeder.send(tip_item(f"a{i}", T0 + timedelta(seconds=20 * i), *position(i), seq=100 + i))
            await feeder.barrier()
            # Phase 2: a second report about each person (30 m off, 13 min
            # later); the worker is killed while they stream in, so the
            # restarted worker merges the rest into the right incidents only if
            # the desk's state came back from its changelog.
            for i in range(40):
                lat, lon = offset_latlon(*position(i), 30.0, 0.0)
                await feeder.send(tip_item(f"b{i}", T0 + timedelta(seconds=20 * (40 + i)), lat, lon, seq=200 + i))
                if i == 20:
                    await asyncio.sleep(0.2)
                    workers[0].kill()
                    await restart(0)
            # Phase 3: a third report each, and the restarted worker is killed
            # too, while it is still recovering and catching up.
            for i in range(40):
                lat, lon = offset_latlon(*position(i), 0.0, 30.0)
                await feeder.send(tip_item(f"c{i}", T0 + timedelta(seconds=20 * (80 + i)), lat, lon, seq=300 + i))
                if i == 5:
                    await asyncio.sleep(0.5)
                    workers[1].kill()
                    await restart(1)
            await feeder.barrier()
            return [obj for topic, obj in await feeder.drain() if topic == names.DISPATCH]
    finally:
        for worker in workers:
            worker.stop()


@pytest.mark.crash
def test_sigkill_mid_stream_loses_nothing_and_keeps_state(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO")  # a failure here needs the workers' story
    settings = isolated_settings(base, f"crash{uuid.uuid4().hex[:6]}", tmp_path / "state")
    create_topics(broker, settings)
    events = asyncio.run(scenario(settings, broker, tmp_path))

    by_id: dict[str, dict] = {}
    for event in events:
        if event["event_id"] in by_id:
            assert by_id[event["event_id"]] == event, "a redelivered event must be identical"
        by_id[event["event_id"]] = event
    unique = list(by_id.values())

    owner: dict[str, set[str]] = {}
    decisions: dict[str, int] = {}
    for event in unique:
        for source in event["sources"]:
            owner.setdefault(source, set()).add(event["incident_id"])
        if event["revision"] == 1:
            decisions[event["incident_id"]] = decisions.get(event["incident_id"], 0) + 1

    expected = {f"{phase}{i}" for phase in "abc" for i in range(40)}
    assert set(owner) == expected, f"missing: {sorted(expected - set(owner))}"
    assert all(len(incidents) == 1 for incidents in owner.values()), "a tip in two incidents"
    assert all(count == 1 for count in decisions.values()), "a person got two first decisions"
    assert len(decisions) == 40, "one dispatch decision per person"
    for i in range(40):
        for later in (f"b{i}", f"c{i}"):
            assert owner[later] == owner[f"a{i}"], f"{later} did not join a{i}'s incident: desk state was lost"

"""SIGKILL a worker mid-stream: nothing lost, nothing doubled, state recovered."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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
    first = WorkerProcess(settings, broker, log_dir / "worker-1.log")
    first.start()
    second = WorkerProcess(settings, broker, log_dir / "worker-2.log")
    try:
        async with Feeder(settings, broker, [first]) as feeder:
            await feeder.wait_ready(T0)
            for n in range(2):
                status = TeamStatus(team_id=f"T{n}", at=T0, status="available", lat=ORIGIN[0], lon=ORIGIN[1], capabilities=("social_work",))
                await feeder.send(FeedItem(at=T0, seq=n, topic=names.TEAM_STATUS, value=status.to_json(), key=f"T{n}"))
            # Phase 1: 40 tips, fully processed.
            for i in range(40):
                await feeder.send(tip_item(f"a{i}", T0 + timedelta(seconds=20 * i), *position(i), seq=100 + i))
            await feeder.barrier()
            # Phase 2: 40 more, and the worker dies while they stream in.
            for i in range(40, 80):
                await feeder.send(tip_item(f"b{i}", T0 + timedelta(seconds=20 * i), *position(i), seq=100 + i))
                if i == 60:
                    await asyncio.sleep(0.2)
                    first.kill()
            assert not first.alive()
            second.start()
            feeder.workers = [second]
            # Phase 3: reports about phase-1 people; they must join the recovered incidents.
            for i in range(20):
                lat, lon = position(i)
                lat2, lon2 = offset_latlon(lat, lon, 30.0, 0.0)
                await feeder.send(tip_item(f"c{i}", T0 + timedelta(seconds=20 * (40 + i)), lat2, lon2, seq=300 + i))
            await feeder.barrier(timeout_s=120)
            return [obj for topic, obj in await feeder.drain() if topic == names.DISPATCH]
    finally:
        first.kill()
        second.stop()


def test_sigkill_mid_stream_loses_nothing_and_keeps_state(broker: str, tmp_path: Path) -> None:
    settings = isolated_settings(replace(Settings.from_env({}), broker=broker), f"crash{uuid.uuid4().hex[:6]}", tmp_path / "state")
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

    expected = {f"a{i}" for i in range(40)} | {f"b{i}" for i in range(40, 80)} | {f"c{i}" for i in range(20)}
    assert set(owner) == expected, f"missing: {sorted(expected - set(owner))}"
    assert all(len(incidents) == 1 for incidents in owner.values()), "a tip in two incidents"
    assert all(count == 1 for count in decisions.values())
    assert len(decisions) == 80, "one dispatch decision per person"
    for i in range(20):
        assert owner[f"c{i}"] == owner[f"a{i}"], f"c{i} did not join a{i}'s incident: desk state was lost"

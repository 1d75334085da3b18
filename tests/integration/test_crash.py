"""SIGKILL a worker mid-stream: nothing lost, nothing doubled, state recovered (one centre, and two side by side)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from core import topics as names
from core.settings import Settings
from tests.integration.tipstream import DEFAULT, PEOPLE, Ledger, TipStream, first_reports
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

QIQIHAR_ORIGIN = (47.3250, 123.9100)  # the grid lies in Longsha and Tiefeng


async def scenario(settings: Settings, broker: str, log_dir: Path, streams: tuple[TipStream, ...] = (DEFAULT,)) -> list[dict]:
    """Phase a, then b and c of every stream interleaved (person by person), killing the worker in b and its
    replacement in c; the dispatch events."""
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

            await first_reports(feeder, *streams)
            # Phase b: the worker is killed while the second reports stream in,
            # so the restarted worker merges the rest into the right incidents
            # only if the desk's state came back from its changelog.
            for i in range(PEOPLE):
                for stream in streams:
                    await feeder.send(stream.tip("b", i))
                if i == 20:
                    await asyncio.sleep(0.2)
                    workers[0].kill()
                    await restart(0)
            # Phase c: the restarted worker is killed too, while it is still
            # recovering and catching up.
            for i in range(PEOPLE):
                for stream in streams:
                    await feeder.send(stream.tip("c", i))
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
    Ledger.of(asyncio.run(scenario(settings, broker, tmp_path))).assert_complete("abc")


@pytest.mark.crash
def test_two_centres_side_by_side_survive_a_sigkill_and_never_share_an_incident(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO", cities="harbin,qiqihar")
    settings = isolated_settings(base, f"crash2c{uuid.uuid4().hex[:6]}", tmp_path / "state")
    create_topics(broker, settings)
    streams = (TipStream(prefix="h-", centre="harbin"), TipStream(origin=QIQIHAR_ORIGIN, prefix="q-", centre="qiqihar"))
    events = asyncio.run(scenario(settings, broker, tmp_path, streams))
    crossing = [e["event_id"] for e in events if len({str(s)[:2] for s in e["sources"]}) > 1]
    assert not crossing, f"incidents with reports of both centres: {crossing[:5]}"
    for stream in streams:
        stream.ledger(events).assert_complete("abc")
    # each centre's teams served only its own city: a Harbin team never went to Qiqihar
    for e in events:
        teams = {str(u.get("team_id")) for u in e.get("assignments") or ()}
        assert all(t.startswith(str(e["sources"][0])[:2]) for t in teams if t != "None"), e["event_id"]

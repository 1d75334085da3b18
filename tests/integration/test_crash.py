"""SIGKILL a worker mid-stream: nothing lost, nothing doubled, state recovered."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from core import topics as names
from core.settings import Settings
from tests.integration.tipstream import PEOPLE, Ledger, first_reports, tip
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings


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

            await first_reports(feeder)
            # Phase b: the worker is killed while the second reports stream in,
            # so the restarted worker merges the rest into the right incidents
            # only if the desk's state came back from its changelog.
            for i in range(PEOPLE):
                await feeder.send(tip("b", i))
                if i == 20:
                    await asyncio.sleep(0.2)
                    workers[0].kill()
                    await restart(0)
            # Phase c: the restarted worker is killed too, while it is still
            # recovering and catching up.
            for i in range(PEOPLE):
                await feeder.send(tip("c", i))
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

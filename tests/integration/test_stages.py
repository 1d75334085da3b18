"""Stages split over two workers (`intake` and `desk,notify`): tips still become dispatches, each stage set in its
own consumer group, and the split decides exactly as one worker running every stage."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from core import topics as names
from core.settings import Settings
from tests.integration.tipstream import PEOPLE, Ledger, first_reports, tip
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings


async def scenario(settings: Settings, broker: str, log_dir: Path, stage_sets: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """Phases a and b through one worker per stage set; every output record."""
    workers = [WorkerProcess(replace(settings, stages=s), broker, log_dir / f"worker-{s}.log") for s in stage_sets]
    for worker in workers:
        worker.start()
    try:
        async with Feeder(settings, broker, workers) as feeder:
            await first_reports(feeder)
            for i in range(PEOPLE):
                await feeder.send(tip("b", i))
            await feeder.barrier()
            return await feeder.drain()
    finally:
        for worker in workers:
            worker.stop()


async def committed(broker: str, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()


def decisions(outputs: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """What the desk decided, without the records' wall-clock fields: each dispatch event's id, incident, kind,
    revision, sources and units."""
    return sorted(
        (e["event_id"], e["incident_id"], e["kind"], e["revision"], tuple(e["sources"]),
         tuple(sorted((str(u.get("team_id")), str(u.get("role"))) for u in e.get("assignments") or ())))
        for topic, e in outputs if topic == names.DISPATCH
    )


def test_intake_and_desk_in_two_workers_decide_as_one_worker(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO")
    split = isolated_settings(base, f"stages{uuid.uuid4().hex[:6]}", tmp_path / "split" / "state")
    create_topics(broker, split)
    outputs = asyncio.run(scenario(split, broker, tmp_path / "split", ("intake", "desk,notify")))
    Ledger.of([e for topic, e in outputs if topic == names.DISPATCH]).assert_complete("ab")
    assert any(topic == names.PARTNER_NOTICES for topic, _ in outputs), "the notify stage sent no partner notice"
    assert not [e for topic, e in outputs if topic == names.DEAD_LETTERS]
    # Each stage set read in its own group; nobody read in the app id's (a worker running every stage).
    tips, reports = split.topic(names.TIPS), split.topic(names.REPORTS)
    assert asyncio.run(committed(broker, f"{split.app_id}-intake", tips)) == 2 * PEOPLE + 4  # phases a and b, and a's split persons
    assert asyncio.run(committed(broker, f"{split.app_id}-desk-notify", reports)) == 2 * PEOPLE + 4
    assert asyncio.run(committed(broker, split.app_id, tips)) is None
    assert asyncio.run(committed(broker, f"{split.app_id}-desk-notify", tips)) is None

    one = isolated_settings(base, f"stages1{uuid.uuid4().hex[:6]}", tmp_path / "one" / "state")
    create_topics(broker, one)
    alone = asyncio.run(scenario(one, broker, tmp_path / "one", ("intake,desk,notify",)))
    assert decisions(outputs) == decisions(alone) and len(decisions(alone)) >= PEOPLE


Outputs = list[tuple[str, dict[str, Any]]]


async def switch(settings: Settings, broker: str, log_dir: Path) -> tuple[Outputs, Outputs]:
    """Phase a on one worker running every stage; it stops, and phase b goes to the split workers; every output
    record read before the switch, and every one read after it (all again, from the topics' start)."""
    one = WorkerProcess(settings, broker, log_dir / "worker-all.log")
    split = [WorkerProcess(replace(settings, stages=s), broker, log_dir / f"worker-{s}.log") for s in ("intake", "desk,notify")]
    one.start()
    try:
        async with Feeder(settings, broker, [one]) as feeder:
            await first_reports(feeder)
            before = await feeder.drain()
        one.stop()
        for worker in split:
            worker.start()
        async with Feeder(settings, broker, split) as feeder:
            await feeder.barrier()  # the new groups have read the history from the start
            for i in range(PEOPLE):
                await feeder.send(tip("b", i))
            await feeder.barrier()
            return before, await feeder.drain()
    finally:
        for worker in (one, *split):
            worker.stop()


def test_a_deployment_split_after_a_night_began_keeps_the_desks_state(broker: str, tmp_path: Path) -> None:
    """The split workers' desk recovers the one worker's changelog, so the history its new groups read again from
    the start is redelivery: phase b joins phase a's incidents, no event is written twice, no dead letter."""
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO")
    settings = isolated_settings(base, f"switch{uuid.uuid4().hex[:6]}", tmp_path / "state")
    create_topics(broker, settings)
    before, after = asyncio.run(switch(settings, broker, tmp_path))
    outputs = before + after
    Ledger.of([e for topic, e in outputs if topic == names.DISPATCH]).assert_complete("ab")
    assert not [e for topic, e in outputs if topic == names.DEAD_LETTERS]
    # `after` is the dispatch topic from its start: a desk that lost its state decided phase a again.
    written = [e["event_id"] for topic, e in after if topic == names.DISPATCH]
    assert len(written) == len(set(written)), "events written again after the switch: the desk's state was lost"

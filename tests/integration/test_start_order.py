"""Roles started in any order on the real broker: topics right before anything is consumed, no silent agent deaths."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaAdminClient

from agents.health import EXIT_AGENT_DIED
from console.auth import add_token
from console.server import ConsoleRunner
from core import topics as names
from core.settings import Settings
from pipeline.broker import free_port
from pipeline.clock import run_ticker
from pipeline.topics_admin import TopicMismatchError, ensure_topics
from tests.integration.tipstream import PEOPLE, Ledger, first_reports, teams, tip
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

pytestmark = pytest.mark.integration


def _settings(broker: str, tmp_path: Path, name: str) -> Settings:
    base = replace(Settings.from_env({}), broker=broker, log_level="INFO")
    return isolated_settings(base, f"{name}{uuid.uuid4().hex[:6]}", tmp_path / "state")


def _create(broker: str, topic: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=broker, client_id="test-admin")
    try:
        admin.create_topics({topic: {"num_partitions": partitions, "replication_factor": 1}})
    finally:
        admin.close()


def _wait_exit(worker: WorkerProcess, timeout_s: float = 180.0) -> int:
    assert worker.proc is not None
    deadline = time.monotonic() + timeout_s
    while worker.proc.poll() is None:
        assert time.monotonic() < deadline, f"worker still running:\n{worker.log_tail()}"
        time.sleep(0.2)
    return worker.proc.returncode


def test_a_desk_input_created_with_other_partitions_stops_the_worker_before_it_consumes(broker: str, tmp_path: Path) -> None:
    settings = _settings(broker, tmp_path, "mismatch")
    _create(broker, settings.topic(names.REPORTS), 4)  # an outside client got there first
    with pytest.raises(TopicMismatchError, match=r"'[^']*reports' has 4 partitions, the pipeline needs exactly 1"):
        ensure_topics(broker, settings)
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
    worker.start()
    try:
        assert _wait_exit(worker) == 2
        log = worker.log_path.read_text(errors="replace")
        assert "patrol: error:" in log and "reports' has 4 partitions" in log and "exactly 1" in log
    finally:
        worker.stop()


def test_an_agent_that_dies_takes_the_worker_down(broker: str, tmp_path: Path) -> None:
    """The desk's changelog made with 4 partitions: Faust's PartitionsMismatch on the first table write."""
    settings = _settings(broker, tmp_path, "death")
    create_topics(broker, settings)
    _create(broker, f"{settings.app_id}-desk-state-changelog", 4)
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
    worker.start()

    async def feed() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=broker)  # no barriers: the desk never commits
        await producer.start()
        try:
            for item in [*teams(), *(tip("a", i) for i in range(3))]:
                await producer.send_and_wait(settings.topic(item.topic), item.value, key=(item.key or "").encode())
        finally:
            await producer.stop()

    try:
        asyncio.run(feed())
        assert _wait_exit(worker) == EXIT_AGENT_DIED
        log = worker.log_path.read_text(errors="replace")
        assert "agent desk died" in log, worker.log_tail()
    finally:
        worker.stop()


def _healthz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_console_clock_and_an_outside_producer_first_then_the_worker(broker: str, tmp_path: Path) -> None:
    settings = _settings(broker, tmp_path, "order")
    tokens = tmp_path / "tokens.json"
    add_token(tokens, "operator", token_id="op")
    console_settings = replace(settings, tokens_file=tokens)
    web_port = free_port()
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log", web_port=web_port)

    async def scenario() -> list[dict[str, Any]]:
        # An outside producer writes a tip before any patrol role ran: the broker auto-creates `tips`.
        producer = AIOKafkaProducer(bootstrap_servers=broker)
        await producer.start()
        await producer.send_and_wait(settings.topic(names.TIPS), tip("a", 0).value, key=b"a0")
        await producer.stop()
        console = ConsoleRunner(console_settings, broker, host="127.0.0.1", port=free_port())
        await console.start()  # creates the rest with the right counts
        await run_ticker(settings, broker, count=1)
        worker.start()
        try:
            async with Feeder(settings, broker, [worker]) as feeder:
                await first_reports(feeder)  # tip a0 again: same id, the desk merges it
                status, health = await asyncio.get_running_loop().run_in_executor(None, _healthz, web_port)
                assert status == 200 and health["ok"] is True, health
                assert {"desk", "intake"} <= set(health["agents"])
                assert health["agents"]["desk"]["status"] == "running" and health["agents"]["desk"]["processed"] > PEOPLE
                assert all("lag" in a for a in health["agents"].values())
                return [obj for topic, obj in await feeder.drain() if topic == names.DISPATCH]
        finally:
            worker.stop()
            await console.stop()

    async def bounded() -> list[dict[str, Any]]:
        try:  # under pytest's own timeout, so that a stall shows the worker's story
            return await asyncio.wait_for(scenario(), 240)
        except TimeoutError:
            raise AssertionError(f"stalled; worker log:\n{worker.log_tail(120)}") from None

    events = asyncio.run(bounded())
    # a0 comes before any team is known, so the one police unit may already lead another person by then
    Ledger.of(events).assert_complete("a", support=False)

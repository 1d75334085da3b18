"""The console under a broker that dies and comes back: fast 503s, honest /healthz, no ack lost after the restart."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from kafka import KafkaAdminClient

from console.auth import add_token
from console.server import ConsoleRunner
from core import topics
from core.settings import Settings
from pipeline.broker import EmbeddedBroker, free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS
from tests.integration.test_console_api import dispatch_event

pytestmark = pytest.mark.integration


async def _until(check: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def _acks(bootstrap: str, topic: str, expect: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0)])
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while len(out) < expect and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                out.extend(json.loads(r.value) for r in records)
        return out
    finally:
        await consumer.stop()


def _partitions(bootstrap: str, topic: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-admin")
    try:
        return len(admin.describe_topics([topic])[0]["partitions"])
    finally:
        admin.close()


def test_console_survives_a_broker_restart(tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
    bootstrap = broker.start()
    tokens = tmp_path / "tokens.json"
    op = add_token(tokens, "operator", token_id="op")
    port = free_port()
    settings = replace(Settings(), broker=bootstrap, topic_prefix="restart-", tokens_file=tokens)
    acks_topic = settings.topic(topics.TASK_ACKS)
    headers = {"Authorization": f"Bearer {op}"}

    async def scenario() -> None:
        runner = ConsoleRunner(settings, bootstrap, host="127.0.0.1", port=port)
        await runner.start()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        await producer.send_and_wait(settings.topic(topics.DISPATCH), dispatch_event("inc-1").to_json())
        await producer.stop()
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:

                async def health() -> tuple[int, dict[str, Any]]:
                    async with http.get("/healthz") as resp:
                        return resp.status, await resp.json()

                async def resolve() -> tuple[int, dict[str, Any]]:
                    async with http.post("/api/incidents/inc-1/resolve", headers=headers, json={"outcome": "returned_home"}) as resp:
                        return resp.status, await resp.json()

                await _until(lambda: _true(lambda: "inc-1" in runner.service.state.incidents), "the dispatch event")
                assert (await health())[0] == 200
                assert (await resolve())[0] == 202
                assert len(await _acks(bootstrap, acks_topic, 1)) == 1

                broker.stop()
                started = time.monotonic()
                status, body = await resolve()
                assert (status, body["error"]) == (503, "broker_unavailable")
                assert time.monotonic() - started < 30  # the old console hung ~40 s per action
                await _until(lambda: _status_is(health, 503), "/healthz to report the broker down")
                assert (await health())[1]["broker"]["reachable"] is False

                broker.start()  # same port, memory storage: every topic is gone
                await _until(lambda: _status_is(health, 200), "/healthz to see the broker again")
                accepted = []
                for _ in range(3):
                    status, body = await resolve()
                    assert status == 202, body
                    accepted.append(body["published"])
                # Every 202 is readable where the desk reads: one partition, nothing lost.
                assert await _acks(bootstrap, acks_topic, 3) == accepted
                assert _partitions(bootstrap, acks_topic) == 1
        finally:
            await runner.stop()

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()


async def _true(check: Any) -> bool:
    return bool(check())


async def _status_is(health: Any, status: int) -> bool:
    return bool((await health())[0] == status)

"""`/metrics` of a real worker and of the console, scraped after a few tips and parsed as Prometheus text."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from console.server import ConsoleRunner
from core import topics as names
from core.feed import FeedItem
from core.settings import Settings
from pipeline.broker import free_port
from tests.integration.tipstream import T0, position, teams
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a text page by (name, sorted labels)."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of `name` over the samples carrying `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


def tip(n: int, *, minutes: int = 0, bad: bool = False) -> FeedItem:
    at = T0 + timedelta(minutes=minutes, seconds=n)
    lat, lon = position(n * 3)  # far apart: one incident each
    body = {"tip_id": f"m{n}", "channel": "hotline" if not bad else "carrier pigeon", "reported_at": at.isoformat(), "lat": lat, "lon": lon, "text": "cold"}
    return FeedItem(at=at, seq=n, topic=names.TIPS, value=json.dumps(body).encode(), key=f"m{n}")


async def scrape(url: str) -> Samples:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(await response.text())


async def scenario(settings: Settings, broker: str, tmp_path: Path) -> tuple[Samples, Samples, Samples]:
    worker = WorkerProcess(settings, broker, tmp_path / "worker.log")
    console_port = free_port()
    console = ConsoleRunner(replace(settings, console_port=console_port), broker, host="127.0.0.1", port=console_port)
    worker.start()
    web_port = worker.web_port
    await console.start()
    console_url = f"http://127.0.0.1:{console_port}/metrics"
    console_before = await scrape(console_url)  # counters are per process: other tests' consoles counted too
    try:
        async with Feeder(settings, broker, [worker]) as feeder:
            await feeder.wait_ready(T0)
            for item in teams(1):  # one team for three persons: two wait in the queue
                await feeder.send(item)
            for n in range(3):
                await feeder.send(tip(n, minutes=1))
            await feeder.send(tip(9, minutes=1, bad=True))
            # Nobody acknowledges: past every deadline the desk escalates.
            for minutes in range(5, 125, 5):
                await feeder.tick(T0 + timedelta(minutes=minutes))
            await feeder.barrier()
            worker_page = await scrape(f"http://127.0.0.1:{web_port}/metrics")  # final: the worker committed every input
            written = total(worker_page, "patrol_records_out_total", topic=names.DISPATCH)
            read_before = total(console_before, "patrol_records_in_total", topic=names.DISPATCH)
            deadline = time.monotonic() + 60
            while True:  # the console reads `dispatch` on its own: compare once it has read every decision
                console_page = await scrape(console_url)
                if total(console_page, "patrol_records_in_total", topic=names.DISPATCH) - read_before >= written:
                    break
                assert time.monotonic() < deadline, "the console did not read every decision"
                await asyncio.sleep(0.05)
            return worker_page, console_page, console_before
    finally:
        await console.stop()
        worker.stop()


def test_worker_and_console_expose_prometheus_metrics(broker: str, tmp_path: Path) -> None:
    base = replace(Settings.from_env({}), broker=broker)
    settings = isolated_settings(base, f"metrics{uuid.uuid4().hex[:6]}", tmp_path / "state")
    create_topics(broker, settings)
    worker, console, console_before = asyncio.run(scenario(settings, broker, tmp_path))

    # Worker: what came in and went out, by unprefixed topic.
    assert total(worker, "patrol_records_in_total", topic=names.TIPS) == 4
    assert total(worker, "patrol_records_out_total", topic=names.REPORTS) == 3
    assert total(worker, "patrol_records_in_total", topic=names.REPORTS) == 3
    assert total(worker, "patrol_records_out_total", topic=names.DISPATCH) >= 3
    assert total(worker, "patrol_dead_letters_total", topic=names.TIPS, reason="unknown_channel") == 1
    assert total(worker, "patrol_records_out_total", topic=names.DEAD_LETTERS) == 1
    escalations = {ls: v for (n, ls), v in worker.items() if n == "patrol_escalations_total"}
    # Missed acks, then (no other free team) the queued task keeps escalating: no silent queue.
    assert escalations and {dict(ls)["cause"] for ls in escalations} <= {"ack_missed", "queued"}, escalations
    assert any(dict(ls)["cause"] == "ack_missed" for ls in escalations), escalations
    assert total(worker, "patrol_desk_batch_seconds_count") >= 1
    assert total(worker, "patrol_open_incidents") == 3
    assert total(worker, "patrol_queued_tasks") >= 2
    assert total(worker, "patrol_oldest_open_incident_age_seconds") >= 100 * 60  # event time: ticks ran 2 h past the tips
    ticks = {dict(ls)["centre"]: v for (n, ls), v in worker.items() if n == "patrol_desk_clock_tick_seconds"}
    assert ticks == {"harbin": (T0 + timedelta(minutes=120)).timestamp()}, ticks  # the last tick fed
    lags = {dict(ls)["topic"]: v for (n, ls), v in worker.items() if n == "patrol_consumer_lag"}
    assert lags.get(names.TIPS) == 0 and lags.get(names.CLOCK) == 0, lags
    assert not any(topic.endswith("-changelog") for topic in lags), lags  # written, never read back: no lag

    # Console: the same incidents, folded from `dispatch`.
    assert total(console, "patrol_records_in_total", topic=names.DISPATCH) >= 3
    assert total(console, "patrol_open_incidents") == 3
    assert total(console, "patrol_queued_tasks") == total(worker, "patrol_queued_tasks")
    for priority in ("P1", "P2", "P3", "P4"):
        assert total(console, "patrol_open_incidents", priority=priority) == total(worker, "patrol_open_incidents", priority=priority)
    assert total(console, "patrol_escalations_total") - total(console_before, "patrol_escalations_total") == total(worker, "patrol_escalations_total")
    assert ("patrol_consumer_lag", (("partition", "0"), ("topic", names.DISPATCH))) in console

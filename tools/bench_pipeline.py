"""`patrol bench pipeline`: throughput and latency, against a baseline in the same run.

On the same broker, one after the other:
1. baseline: a raw aiokafka consume-and-produce passthrough (messages/s);
2. the whole tips-to-dispatch pipeline on a real worker process (tips/s);
3. tip-to-dispatch latency p50/p99 at an offered rate (default 500 tips/s);
4. where the time goes: the desk's share from the worker's own metrics in
   the measured run, then a second, profiled worker (cProfile over all its
   threads, `pipeline/profiling.py`) on the same tips, summed by library.
The ratio pipeline/passthrough is what to watch: absolute figures drift on a
shared machine, the ratio much less. The profile slows the worker, so it runs
apart from the measured phases.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import urllib.request
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from core import topics as names
from core.settings import Settings
from pipeline.broker import broker_for, free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS
from pipeline.kafka_security import client_kwargs
from pipeline.profiling import IDLE, summary
from rules.context import Context
from tools.harness import Feeder, WorkerProcess, create_topics, isolated_settings

START = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def bench_tip(n: int, ctx: Context, at: datetime) -> bytes:
    """A valid tip spread over the service area (deterministic)."""
    box = ctx.city.bbox
    lat = box.lat_min + (box.lat_max - box.lat_min) * ((n * 7919) % 10007) / 10007
    lon = box.lon_min + (box.lon_max - box.lon_min) * ((n * 104729) % 10009) / 10009
    tip = {"tip_id": f"bench-{n}", "channel": "hotline", "reported_at": at.isoformat(), "lat": lat, "lon": lon, "text": "老人 cold"}
    return json.dumps(tip, ensure_ascii=False).encode("utf-8")


async def passthrough(bootstrap: str, settings: Settings, count: int) -> float:
    """Baseline: consume `count` messages and produce each to another topic."""
    prefix, security = settings.topic_prefix, client_kwargs(settings)
    src, dst = f"{prefix}pt-in", f"{prefix}pt-out"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, **security)
    await producer.start()
    payload = b"x" * 200
    for i in range(count):
        await producer.send(src, payload, key=str(i).encode())
    await producer.flush()
    consumer = AIOKafkaConsumer(src, bootstrap_servers=bootstrap, group_id=f"{prefix}pt", auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **security)
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    while seen < count:
        batch = await consumer.getmany(timeout_ms=1000)
        for records in batch.values():
            for msg in records:
                await producer.send(dst, msg.value, key=msg.key)
                seen += 1
        await consumer.commit()
    await producer.flush()
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return count / elapsed


async def push_and_wait(producer: AIOKafkaProducer, dispatch: AIOKafkaConsumer, tips_topic: str, ctx: Context, numbers: range) -> None:
    """Send the tips numbered `numbers` at once and wait until each is on a dispatch event."""
    for n in numbers:
        await producer.send(tips_topic, bench_tip(n, ctx, START + timedelta(seconds=n)))
    await producer.flush()
    pending = {f"bench-{n}" for n in numbers}
    while pending:
        batch = await dispatch.getmany(timeout_ms=30_000)
        if not batch:
            raise TimeoutError(f"{len(pending)}/{len(numbers)} tips without a dispatch event after 30 s of silence")
        for records in batch.values():
            for msg in records:
                pending.difference_update(json.loads(msg.value).get("sources", []))


async def scrape(web_port: int) -> dict[str, float]:
    """The worker's own counters (`/metrics`), summed over labels."""

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/metrics", timeout=10) as response:
            return str(response.read().decode("utf-8"))

    out: dict[str, float] = {}
    for family in text_string_to_metric_families(await asyncio.to_thread(get)):
        for sample in family.samples:
            out[sample.name] = out.get(sample.name, 0.0) + sample.value
    return out


def stage_times(before: dict[str, float], after: dict[str, float], elapsed: float) -> dict[str, float]:
    """The desk's share of a run, from the worker's metrics."""
    batches = after.get("patrol_desk_batch_seconds_count", 0.0) - before.get("patrol_desk_batch_seconds_count", 0.0)
    desk_s = after.get("patrol_desk_batch_seconds_sum", 0.0) - before.get("patrol_desk_batch_seconds_sum", 0.0)
    records_in = after.get("patrol_records_in_total", 0.0) - before.get("patrol_records_in_total", 0.0)
    return {
        "elapsed_s": elapsed,
        "desk_batches": batches,
        "desk_s": desk_s,
        "desk_share": desk_s / elapsed if elapsed else 0.0,
        "desk_batch_ms": 1000 * desk_s / batches if batches else 0.0,
        "records_in": records_in,
    }


async def _profiled(settings: Settings, bootstrap: str, ctx: Context, tips: int, out: Path) -> None:
    """A worker under cProfile takes `tips` tips at once; its profile is written when it stops."""
    create_topics(bootstrap, settings)
    worker = WorkerProcess(settings, bootstrap, out.with_suffix(".log"), extra_env={"PATROL_PROFILE": str(out)})
    worker.start()
    try:
        async with Feeder(settings, bootstrap, [worker]) as feeder:
            await feeder.wait_ready(START)
            security = client_kwargs(settings)
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, **security)
            await producer.start()
            dispatch = AIOKafkaConsumer(
                settings.topic(names.DISPATCH), bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **security
            )
            await dispatch.start()
            await dispatch.getmany(timeout_ms=200)
            try:
                await push_and_wait(producer, dispatch, settings.topic(names.TIPS), ctx, range(tips))
            finally:
                await dispatch.stop()
                await producer.stop()
    finally:
        worker.stop(timeout_s=60.0)


def format_profile(path: Path, tips: int) -> str:
    """Busy time by library, then the costliest functions."""
    shares, functions = summary(path)
    busy = sum(s.seconds for s in shares if s.group != IDLE)
    lines = [f"worker profile ({tips} tips; {busy:.1f} s of CPU in all threads, {1000 * busy / tips:.2f} ms per tip):"]
    lines += [f"  {s.share * 100:5.1f}%  {s.seconds:7.2f} s  {s.group}" for s in shares if s.group != IDLE and s.share >= 0.005]
    idle = next((s.seconds for s in shares if s.group == IDLE), 0.0)
    lines.append(f"  (in select/lock waits: {idle:.1f} s of CPU)")
    lines.append("  costliest functions (own time):")
    lines += [f"    {seconds:7.2f} s  {name}" for name, seconds in functions]
    return "\n".join(lines)


async def _pipeline(settings: Settings, bootstrap: str, ctx: Context, tips: int, rate: float) -> dict[str, Any]:
    create_topics(bootstrap, settings)
    web_port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="patrol-bench-"))
    worker = WorkerProcess(settings, bootstrap, logs / "worker.log", extra_env={"PATROL_WEB_PORT": str(web_port)})
    worker.start()
    results: dict[str, Any] = {}
    try:
        async with Feeder(settings, bootstrap, [worker]) as feeder:
            await feeder.wait_ready(START)
            security = client_kwargs(settings)
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, **security)
            await producer.start()
            dispatch = AIOKafkaConsumer(
                settings.topic(names.DISPATCH), bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS, **security
            )
            await dispatch.start()
            await dispatch.getmany(timeout_ms=200)  # position at the end before sending
            tips_topic = settings.topic(names.TIPS)

            # Throughput: push everything, time until the last dispatch event.
            before = await scrape(web_port)
            started = time.perf_counter()
            await push_and_wait(producer, dispatch, tips_topic, ctx, range(tips))
            elapsed = time.perf_counter() - started
            results["pipeline_tips_per_s"] = tips / elapsed
            results["stages"] = stage_times(before, await scrape(web_port), elapsed)

            # Latency at an offered rate.
            count = min(tips, int(rate * 4))
            sent_at: dict[str, float] = {}
            latencies: list[float] = []

            async def send_paced() -> None:
                interval = 1.0 / rate
                t0 = time.perf_counter()
                for n in range(count):
                    target = t0 + n * interval
                    delay = target - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tip_id = f"bench-{tips + n}"
                    sent_at[tip_id] = time.perf_counter()
                    await producer.send(tips_topic, bench_tip(tips + n, ctx, START + timedelta(seconds=tips + n)))

            sender = asyncio.create_task(send_paced())
            while len(latencies) < count:
                batch = await dispatch.getmany(timeout_ms=30_000)
                if not batch:
                    raise TimeoutError("latency run stalled")
                now = time.perf_counter()
                for records in batch.values():
                    for msg in records:
                        event = json.loads(msg.value)
                        for source in event.get("sources", []):
                            if source in sent_at:  # the first event that carries the tip
                                latencies.append((now - sent_at.pop(source)) * 1000)
            await sender
            latencies.sort()
            results["offered_rate"] = rate
            results["latency_p50_ms"] = statistics.median(latencies)
            results["latency_p99_ms"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            await dispatch.stop()
            await producer.stop()
    finally:
        worker.stop()
    return results


def run_pipeline_bench(settings: Settings, ctx: Context, *, tips: int = 3000, rate: float = 500.0, profile: bool = True) -> dict[str, Any]:
    with broker_for(settings.broker) as bootstrap:
        run = isolated_settings(settings, f"bench{uuid.uuid4().hex[:6]}")
        run = replace(run, log_level="WARNING")
        baseline = asyncio.run(passthrough(bootstrap, run, max(tips, 5000)))
        results = asyncio.run(_pipeline(run, bootstrap, ctx, tips, rate))
        profile_path = Path(tempfile.mkdtemp(prefix="patrol-profile-")) / "worker.prof"
        if profile:
            profiled_run = replace(isolated_settings(settings, f"prof{uuid.uuid4().hex[:6]}"), log_level="WARNING")
            asyncio.run(_profiled(profiled_run, bootstrap, ctx, tips, profile_path))
    results["passthrough_msgs_per_s"] = baseline
    results["ratio_pipeline_to_passthrough"] = results["pipeline_tips_per_s"] / baseline
    stages = results["stages"]
    print(f"passthrough (raw aiokafka consume+produce): {baseline:8.0f} msg/s")
    print(f"pipeline (tips -> dispatch, real worker):   {results['pipeline_tips_per_s']:8.0f} tips/s")
    print(f"ratio pipeline/passthrough:                 {results['ratio_pipeline_to_passthrough']:8.3f}")
    print(
        f"latency at {rate:.0f} tips/s offered:          p50 {results['latency_p50_ms']:.1f} ms, "
        f"p99 {results['latency_p99_ms']:.1f} ms"
    )
    print(
        f"desk (worker metrics, throughput run):      {stages['desk_share'] * 100:5.1f}% of the wall time in "
        f"{stages['desk_batches']:.0f} batches, {stages['desk_batch_ms']:.1f} ms per batch, {stages['records_in']:.0f} records read"
    )
    if profile:
        if profile_path.exists():
            results["profile"] = str(profile_path)
            print(format_profile(profile_path, tips))
            print(f"(pstats file: {profile_path})")
        else:
            print(f"no profile written (worker log: {profile_path.with_suffix('.log')})")
    return results

"""`patrol bench pipeline`: throughput and latency, against a baseline in the same run.

On the same broker (one `pipeline_run`), one after the other:
1. baseline: a raw aiokafka consume-and-produce passthrough (messages/s),
   while the run's worker idles;
2. the whole tips-to-dispatch pipeline on a real worker process (tips/s);
3. tip-to-dispatch latency p50/p99 at an offered rate (default 500 tips/s),
   then at a low rate (default 50 tips/s: the hops' own cost without a
   queue), each split into its hops by the records' broker timestamps
   (`hop_split`);
4. where the time goes: the desk's share from the worker's own metrics in
   the throughput phase, then a second, profiled worker (cProfile over all
   its threads, CPU time, `pipeline/profiling.py`) on the same tips, summed
   by library.
Phases 1-3 run twice: with one dispatch centre, then with two (tips
alternate between the cities; one worker holds both centres' desks). With
`--split` each runs again on the worker split by stage, one process per
stage set (`stage_layout`; the CLI's default puts the desk alone), printed
beside the one worker's figures, the metrics summed over the processes.
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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from core import topics as names
from core.errors import ConfigError
from core.settings import Settings
from pipeline.eventloop import use_event_loop
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS, reader
from pipeline.kafka_security import client_kwargs
from pipeline.profiling import IDLE, summary
from rules.context import Province
from tools.harness import PipelineRun, pipeline_run

START = datetime(2026, 12, 20, 19, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def bench_tip(n: int, province: Province) -> bytes:
    """A valid tip spread over the service area of one centre, the centres taking turns (deterministic).

    Each centre's k-th tip lies where a lone centre's k-th tip would (scaled to its
    area) and time, so one and two centres face the same kind of work per tip.
    """
    contexts = list(province.centres.values())
    box = contexts[n % len(contexts)].city.bbox
    k = n // len(contexts)
    lat = box.lat_min + (box.lat_max - box.lat_min) * ((k * 7919) % 10007) / 10007
    lon = box.lon_min + (box.lon_max - box.lon_min) * ((k * 104729) % 10009) / 10009
    at = START + timedelta(seconds=k)
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


async def _throughput(producer: AIOKafkaProducer, dispatch: AIOKafkaConsumer, tips_topic: str, province: Province, tips: int) -> float:
    """Tips per second: push `tips` tips at once, time until each has a dispatch event."""
    started = time.perf_counter()
    for n in range(tips):
        await producer.send(tips_topic, bench_tip(n, province))
    await producer.flush()
    pending = {f"bench-{n}" for n in range(tips)}
    while pending:
        batch = await dispatch.getmany(timeout_ms=30_000)
        if not batch:
            raise TimeoutError(f"{len(pending)}/{tips} tips without a dispatch event after 30 s of silence")
        for records in batch.values():
            for msg in records:
                pending.difference_update(json.loads(msg.value).get("sources", []))
    return tips / (time.perf_counter() - started)


@dataclass
class Paced:
    """One paced run: tip-to-dispatch latencies (ms, sorted) and, per tip, the times its hops are read from."""

    latencies: list[float]
    sent_ms: dict[str, float]  # wall clock when the bench sent the tip
    dispatched_ms: dict[str, tuple[float, float]]  # the first dispatch event's broker timestamp, and when the bench read it


async def _latencies(
    producer: AIOKafkaProducer, dispatch: AIOKafkaConsumer, tips_topic: str, province: Province, first: int, count: int, rate: float
) -> Paced:
    """Tip-to-dispatch latencies of `count` tips offered at `rate` tips/s, with what `hop_split` needs."""
    sent_at: dict[str, float] = {}
    run = Paced([], {}, {})

    async def send_paced() -> None:
        interval = 1.0 / rate
        t0 = time.perf_counter()
        for n in range(first, first + count):
            delay = t0 + (n - first) * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[f"bench-{n}"] = time.perf_counter()
            run.sent_ms[f"bench-{n}"] = time.time() * 1000
            await producer.send(tips_topic, bench_tip(n, province))

    sender = asyncio.create_task(send_paced())
    while len(run.latencies) < count:
        batch = await dispatch.getmany(timeout_ms=30_000)
        if not batch:
            raise TimeoutError("latency run stalled")
        now, wall = time.perf_counter(), time.time() * 1000
        for records in batch.values():
            for msg in records:
                for source in json.loads(msg.value).get("sources", []):
                    if source in sent_at:  # the first event that carries the tip
                        run.latencies.append((now - sent_at.pop(source)) * 1000)
                        run.dispatched_ms[source] = (float(msg.timestamp), wall)
    await sender
    run.latencies.sort()
    return run


def percentile(ordered: list[float], share: float) -> float:
    """The value `share` of the way up a sorted list (the bench's p99: index int(n * 0.99), at most the last)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


HOPS = ("tip -> report", "report -> dispatch", "dispatch -> bench")


def hop_split(run: Paced, reported_ms: dict[str, float]) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of each hop of a tip: bench to intake's report, report to the desk's dispatch event, that
    event to the bench's reader.

    A record's broker timestamp is its producer's clock when it was sent (CreateTime), here the worker's, on the
    bench's own host clock: tip -> report is the tip's produce, the intake's fetch, queue and work up to its send;
    report -> dispatch the same for the desk; dispatch -> bench the last produce and fetch. Tips without a report
    or dispatch event seen are left out.
    """
    hops: list[list[float]] = [[], [], []]
    for tip, sent in run.sent_ms.items():
        if tip not in reported_ms or tip not in run.dispatched_ms:
            continue
        reported, (dispatched, seen) = reported_ms[tip], run.dispatched_ms[tip]
        for hop, took in zip(hops, (reported - sent, dispatched - reported, seen - dispatched), strict=True):
            hop.append(took)
    split: dict[str, tuple[float, float]] = {}
    for name, ms in zip(HOPS, hops, strict=True):
        if ms:
            ms.sort()
            split[name] = (percentile(ms, 0.5), percentile(ms, 0.99))
    return split


async def reported_at(run: PipelineRun, tips: set[str], quiet_ms: int = 2000) -> dict[str, float]:
    """The broker timestamp of each of `tips`' first report (a report's id is its tip's), read from the start."""
    found: dict[str, float] = {}
    consumer = reader(run.settings, run.bootstrap, run.settings.topic(names.REPORTS))
    await consumer.start()
    try:
        while len(found) < len(tips):
            batch = await consumer.getmany(timeout_ms=quiet_ms)
            if not batch:
                break
            for records in batch.values():
                for msg in records:
                    report_id = json.loads(msg.value).get("report_id")
                    if report_id in tips and report_id not in found:
                        found[report_id] = float(msg.timestamp)
    finally:
        await consumer.stop()
    return found


def stage_layout(text: str) -> tuple[str, ...]:
    """`--split`'s worker processes: stage sets separated by `/` (`intake,notify/desk`), each stage in exactly one."""
    sets = tuple(",".join(replace(Settings(), stages=part).stage_set) for part in text.split("/"))
    named = [stage for part in sets for stage in part.split(",")]
    if len(sets) < 2 or sorted(named) != sorted(names.STAGES):
        raise ConfigError(f"--split {text!r}: two or more stage sets separated by '/', each of {', '.join(names.STAGES)} in exactly one")
    return sets


async def scrape(*web_ports: int) -> dict[str, float]:
    """The workers' own metrics (`/metrics`), each summed over its labels and over the worker processes."""

    def get(port: int) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return str(response.read().decode("utf-8"))

    out: dict[str, float] = {}
    for text in await asyncio.gather(*(asyncio.to_thread(get, port) for port in web_ports)):
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[sample.name] = out.get(sample.name, 0.0) + sample.value
    return out


async def settle(*web_ports: int, timeout_s: float = 120.0) -> float:
    """Wait until the worker has read everything on the broker (`patrol_consumer_lag` 0 on two
    scrapes in a row), so that the latency run measures the offered rate, not the drain of the
    throughput phase's burst (its downstream agents still had thousands of records to read: the
    first tips then waited 0.8 s and the latency fell over the run). Seconds waited."""
    started = time.perf_counter()
    quiet = 0
    while quiet < 2 and time.perf_counter() - started < timeout_s:
        lag = (await scrape(*web_ports)).get("patrol_consumer_lag", 0.0)
        quiet = quiet + 1 if lag == 0 else 0
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def stage_times(before: dict[str, float], after: dict[str, float], elapsed: float, tips: int) -> dict[str, float]:
    """The desk's share of a phase and the worker's CPU per tip, from its metrics scraped before and after it.

    CPU per tip (`process_cpu_seconds_total`, all the worker's threads) is the
    figure to compare across runs on a shared machine: another process's load
    stretches the wall time, not the CPU the worker spends.
    """
    cpu_s = after.get("process_cpu_seconds_total", 0.0) - before.get("process_cpu_seconds_total", 0.0)
    batches = after.get("patrol_desk_batch_seconds_count", 0.0) - before.get("patrol_desk_batch_seconds_count", 0.0)
    desk_s = after.get("patrol_desk_batch_seconds_sum", 0.0) - before.get("patrol_desk_batch_seconds_sum", 0.0)
    return {
        "elapsed_s": elapsed,
        "desk_batches": batches,
        "desk_s": desk_s,
        "desk_share": desk_s / elapsed if elapsed else 0.0,
        "desk_batch_ms": 1000 * desk_s / batches if batches else 0.0,
        "records_in": after.get("patrol_records_in_total", 0.0) - before.get("patrol_records_in_total", 0.0),
        "cpu_s": cpu_s,
        "cpu_ms_per_tip": 1000 * cpu_s / tips if tips else 0.0,
        "cpu_share": cpu_s / elapsed if elapsed else 0.0,
    }


async def _profiled(settings: Settings, province: Province, tips: int, out: Path) -> None:
    """A worker under cProfile takes `tips` tips at once; it writes its profile when it stops."""
    async with pipeline_run(replace(settings, profile_file=str(out)), "profile", ready_at=START, log_dir=out.parent) as run:
        security = client_kwargs(run.settings)
        producer = AIOKafkaProducer(bootstrap_servers=run.bootstrap, linger_ms=1, **security)
        await producer.start()
        dispatch = AIOKafkaConsumer(
            run.settings.topic(names.DISPATCH), bootstrap_servers=run.bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            **security,
        )
        await dispatch.start()
        try:
            await dispatch.getmany(timeout_ms=200)
            await _throughput(producer, dispatch, run.settings.topic(names.TIPS), province, tips)
        finally:
            await dispatch.stop()
            await producer.stop()


def format_profile(path: Path, tips: int) -> str:
    """CPU time by library (largest first), then the costliest functions."""
    shares, functions = summary(path)
    busy = sum(s.seconds for s in shares if s.group != IDLE)
    lines = [f"worker profile ({tips} tips; {busy:.1f} s of CPU in all threads under cProfile, {1000 * busy / tips:.2f} ms per tip):"]
    lines += [f"  {s.share * 100:5.1f}%  {s.seconds:7.2f} s  {s.group}" for s in shares if s.group != IDLE and s.share >= 0.005]
    idle = next((s.seconds for s in shares if s.group == IDLE), 0.0)
    lines.append(f"  (in select/lock waits: {idle:.1f} s of CPU)")
    lines.append("  costliest functions (own time):")
    lines += [f"    {seconds:7.2f} s  {name}" for name, seconds in functions]
    return "\n".join(lines)


async def _bench(settings: Settings, province: Province, tips: int, rate: float, low_rate: float, stage_sets: tuple[str, ...] = ()) -> dict[str, Any]:
    """The baseline, then the pipeline, on one run's broker (the workers idle during the baseline); `stage_sets`:
    one worker process per stage set, else one worker running every stage."""
    async with pipeline_run(settings, "bench", ready_at=START, stage_sets=stage_sets) as run:
        bootstrap = run.bootstrap
        ports = [w.web_port for w in run.workers]
        baseline = await passthrough(bootstrap, run.settings, max(tips, 5000))
        security = client_kwargs(run.settings)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, **security)
        await producer.start()
        dispatch = AIOKafkaConsumer(
            run.settings.topic(names.DISPATCH), bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            **security,
        )
        await dispatch.start()
        tips_topic = run.settings.topic(names.TIPS)

        async def paced(first: int, count: int, at: float) -> tuple[Paced, dict[str, float]]:
            """`count` tips from the `first`-th at `at` tips/s once the worker has read its backlog; its CPU figures."""
            # The clock moves on to the run's first tip (the desk takes records at most the policy's `max_ahead_min`
            # past its latest tick); the deadlines that tick passes are drained before timing.
            await run.feeder.tick(START + timedelta(seconds=first // len(province.centres)))
            settled = await settle(*ports)
            before = await scrape(*ports)
            started = time.perf_counter()
            timed = await _latencies(producer, dispatch, tips_topic, province, first, count, at)
            stages = stage_times(before, await scrape(*ports), time.perf_counter() - started, count)
            return timed, stages | {"settle_s": settled}

        try:
            await dispatch.getmany(timeout_ms=200)  # position at the end before sending
            before = await scrape(*ports)
            started = time.perf_counter()
            throughput = await _throughput(producer, dispatch, tips_topic, province, tips)
            stages = stage_times(before, await scrape(*ports), time.perf_counter() - started, tips)
            offered = latency_tips(tips, rate)
            loaded, paced_stages = await paced(tips, offered, rate)
            low, _ = await paced(tips + offered, low_tips(tips, low_rate), low_rate)
            stages["settle_s"] = paced_stages["settle_s"]
            reported = await reported_at(run, set(loaded.sent_ms) | set(low.sent_ms))
        finally:
            await dispatch.stop()
            await producer.stop()
    return {
        "passthrough_msgs_per_s": baseline,
        "pipeline_tips_per_s": throughput,
        "offered_rate": rate,
        "latency_p50_ms": statistics.median(loaded.latencies),
        "latency_p99_ms": percentile(loaded.latencies, 0.99),
        "hops": hop_split(loaded, reported),
        "low_rate": low_rate,
        "low_p50_ms": statistics.median(low.latencies),
        "low_p99_ms": percentile(low.latencies, 0.99),
        "low_hops": hop_split(low, reported),
        "stages": stages,
        "paced": paced_stages,
    }


def low_tips(tips: int, rate: float) -> int:
    """Tips of the low-rate run: two seconds at its rate, at least 20, at most as many as the throughput run's."""
    return min(tips, max(20, int(rate * 2)))


def latency_tips(tips: int, rate: float) -> int:
    """Tips of the latency run: four seconds at the offered rate, at most as many as the throughput run's."""
    return min(tips, int(rate * 4))


def check_event_span(tips: int, max_ahead_min: float) -> None:
    """Refuse a run whose tips (one second of event time apart, per centre) would run past the desk's bound.

    The clock ticks at the start of each run; the desk refuses a record more
    than `max_ahead_min` past its latest tick (`future_time`), so a longer
    burst would stall the bench on dead letters instead of measuring it (the
    latency run is never longer than the burst: `latency_tips`).
    """
    if tips > max_ahead_min * 60:
        raise ConfigError(f"bench: {tips} tips span {tips / 60:.0f} min of event time (one a second), more than the policy's "
                          f"max_ahead_min ({max_ahead_min:g}) past the clock tick; use --tips up to {int(max_ahead_min * 60)}")


def run_pipeline_bench(
    settings: Settings, province: Province, *, tips: int = 3000, rate: float = 500.0, low_rate: float = 50.0, profile: bool = True,
    split: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The bench with the first centre alone, then (when the province has two or more) with the first two; `split`:
    each also on one worker process per stage set (`stage_layout`), right after the one worker's run."""
    check_event_span(tips, province.first.policy.max_ahead_min)
    settings = replace(settings, log_level="WARNING")
    print(f"event loop of the worker and the passthrough: {use_event_loop(settings)} (PATROL_EVENT_LOOP)")
    names_ = list(province.centres)
    runs = {1: names_[:1]} | ({2: names_[:2]} if len(names_) > 1 else {})
    results: dict[str, Any] = {}
    for count, centres in runs.items():
        part = Province({c: province.centres[c] for c in centres})
        layouts = {"": ()} | ({"_split": split} if split else {})
        for suffix, stage_sets in layouts.items():
            layout = f"split by stage into {len(stage_sets)} workers: {' | '.join(stage_sets)}" if stage_sets else "one worker, every stage"
            print(f"== {count} centre{'s' if count > 1 else ''} ({', '.join(centres)}); {layout}")
            run = _bench(replace(settings, cities=",".join(centres)), part, tips, rate, low_rate, stage_sets)
            results[f"centres_{count}{suffix}"] = _report(asyncio.run(run), rate)
        if split:
            one, two = results[f"centres_{count}"], results[f"centres_{count}_split"]
            print(f"split / one worker at {rate:.0f} tips/s: p50 {two['latency_p50_ms'] / one['latency_p50_ms']:.2f}, "
                  f"p99 {two['latency_p99_ms'] / one['latency_p99_ms']:.2f}; throughput {two['pipeline_tips_per_s'] / one['pipeline_tips_per_s']:.2f}")
    profile_path = Path(tempfile.mkdtemp(prefix="patrol-profile-")) / "worker.prof"
    if profile:
        first = Province({names_[0]: province.first})
        asyncio.run(_profiled(replace(settings, cities=names_[0]), first, tips, profile_path))
        if profile_path.exists():
            results["profile"] = str(profile_path)
            print(format_profile(profile_path, tips))
            print(f"(pstats file: {profile_path})")
        else:
            print(f"no profile written (worker log: {profile_path.parent / 'worker.log'})")
    return results


def _report(results: dict[str, Any], rate: float) -> dict[str, Any]:
    """Print one run's figures; the ratio joins the results."""
    baseline = results["passthrough_msgs_per_s"]
    results["ratio_pipeline_to_passthrough"] = results["pipeline_tips_per_s"] / baseline
    print(f"passthrough (raw aiokafka consume+produce): {baseline:8.0f} msg/s")
    print(f"pipeline (tips -> dispatch, real worker):   {results['pipeline_tips_per_s']:8.0f} tips/s")
    print(f"ratio pipeline/passthrough:                 {results['ratio_pipeline_to_passthrough']:8.3f}")
    print(
        f"latency at {rate:.0f} tips/s offered:          p50 {results['latency_p50_ms']:.1f} ms, "
        f"p99 {results['latency_p99_ms']:.1f} ms (after the worker read its backlog: {results['stages']['settle_s']:.1f} s)"
    )
    print(f"  hops, p50/p99 ms (broker timestamps): {format_hops(results['hops'])}")
    print(f"latency at {results['low_rate']:.0f} tips/s offered:           p50 {results['low_p50_ms']:.1f} ms, p99 {results['low_p99_ms']:.1f} ms")
    print(f"  hops, p50/p99 ms (broker timestamps): {format_hops(results['low_hops'])}")
    stages = results["stages"]
    print(
        f"desk (worker metrics, throughput phase):    {stages['desk_share'] * 100:5.1f}% of the wall time in "
        f"{stages['desk_batches']:.0f} batches, {stages['desk_batch_ms']:.1f} ms per batch, {stages['records_in']:.0f} records read"
    )
    print(
        f"worker CPU (throughput phase, all workers): {stages['cpu_ms_per_tip']:.2f} ms per tip, "
        f"{stages['cpu_share'] * 100:.0f}% of one core (compare this across runs: load elsewhere stretches only the wall time)"
    )
    paced = results["paced"]
    print(
        f"workers at {rate:.0f} tips/s offered:         {paced['cpu_share'] * 100:.0f}% of one core, {paced['cpu_ms_per_tip']:.2f} ms CPU per tip, "
        f"desk {paced['desk_batches']:.0f} batches, {paced['desk_batch_ms']:.1f} ms each; {paced['records_in']:.0f} records read by all agents"
    )
    return results


def format_hops(hops: dict[str, tuple[float, float]]) -> str:
    return "; ".join(f"{name} {p50:.0f}/{p99:.0f}" for name, (p50, p99) in hops.items())

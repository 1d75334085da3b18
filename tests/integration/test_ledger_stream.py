"""The ledger fed from the real broker: the sample night through a real worker, then into SQLite and PostgreSQL.

Replaying the same records leaves the database identical; killing the ledger
process mid-stream and restarting it loses and doubles nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from agents.ledger import run_ledger
from core import topics as names
from core.records import EVENT_KINDS, DispatchEvent
from core.settings import DATA_DIR, PROJECT_ROOT, Settings
from ledger.fold import fold_incident
from ledger.report import report_day
from ledger.store import Store
from rules.context import Context
from tests.integration.test_ledger_db import dump
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0, incident_story, store_as_legacy
from tools.harness import create_topics
from tools.replay import run_replay

POLICY = ledger_policy()
TZ = ZoneInfo("Asia/Shanghai")
SAMPLES = DATA_DIR / "samples" / "night"

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Night:
    settings: Settings
    dispatch: list[dict]


@pytest.fixture(scope="module")
def night(broker: str, ctx: Context, tmp_path_factory: pytest.TempPathFactory) -> Night:
    """The sample night through a real worker; its topics stay on the broker for the ledger to read."""
    from kafka import KafkaAdminClient

    base = replace(Settings.from_env({}), broker=broker, topic_prefix=f"ln{uuid.uuid4().hex[:6]}-")
    out = tmp_path_factory.mktemp("night") / "out.jsonl"
    result = run_replay(base, tips=SAMPLES / "tips.jsonl", weather=SAMPLES / "weather.jsonl", acks=SAMPLES / "acks.jsonl", out=out)
    admin = KafkaAdminClient(bootstrap_servers=broker)
    try:
        dispatch_topic = next(t for t in admin.list_topics() if t.startswith(base.topic_prefix) and t.endswith(names.DISPATCH))
    finally:
        admin.close()
    run_prefix = dispatch_topic[: -len(names.DISPATCH)]
    events = [o for o in result.outputs if o.get("kind") in EVENT_KINDS and "revision" in o]  # dispatch events only
    return Night(replace(base, topic_prefix=run_prefix), events)


def _feed_until_caught_up(settings: Settings, url: str) -> int:
    """Run the ledger in this process until it has read every record there is now."""
    store = Store.open(url, POLICY)
    try:
        return asyncio.run(asyncio.wait_for(run_ledger(settings, settings.broker, store, until_caught_up=True), 180))
    finally:
        store.close()


def test_ledger_follows_the_real_pipeline_and_a_replay_changes_nothing(night: Night, ledger_url: str) -> None:
    _feed_until_caught_up(night.settings, ledger_url)
    store = Store.open(ledger_url, POLICY)
    first = dump(store)
    by_incident: dict[str, list[DispatchEvent]] = {}
    for e in night.dispatch:
        by_incident.setdefault(e["incident_id"], []).append(DispatchEvent.from_dict(e))
    # Every event once, every incident folded from exactly the events the pipeline wrote.
    assert sorted(r["event_id"] for r in first["dispatch_events"]) == sorted({e["event_id"] for e in night.dispatch})
    # (retention has not run: no incident's free text is cleared yet)
    assert {r["incident_id"]: r for r in first["incidents"]} == {
        i: {**fold_incident(evs), "text_cleared_at": None} for i, evs in by_incident.items()}
    # Every report the intake accepted, which is every source an incident names.
    assert {r["report_id"] for r in first["reports"]} == {s for e in night.dispatch for s in e["sources"]}
    assert first["conditions"], "the desk's cold-wave judgements reach the ledger"
    # The daily report counts what the pipeline did.
    day = store.report("daily", *report_day(date(2026, 12, 20), POLICY, TZ), TZ)
    assert day.incidents == len(by_incident)
    assert sum(day.tips_by_channel.values()) == sum(1 for r in first["reports"] if r["source"] == "tip")
    resolved = [fold_incident(evs)["outcome"] for evs in by_incident.values()]
    assert day.outcomes.get("hospital", 0) == resolved.count("taken_to_hospital") >= 1
    assert day.cold_wave_days.get("orange", 0) + day.cold_wave_days.get("red", 0) >= 1
    # Replay: read everything again from the start, then once more with every dispatch event sent twice.
    store.db.execute("DELETE FROM ledger_offsets")
    store.close()
    _feed_until_caught_up(night.settings, ledger_url)
    asyncio.run(_send(night.settings, [(names.DISPATCH, e) for e in night.dispatch]))
    _feed_until_caught_up(night.settings, ledger_url)
    store = Store.open(ledger_url, POLICY)
    assert dump(store) == first
    store.close()


async def _send(settings: Settings, records: list[tuple[str, dict | bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.broker, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for short, value in records:
            raw = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode()
            futures.append(await producer.send(settings.topic(short), raw))
        for future in futures:
            await future
    finally:
        await producer.stop()


@pytest.fixture
def ledger_process(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


INCIDENTS = 1500
# Well-formed events no database row can hold (a NUL in PostgreSQL text; a revision past 64 bits, which SQLite's driver
# refuses): each once stopped the feeder, which met it again at every restart.
_POISON = incident_story("inc-poison", T0)[0]
BAD = [b"not json", b'{"event_id": "half"}', b"[1, 2]",
       json.dumps({**_POISON, "text": "x\u0000"}).encode(), json.dumps({**_POISON, "event_id": "inc-poison-r9", "revision": 2**70}).encode(),
       # a time without its offset: stored, every later fold of its incident raised TypeError at the batch's end
       json.dumps({**incident_story("inc-00000", T0)[0], "event_id": "inc-00000-r9", "revision": 9, "first_report_at": "2026-12-20T19:00:00"}).encode()]


def test_killing_the_ledger_mid_stream_loses_and_doubles_nothing(broker: str, ledger_url: str, tmp_path: Path, ledger_process: list) -> None:
    settings = replace(Settings.from_env({}), broker=broker, topic_prefix=f"lk{uuid.uuid4().hex[:6]}-")
    create_topics(broker, settings)
    stories = [incident_story(f"inc-{n:05d}", T0 + timedelta(seconds=17 * n), lat=45.70 + (n % 50) * 0.002) for n in range(INCIDENTS)]
    records: list[tuple[str, dict | bytes]] = [(names.DISPATCH, e) for story in stories for e in story]
    records[len(records) // 3 : len(records) // 3] = [(names.DISPATCH, raw) for raw in BAD]
    asyncio.run(_send(settings, records))
    env = {
        **os.environ,
        "PATROL_BROKER": broker,
        "PATROL_TOPIC_PREFIX": settings.topic_prefix,
        "PATROL_DATABASE_URL": ledger_url,
        "PATROL_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }

    def start(*extra: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"ledger-{len(ledger_process)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "ledger", "run", *extra], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(PROJECT_ROOT))
        ledger_process.append(proc)
        return proc

    total = sum(len(s) for s in stories)
    store = Store.open(ledger_url, POLICY)

    def stored() -> int:
        return int(store.db.query("SELECT COUNT(*) AS n FROM dispatch_events")[0]["n"])

    first = start()
    deadline = time.monotonic() + 240
    while stored() == 0:
        assert first.poll() is None and time.monotonic() < deadline, (tmp_path / "ledger-0.log").read_text()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = stored()
    assert 0 < at_kill < total, f"the kill must land mid-stream ({at_kill} of {total})"
    second = start("--once")
    assert second.wait(240) == 0, (tmp_path / "ledger-1.log").read_text()
    assert stored() == total
    rows = store.db.query("SELECT incident_id, last_revision, outcome FROM incidents")
    assert len(rows) == INCIDENTS and {(r["last_revision"], r["outcome"]) for r in rows} == {(4, "taken_to_station")}
    store.close()
    letters = asyncio.run(_read_all(broker, settings.topic(names.DEAD_LETTERS)))
    assert sorted({letter["payload"] for letter in letters}) == sorted(raw.decode() for raw in BAD)
    assert len({letter["event_id"] for letter in letters}) == len(BAD)


def test_an_incident_that_cannot_be_folded_is_dead_lettered_and_the_feeder_goes_on(broker: str, ledger_url: str) -> None:
    """An event an older feeder stored without today's checks (a first report time without its offset) made every
    fold of its incident fail at the batch's end, outside the records' savepoints: the feeder stopped, and met the
    same incident again at each restart. Now that incident keeps its last row and is dead-lettered per batch."""
    settings = replace(Settings.from_env({}), broker=broker, topic_prefix=f"lf{uuid.uuid4().hex[:6]}-")
    create_topics(broker, settings)
    old, new = incident_story("inc-old", T0), incident_story("inc-new", T0)
    store = Store.open(ledger_url, POLICY)
    store.apply_dispatch(old[0])
    store_as_legacy(store.db, {**old[1], "first_report_at": "2026-12-20T19:00:00"})
    store.close()
    asyncio.run(_send(settings, [(names.DISPATCH, e) for e in [*old[2:], *new]]))
    assert _feed_until_caught_up(settings, ledger_url) == len(old) - 2 + len(new)
    store = Store.open(ledger_url, POLICY)
    try:
        assert store.incident("inc-new")["outcome"] == "taken_to_station"  # type: ignore[index]
        assert store.incident("inc-old")["last_revision"] == 1  # type: ignore[index]
        assert store.db.one("SELECT COUNT(*) AS n FROM dispatch_events WHERE incident_id = 'inc-old'")["n"] == len(old)  # type: ignore[index]
    finally:
        store.close()
    letters = asyncio.run(_read_all(broker, settings.topic(names.DEAD_LETTERS)))
    assert letters and {(letter["payload"], letter["error"]) for letter in letters} == {('{"incident_id": "inc-old", "unfolded": true}', "ledger_refused")}
    assert "first_report_at: time has no UTC offset" in letters[0]["reason"]


async def _read_all(bootstrap: str, topic: str) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[dict] = []
    try:
        idle = 0
        while idle < 10:
            batch = await consumer.getmany(timeout_ms=200)
            idle = 0 if batch else idle + 1
            out += [json.loads(m.value) for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    return out

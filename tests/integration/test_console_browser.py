"""The console page in headless Chromium: an incident published to `dispatch` appears live, no reload.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright; it fails, not
skips, when the browser is missing, because CI installs it. Screenshots go to
the test's tmp dir and, when possible, to out/screenshots/.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from console.auth import add_token
from console.server import ConsoleRunner
from core import topics
from core.records import ClockTick, Conditions, DispatchEvent, HelpPointRef, TeamStatus, Wire
from core.settings import Settings
from pipeline.broker import free_port
from pipeline.kafka_compat import FETCH_MAX_WAIT_MS
from tests.integration.browser import chromium, keep_screenshots, require_chromium

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 20, 23, 40, tzinfo=CST)

# (incident, priority, category, lat, lon, team, key_area, minutes ago, extra)
SCENE: list[tuple[str, str, str, float, float, str | None, str | None, int, dict[str, Any]]] = [
    ("inc-7a1c", "P1", "medical", 45.7645, 126.6175, "T-daoli-2", "underpass", 12, {"flags": ("unresponsive", "elderly"), "notify": ("health",)}),
    ("inc-2b9e", "P2", "escort_station", 45.761, 126.631, "T-nangang-1", "station", 30, {"flags": ("minor",)}),
    ("inc-5c03", "P2", "rescue_first", 45.7795, 126.645, None, "heating_vent", 8,
     {"kind": "queued", "status": "queued", "reason": "new incident; no free team with police", "escalation_level": 1,
      "queued_since": NOW - timedelta(minutes=8)}),
    ("inc-9d44", "P2", "guidance", 45.7838, 126.602, "T-daoli-1", "bridge", 40,
     {"kind": "escalation", "escalation_level": 1, "escalate_to": "supervisor", "revision": 3}),
    ("inc-e812", "P3", "supplies_followup", 45.7565, 126.6475, "T-nangang-3", "market", 25, {"flags": ("refuses",)}),
    ("inc-41f0", "P3", "welfare_check", 45.73, 126.695, "T-xiangfang-1", "construction", 5, {"channels": ("thermal",), "sources": ("d-1",)}),
]


def make_event(incident: str, priority: str, category: str, lat: float, lon: float, team: str | None, key_area: str | None,
               minutes_ago: int, extra: dict[str, Any]) -> DispatchEvent:
    revision = int(extra.pop("revision", 1))
    at = NOW - timedelta(minutes=minutes_ago)
    deadline_min = {"P1": 5, "P2": 15, "P3": 30}[priority] // 2  # halved: orange cold wave
    values: dict[str, Any] = {
        "event_id": f"{incident}-r{revision}", "kind": "dispatch", "incident_id": incident, "revision": revision,
        "priority": priority, "category": category,
        "rules": (f"category:{category}", "night", "cold_wave:orange", *((f"key_area:{key_area}",) if key_area else ())),
        "zone_id": None, "key_area": key_area, "lat": lat, "lon": lon, "sources": ("h-101", "c-102"), "team_id": team,
        "ack_deadline": at + timedelta(minutes=deadline_min) if team else None,
        "nearest_help_point": HelpPointRef(id="hp-1", name="求助点", distance_m=150.0, kind="help_point"), "notify": (),
        "at": at, "status": "assigned" if team else "queued", "first_report_at": at, "channels": ("hotline", "courier"),
        "text": "路边有人躺着", "persons": 1, "district": "daoli",
    }
    values.update(extra)
    return DispatchEvent(**values)


async def send_all(producer: AIOKafkaProducer, settings: Settings, items: list[tuple[str, Wire]]) -> None:
    for topic, record in items:
        await producer.send_and_wait(settings.topic(topic), value=record.to_json())


async def read_acks(bootstrap: str, settings: Settings, expect: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_MAX_WAIT_MS)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(settings.topic(topics.TASK_ACKS), 0)])
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        while len(out) < expect and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                out.extend(json.loads(r.value) for r in records)
        return out
    finally:
        await consumer.stop()


def test_console_page_live_in_chromium(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    require_chromium()

    tokens_file = tmp_path / "tokens.json"
    op = add_token(tokens_file, "operator", name="值班调度员")
    crew = add_token(tokens_file, "team", team_id="T-daoli-2")
    port = free_port()
    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, tokens_file=tokens_file, console_port=port)
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async def main() -> None:
        runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port)
        await runner.start()
        producer = AIOKafkaProducer(bootstrap_servers=broker)
        await producer.start()
        try:
            regions = [("daoli", "orange", -26.0), ("nangang", "orange", -25.0), ("daowai", "yellow", -22.0),
                       ("xiangfang", "yellow", -21.0), ("songbei", "none", -18.0)]
            items: list[tuple[str, Wire]] = [
                (topics.CONDITIONS, Conditions(region=r, at=NOW, cold_wave_level=lvl, night=True, wind_chill_c=wc, severe_cold=True))
                for r, lvl, wc in regions
            ]
            items += [(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-2", at=NOW, status="en_route", lat=45.767, lon=126.62))]
            items += [(topics.DISPATCH, make_event(*row[:8], dict(row[8]))) for row in SCENE]
            # The desk's unit timer on inc-e812: its team has been on scene too long without an outcome.
            items += [(topics.DISPATCH, make_event("inc-e812", "P3", "supplies_followup", 45.7565, 126.6475, "T-nangang-3", "market", 1,
                                                   {"kind": "unit_timer", "revision": 2, "status": "on_scene", "flags": ("refuses",),
                                                    "first_report_at": NOW - timedelta(minutes=25),
                                                    "reason": "team T-nangang-3 on scene 60 min without an outcome"}))]
            items += [(topics.CLOCK, ClockTick(at=NOW))]
            await send_all(producer, settings, items)
            state = runner.service.state
            deadline = time.monotonic() + 10
            while state.now != NOW:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)

            async with chromium(tmp_path / "chromium-profile", port, viewport={"width": 1366, "height": 768}) as browser:
                page = browser.page
                await page.goto(f"http://127.0.0.1:{port}/#token={op}")
                await page.wait_for_selector('#incidents tr[data-incident="inc-7a1c"]', timeout=10000)
                await page.wait_for_selector('#map g.incident[data-incident="inc-7a1c"]', timeout=5000)
                await page.evaluate("window.__noReload = 42")

                # sorted by priority, then key area, then age; overdue deadlines in red
                order = await page.eval_on_selector_all("#incidents tbody tr", "rows => rows.map(r => r.dataset.incident)")
                assert order == ["inc-7a1c", "inc-9d44", "inc-2b9e", "inc-5c03", "inc-e812", "inc-41f0"]
                overdue = page.locator('#incidents tr[data-incident="inc-7a1c"] .overdue')
                assert await overdue.count() == 1
                color = await overdue.evaluate("e => getComputedStyle(e).backgroundColor")
                assert color == "rgb(198, 40, 40)"
                assert await page.locator("#queued li").filter(has_text="inc-5c03").count() == 1
                # The queue shows how long each task has waited, coloured by its escalation level; a fired unit timer is tagged.
                age = page.locator("#queued li", has_text="inc-5c03").locator(".age.esc-L1")
                assert (await age.text_content() or "").startswith("8:")
                assert await age.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(239, 108, 0)"
                timer = page.locator('#incidents tr[data-incident="inc-e812"] [data-timer]')
                assert await timer.count() == 1 and "60 min" in (await timer.get_attribute("title") or "")
                assert await page.locator('#incidents tr[data-incident="inc-2b9e"] [data-timer]').count() == 0
                assert await page.locator("#conditions .chip.level-orange").count() == 2

                # live: a new dispatch event shows up within a second, no reload
                live = make_event("inc-live", "P1", "medical", 45.7812, 126.617, "T-daowai-2", "park", 0,
                                  {"text": "斯大林公园长椅上有人不动", "flags": ("unresponsive",)})
                sent = time.monotonic()
                await send_all(producer, settings, [(topics.DISPATCH, live)])
                await page.wait_for_selector('#incidents tr[data-incident="inc-live"]', timeout=5000)
                elapsed = time.monotonic() - sent
                assert elapsed < 1.5, f"incident appeared after {elapsed:.2f}s"
                assert await page.evaluate("window.__noReload") == 42
                await page.wait_for_selector('#map g.incident[data-incident="inc-live"]', timeout=2000)
                await page.screenshot(path=str(shots / "console.png"))

                # English labels
                await page.click("#lang")
                assert await page.text_content("header h1") == "Winter rescue dispatch"
                assert "medical" in (await page.text_content('#incidents tr[data-incident="inc-live"]') or "")
                await page.screenshot(path=str(shots / "console-en.png"))

                # reassign from the page goes to task-acks with the console's event time
                await page.click('#incidents tr[data-incident="inc-9d44"] button[data-action="reassign"]')
                await page.click("#confirm-ok")
                await page.wait_for_selector("#toast:not(.hidden)", timeout=5000)
                acks = await read_acks(broker, settings, expect=1)
                assert [(a["event_id"], a["status"], a["team_id"], a["by"], a["at"]) for a in acks] == [
                    ("inc-9d44-r3", "reassign", "console", "值班调度员", NOW.isoformat())
                ]

                # the team page on a phone-sized screen
                phone = await browser.new_page()
                await phone.set_viewport_size({"width": 390, "height": 844})
                await phone.goto(f"http://127.0.0.1:{port}/team#token={crew}")
                await phone.wait_for_selector('.team-card[data-incident="inc-7a1c"]', timeout=10000)
                await phone.screenshot(path=str(shots / "team.png"), full_page=True)
                browser.assert_clean()
        finally:
            await producer.stop()
            await runner.stop()

    asyncio.run(main())
    assert (shots / "console.png").stat().st_size > 10000
    keep_screenshots(shots, ("console.png", "console-en.png", "team.png"))


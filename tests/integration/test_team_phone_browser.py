"""The team page on a phone in headless Chromium, against the real broker.

Offline emulation: actions made without signal are listed as not yet sent,
survive a reload, and land exactly once on `task-acks` when the signal comes
back, through several cuts and a lost answer. Geolocation emulation: the
phone's positions reach `team-status`. A new task raises an alert; the map
links carry the server's GCJ-02 / BD-09 coordinates. Screenshots go to
out/screenshots/.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from console.auth import add_token
from console.phone import nav_links
from console.server import ConsoleRunner
from core import topics
from core.records import ClockTick, DispatchEvent, HelpPointRef, TeamStatus
from core.settings import DATA_DIR, Settings
from pipeline.broker import free_port
from tests.integration.browser import chromium, keep_screenshots, require_chromium
from tests.integration.test_console_api import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.browser]

BASE = (45.767, 126.62)
TARGET = (45.7645, 126.6175)


def task_event(incident: str, at: datetime, team: str = "T-daoli-2", revision: int = 1, **over: Any) -> DispatchEvent:
    values: dict[str, Any] = {
        "event_id": f"{incident}-r{revision}", "kind": "dispatch", "incident_id": incident, "revision": revision, "priority": "P1",
        "category": "medical", "rules": ("category:medical", "night"), "zone_id": None, "key_area": "underpass",
        "lat": TARGET[0], "lon": TARGET[1], "sources": ("h-1",), "team_id": team, "ack_deadline": at + timedelta(minutes=5),
        "nearest_help_point": HelpPointRef(id="hp-1", name="求助点", distance_m=150.0, kind="help_point"), "notify": ("health",),
        "at": at, "status": "assigned", "first_report_at": at, "text": "地下通道有老人躺着，叫不醒", "persons": 1,
        "flags": ("unresponsive", "elderly"), "district": "daoli", "action": "escort to a medical institution; notify health",
    }
    values.update(over)
    return DispatchEvent(**values)


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def test_team_phone_offline_geolocation_alert_and_links(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    require_chromium()
    from playwright.async_api import Route

    policy = tmp_path / "policy.toml"
    policy.write_text((DATA_DIR / "policy.toml").read_text(encoding="utf-8").replace("position_every_s = 30", "position_every_s = 5"), encoding="utf-8")
    tokens_file = tmp_path / "tokens.json"
    crew = add_token(tokens_file, "team", team_id="T-daoli-2", name="道里医疗车组")
    port = free_port()
    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, tokens_file=tokens_file, console_port=port, policy_file=policy)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    # The phone's clock and geolocation are the wall clock: the console's event time must agree.
    now = datetime.now(UTC).replace(microsecond=0)

    async def main() -> None:
        runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port)
        await runner.start()
        producer = AIOKafkaProducer(bootstrap_servers=broker)
        await producer.start()

        async def send(topic: str, record: Any) -> None:
            await producer.send_and_wait(settings.topic(topic), value=record.to_json())

        try:
            await send(topics.TEAM_STATUS, TeamStatus(team_id="T-daoli-2", at=now - timedelta(minutes=2), status="available", lat=BASE[0], lon=BASE[1]))
            await send(topics.DISPATCH, task_event("inc-7a1c", now - timedelta(seconds=30)))
            await send(topics.CLOCK, ClockTick(at=now))
            state = runner.service.state
            deadline = time.monotonic() + 20
            while state.now != now or not runner.service.phones.caught_up.is_set():
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)

            async with chromium(tmp_path / "chromium-profile", port, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, geolocation={"latitude": BASE[0], "longitude": BASE[1], "accuracy": 12}, permissions=["geolocation"]) as browser:
                page = browser.page
                page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
                await page.goto(f"http://127.0.0.1:{port}/team#token={crew}")
                card = '.team-card[data-incident="inc-7a1c"]'
                await page.wait_for_selector(card, timeout=15000)

                # a task the phone had not seen: visible alert with sound and vibration, dismissable
                await page.wait_for_selector("#alert:not(.hidden)", timeout=5000)
                assert "新任务" in (await page.text_content("#alert-text") or "")
                last = await page.evaluate("JSON.parse(document.body.dataset.lastAlert)")
                assert last["key"] == "new_task" and last["incident"] == "inc-7a1c" and last["sounded"] is True
                # the action text in Chinese (from the policy's action_zh), large countdown
                assert await page.text_content(f"{card} .action-text") == "护送至医疗机构；通知卫健部门"
                assert (await page.locator(f"{card} .countdown .big").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 40
                await page.screenshot(path=str(shots / "team-alert.png"))
                await page.click("#alert-dismiss")
                assert await page.locator("#alert").is_hidden()

                # navigation links carry the server's converted coordinates
                expected = nav_links(*TARGET, "inc-7a1c")
                hrefs = {app: await page.get_attribute(f'{card} a.nav-{app}[data-for="target"]', "href") for app in ("amap", "baidu", "tencent", "geo")}
                assert hrefs == {app: expected[app] for app in hrefs}
                glat, glon = expected["gcj02"]
                blat, blon = expected["bd09"]
                assert f"to={glon},{glat}," in hrefs["amap"] and f"latlng:{blat},{blon}" in hrefs["baidu"] and f"tocoord={glat},{glon}" in hrefs["tencent"]
                assert await page.locator(f'{card} a.nav-amap[data-for="destination"]').count() == 1  # the nearest hospital
                # touch targets for gloves: every button and link at least 48 px high
                small = await page.eval_on_selector_all(f"{card} button, {card} a.nav, #statuses button",
                                                        "els => els.filter(e => e.getBoundingClientRect().height < 48).length")
                assert small == 0
                # the map: the city's own layers on a canvas, the target in red
                red = await page.evaluate("""() => { const c = document.getElementById('task-map');
                    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                    for (let i = 0; i < d.length; i += 4) if (d[i] > 240 && d[i+1] < 100 && d[i+2] < 100) n++; return n; }""")
                assert red > 50
                await page.locator("#map-box").screenshot(path=str(shots / "team-map.png"))

                # a second task arrives live over the stream (no reload): alert again, with sound now that
                # the team has touched the screen (browsers start audio only after a gesture)
                await page.evaluate("window.__noReload = 1")
                await send(topics.DISPATCH, task_event("inc-b2e9", now, priority="P2", category="guidance", lat=45.7701, lon=126.6102,
                                                       action="persuade to go to the nearest help point or station"))
                await page.wait_for_selector('.team-card[data-incident="inc-b2e9"]', timeout=10000)
                await page.wait_for_selector("#alert:not(.hidden)", timeout=5000)
                last = await page.evaluate("JSON.parse(document.body.dataset.lastAlert)")
                assert (last["key"], last["incident"], last["audio"]) == ("new_task", "inc-b2e9", "running")
                assert await page.evaluate("[window.__noReload, document.body.dataset.alerts]") == [1, "2"]
                await page.click("#alert-dismiss")

                # geolocation: consent, then positions on team-status at the policy's interval
                await page.click("#share")
                await wait_until(lambda: _count(broker, settings, topics.TEAM_STATUS, 2), "first fix on team-status")
                moved = (BASE[0] + 0.0004, BASE[1] + 0.0003)  # about 50 m: a walk, not a jump
                await browser.context.set_geolocation({"latitude": moved[0], "longitude": moved[1], "accuracy": 15})
                await wait_until(lambda: _count(broker, settings, topics.TEAM_STATUS, 3), "second fix on team-status")
                fixes = [s for s in await read_topic(broker, settings, topics.TEAM_STATUS, expect=3) if s.get("accuracy_m") is not None]
                assert [(round(s["lat"], 4), round(s["lon"], 4), s["accuracy_m"]) for s in fixes] == [
                    (BASE[0], BASE[1], 12.0), (round(moved[0], 4), round(moved[1], 4), 15.0)]
                assert all(abs(datetime.fromisoformat(s["at"]) - now) < timedelta(minutes=5) for s in fixes)
                assert "位置已发送" in (await page.text_content("#position-note") or "")

                # the service worker keeps the page, its scripts and the city map
                await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
                await wait_until(lambda: page.evaluate("caches.open('patrol-team-v1').then(c => c.keys()).then(k => k.length >= 6)"), "service worker cache")
                cached = await page.evaluate("caches.open('patrol-team-v1').then(c => c.keys()).then(k => k.map(r => new URL(r.url).pathname).sort())")
                assert {"/team", "/static/team.js", "/static/team-map.js", "/static/i18n.js", "/static/style.css", "/api/city"} <= set(cached)

                # cut 1: accept without signal -> listed as not yet sent, nothing on task-acks
                await browser.context.set_offline(True)
                await page.click(f'{card} button[data-ack="accepted"]')
                await page.wait_for_selector("#outbox:not(.hidden) li.pending", timeout=5000)
                assert "未发送" in (await page.text_content("#outbox h2") or "")
                await page.click('#statuses button[data-status="en_route"]')
                assert await page.locator("#outbox li.pending").count() == 2
                await page.screenshot(path=str(shots / "team-offline.png"))
                await asyncio.sleep(3)
                assert await read_topic(broker, settings, topics.TASK_ACKS, expect=0, settle_s=0.5) == []
                await browser.context.set_offline(False)
                await page.wait_for_selector("#outbox.hidden", state="attached", timeout=30000)

                # cut 2: on scene, then the page is reloaded without signal: the outbox survives
                await browser.context.set_offline(True)
                await page.click(f'{card} button[data-ack="on_scene"]')
                await page.reload()
                await page.wait_for_selector("#outbox:not(.hidden) li.pending", timeout=15000)
                assert await page.locator("#outbox li.pending").count() == 1
                await page.wait_for_selector(card, timeout=5000)  # last tasks from the phone's storage
                await browser.context.set_offline(False)
                await page.wait_for_selector("#outbox.hidden", state="attached", timeout=30000)

                # cut 3: the answer to a resolve is lost (written, but the phone never hears): resent, applied once
                lost: list[str] = []

                async def lose_first_answer(route: Route) -> None:
                    if not lost:
                        await route.fetch()  # reaches the console, which writes it
                        lost.append(route.request.url)
                        await route.abort("internetdisconnected")
                    else:
                        await route.continue_()

                await browser.context.route("**/api/team/acks", lose_first_answer)
                await page.select_option("#outcome-inc-7a1c", "taken_to_hospital")
                await page.click(f'{card} button[data-ack="resolved"]')
                await page.wait_for_selector("#outbox.hidden", state="attached", timeout=30000)
                await browser.context.unroute("**/api/team/acks")
                assert lost

                # cut 4: while the phone had no signal the other task went to another team; the queued
                # accept is refused when the signal returns, shown in the page's language, not retried
                other = '.team-card[data-incident="inc-b2e9"]'
                await browser.context.set_offline(True)
                await page.click(f'{other} button[data-ack="accepted"]')
                await send(topics.DISPATCH, task_event("inc-b2e9", now, team="T-daoli-1", revision=2, kind="escalation", priority="P2",
                                                       category="guidance", lat=45.7701, lon=126.6102))
                await wait_until(lambda: _holder(runner, "inc-b2e9", "T-daoli-1"), "reassignment seen by the console")
                await browser.context.set_offline(False)
                await page.wait_for_selector("#outbox li.refused", timeout=30000)
                assert "该任务已不属于本队" in (await page.text_content("#outbox li.refused") or "")
                assert await page.locator("#outbox li.pending").count() == 0
                await page.wait_for_selector(other, state="detached", timeout=30000)
                assert await page.evaluate("JSON.parse(document.body.dataset.lastAlert).key") == "task_withdrawn"

                acks = await read_topic(broker, settings, topics.TASK_ACKS, expect=3)
                assert [(a["status"], a["team_id"], a.get("outcome")) for a in acks] == [
                    ("accepted", "T-daoli-2", None), ("on_scene", "T-daoli-2", None), ("resolved", "T-daoli-2", "taken_to_hospital")]
                assert len({a["client_id"] for a in acks}) == 3 and all(a["event_id"] == "inc-7a1c-r1" for a in acks)
                changes = [s for s in await read_topic(broker, settings, topics.TEAM_STATUS, expect=4) if s.get("client_id")]
                assert [(s["status"], s["team_id"]) for s in changes] == [("en_route", "T-daoli-2")]

                # English: every label, the action text too
                await page.click("#lang")
                assert await page.text_content(f"{card} .action-text") == "escort to a medical institution; notify health"
                assert await page.text_content("#share") == "Stop sharing"
                assert (await page.text_content("#position-note") or "").startswith("Position sent")
                async def live() -> bool:  # polled here: the page's CSP forbids wait_for_function's string predicates (eval)
                    return await page.text_content("#net") == "live"

                await wait_until(live, "the page live again", timeout_s=20.0)
                await page.screenshot(path=str(shots / "team-en.png"), full_page=True)

                # logging out leaves none of the team's tasks on the phone: the service worker kept /api/me and the page its
                # last tasks, so without signal any token typed in opened them (what helps the person included)
                await page.click("#logout")
                await page.wait_for_selector("#login:not(.hidden)", timeout=10000)
                kept = await page.evaluate("Object.keys(localStorage).filter((k) => /^patrol[.]team[.](tasks|sweeps|seen|me)[.]/.test(k))")
                assert kept == []
                assert await page.evaluate("caches.open('patrol-team-v1').then((c) => c.match('/api/me')).then((hit) => hit === undefined)")
                await browser.context.set_offline(True)
                await page.fill("#token", "anyone.at-all")
                await page.click("#login-form button[type=submit]")
                async def refused() -> bool:
                    return bool(await page.text_content("#login-error"))

                await wait_until(refused, "a sign-in error", timeout_s=10.0)
                assert await page.locator(card).count() == 0 and not await page.is_visible("#login.hidden")
                await browser.context.set_offline(False)
                browser.assert_clean()
        finally:
            await producer.stop()
            await runner.stop()

    asyncio.run(main())
    keep_screenshots(shots, ("team-alert.png", "team-offline.png", "team-map.png", "team-en.png"))


async def _holder(runner: ConsoleRunner, incident: str, team: str) -> bool:
    view = runner.service.state.incidents.get(incident)
    return view is not None and view.latest.team_id == team


async def _count(broker: str, settings: Settings, topic: str, expect: int) -> bool:
    return len(await read_topic(broker, settings, topic, expect=expect, settle_s=0.0)) >= expect

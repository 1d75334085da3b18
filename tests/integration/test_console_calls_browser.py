"""Call-taking, operators in control and the needs-attention queue in real Chromium, with a real worker on the real broker.

A call walks from the form (gazetteer suggestion, preview) to a dispatched
incident and its partner notice; the operator overrides the team from the
ETA shortlist (and is refused a team lacking the capability); the new team
acknowledges on its phone and reports what it found on scene, which the
console shows with who said it; an unreadable tip walks from the queue
(placed on the map) back into a dispatched incident.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from console.auth import add_token
from console.calls import call_desk
from console.commands import command_desk
from console.server import ConsoleRunner
from core import topics
from core.records import TeamStatus
from core.settings import PROJECT_ROOT
from tests.integration.browser import chromium, require_chromium
from tests.integration.test_console_calls import wait_for, with_worker

pytestmark = [pytest.mark.integration, pytest.mark.browser]
NOW = datetime.now(UTC).replace(microsecond=0)


def test_call_form_and_attention_queue_in_chromium(broker: str, tmp_path: Path) -> None:
    require_chromium()

    settings, worker, op, _ = with_worker(broker, tmp_path, "值班调度员")
    crew = add_token(settings.tokens_file, "team", team_id="T-nangang-2")
    port = settings.console_port
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async def main() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=broker)
        await producer.start()
        runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port, extensions=[call_desk(settings, broker), command_desk(settings, broker)])
        await runner.start()
        state = runner.service.state
        try:
            for team_id, lat, lon, caps in (("T-daoli-2", 45.7700, 126.6200, ("medical", "vehicle")), ("T-nangang-1", 45.7550, 126.6400, ("social_work",)),
                                            ("T-nangang-2", 45.7535, 126.6480, ("medical", "police", "vehicle"))):
                status = TeamStatus(team_id=team_id, at=NOW, status="available", lat=lat, lon=lon, capabilities=caps)
                await producer.send_and_wait(settings.topic(topics.TEAM_STATUS), status.to_json(), key=team_id.encode())
            lost = {"tip_id": "lost-1", "channel": "网格员", "reported_at": NOW.isoformat(), "address": "不存在的小巷", "text": "有人在雪地里坐着"}
            await producer.send_and_wait(settings.topic(topics.TIPS), json.dumps(lost, ensure_ascii=False).encode())
            queue = runner.extensions[0].queue  # type: ignore[attr-defined]
            await wait_for(lambda: queue.counts()["open"] == 1)

            async with chromium(tmp_path / "chromium-profile", port, viewport={"width": 1366, "height": 900}) as browser:
                page = browser.page
                await page.goto(f"http://127.0.0.1:{port}/#token={op}")
                await page.wait_for_selector("#attention-count:text('1')", timeout=20000)

                # A call: address from the gazetteer's suggestions, channel, text, flags; preview; send.
                await page.click("#new-call")
                await page.fill("#call-address", "中央")
                await page.click("#call-places li >> nth=0", timeout=10000)
                await page.select_option("#call-channel", "transfer_120")
                await page.fill("#call-text", "老人倒在地上叫不醒")
                await page.check('#call-flags input[value="elderly"]')
                await page.fill("#call-contact", "13912345678")
                await page.click("#call-check")
                await page.wait_for_selector("#preview-priority:text('P1')", timeout=10000)
                await page.screenshot(path=str(shots / "call-form.png"))
                await page.click("#call-send")
                await page.wait_for_selector("#incident-detail:not(.hidden) #detail-summary", timeout=90000)
                await page.wait_for_selector('#detail-notices li.notice[data-partner="health"]', timeout=90000)
                summary = await page.text_content("#detail-summary")
                assert summary is not None and "P1" in summary and "T-daoli-2" in summary
                await page.screenshot(path=str(shots / "call-dispatched.png"))
                called = next(v.latest for v in state.incidents.values() if v.latest.team_id == "T-daoli-2")

                # Operator override from the ETA shortlist; the desk's answer and its event come back on screen.
                await page.click('#cmd-shortlist button[data-team="T-nangang-2"]')
                await page.wait_for_selector('#detail-answers li[data-status="applied"]', timeout=60000)
                await page.wait_for_selector('#detail-summary:has-text("T-nangang-2")', timeout=30000)
                assert "operator:assign" in state.incidents[called.incident_id].latest.rules
                # A team without the medical capability: the desk refuses, the console says why.
                await page.select_option("#cmd-team", "T-nangang-1")
                await page.click("#cmd-assign")
                await page.wait_for_selector('#detail-answers li[data-status="rejected"]', timeout=60000)
                assert "medical" in (await page.text_content('#detail-answers li[data-status="rejected"]') or "")

                # The new team acknowledges on its phone, then reports what it found; the console shows who said it.
                phone = await browser.new_page()
                await phone.goto(f"http://127.0.0.1:{port}/team#token={crew}")
                card = f'.team-card[data-incident="{called.incident_id}"]'
                await phone.wait_for_selector(card, timeout=30000)
                await phone.click(f'{card} button[data-ack="accepted"]')
                await wait_for(lambda: state.incidents[called.incident_id].latest.status == "accepted")
                await phone.click(f"{card} details.on-scene summary")
                await phone.check(f'{card} input[data-flag="no_id"]')
                await phone.fill(f"{card} input.persons", "2")
                await phone.click(f"{card} button[data-assess]")
                await phone.wait_for_selector("#outbox.hidden", state="attached", timeout=30000)
                await wait_for(lambda: "no_id" in state.incidents[called.incident_id].latest.flags)
                await phone.screenshot(path=str(shots / "team-on-scene.png"))
                await phone.close()
                await page.wait_for_selector('#detail-history li:has-text("+no_id")', timeout=30000)
                assert "T-nangang-2" in (await page.text_content('#detail-history li:has-text("+no_id")') or "")
                assert state.incidents[called.incident_id].latest.persons == 2
                await page.wait_for_selector('#detail-history li:has-text("accepted by")', timeout=10000)
                await page.screenshot(path=str(shots / "operator-control.png"))
                await page.evaluate("document.getElementById('incident-detail').style.maxHeight = 'none'")
                await page.locator("#incident-detail").screenshot(path=str(shots / "operator-panel.png"))
                await page.evaluate("document.getElementById('incident-detail').style.maxHeight = ''")

                # The unreadable tip: correct it by placing it on the map, then it is dispatched.
                await page.click('.tab[data-tab="attention"]')
                item = page.locator("#attention li.attention-item")
                assert "不存在的小巷" in (await item.text_content() or "")
                await page.screenshot(path=str(shots / "attention.png"))
                await item.locator("button.correct").click()
                assert await page.input_value("#call-address") == "不存在的小巷"
                assert await page.input_value("#call-channel") == "grid_worker"
                await page.fill("#call-address", "")
                await page.click("#call-pick")
                box = await page.locator("#map").bounding_box()
                assert box is not None
                await page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
                await page.wait_for_selector("#preview-priority", timeout=10000)
                await page.click("#call-send")
                await page.wait_for_timeout(2000)
                assert await page.text_content("#call-error") in ("", None), await page.text_content("#call-error")
                await page.wait_for_selector("#attention-count:text('0')", timeout=20000)
                await page.wait_for_selector("#detail-summary", timeout=90000)
                await wait_for(lambda: any(s.endswith("-fix") for v in state.incidents.values() for s in v.latest.sources))
                fixed = next(v.latest for v in state.incidents.values() if any(s.endswith("-fix") for s in v.latest.sources))
                await page.wait_for_selector(f'#incident-detail h2:has-text("{fixed.incident_id}")', timeout=30000)
                assert fixed.team_id is not None and fixed.channels == ("grid_worker",)
                browser.assert_clean()
        finally:
            await runner.stop()
            await producer.stop()

    try:
        asyncio.run(main())
    finally:
        worker.stop()
    out = PROJECT_ROOT / "out" / "screenshots"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in ("call-form.png", "call-dispatched.png", "operator-control.png", "operator-panel.png", "team-on-scene.png", "attention.png"):
            shutil.copy(shots / name, out / name)
    except OSError:
        pass

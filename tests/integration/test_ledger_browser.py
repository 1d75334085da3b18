"""The person-ledger page in Debian's Chromium: escalations, a suggestion linked by a click, the sweep list, a file;
then the team's phone: the task shows the person's file, and the sweep sent to it is reported found."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from agents.ledger import run_ledger
from console.auth import add_token
from core.settings import PROJECT_ROOT, Settings
from ledger.store import Store
from tests.integration.browser import chromium, require_chromium
from tests.integration.test_ledger_console import ledger_console, seed
from tests.policies import ledger_policy

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def until(read: Callable[[], Awaitable[Any]], want: Any, *, contains: bool = False, timeout_s: float = 30.0) -> None:
    """Poll the page (the CSP forbids the string predicates of wait_for_function)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = await read()
        if (want in got) if contains else (got == want):
            return
        assert time.monotonic() < deadline, f"page shows {got!r}, waited for {want!r}"
        await asyncio.sleep(0.1)


def test_ledger_page_in_chromium(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    require_chromium()

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    person_a, _ = seed(url)
    tokens_file = tmp_path / "tokens.json"
    sup = add_token(tokens_file, "supervisor", name="值班主管")
    crew = add_token(tokens_file, "team", team_id="T-daoli-1", name="道里一队")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async def main() -> None:
        async with ledger_console(broker, topic_prefix, tokens_file, url) as port:
            async with chromium(tmp_path / "chromium-profile", port, viewport={"width": 1366, "height": 900}) as browser:
                page = browser.page
                await page.goto(f"http://127.0.0.1:{port}/ledger#token={sup}")
                await page.wait_for_selector("#escalations tbody tr", timeout=30000)
                assert person_a in await page.inner_text("#escalations")
                await page.fill("#incident-id", "inc-new")
                await page.click("#incident-form button")
                await page.wait_for_selector("#incident .person button", timeout=30000)
                assert f"likely: {person_a}" in await page.inner_text("#incident")
                await page.click("#incident .person button")
                await until(lambda: page.locator("#incident .person button").count(), 0)
                await page.fill("#sweep-date", "2026-12-20")
                await page.select_option("#sweep-level", "red")
                await page.click("#sweep-form button")
                await page.wait_for_selector("#sweep tbody tr", timeout=30000)
                assert person_a in await page.inner_text("#sweep tbody tr:first-child")
                await page.fill("#sweep tbody tr:first-child input", "T-daoli-1")
                await page.click("#sweep tbody tr:first-child button")
                await until(lambda: page.inner_text("#sweep tbody tr:first-child button"), "已派", contains=True)
                await page.fill("#person-id", person_a)
                await page.click("#file-form button")
                await until(lambda: page.inner_text("#file"), "contacts", contains=True)
                assert "张**" in await page.inner_text("#file") and "13812345678" not in await page.inner_text("#file")
                await page.screenshot(path=str(shots / "ledger.png"), full_page=True)
                # The feeder reads the night and tells the team; the team's phone shows the file on its task.
                store = Store.open(url, ledger_policy())
                try:
                    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, database_url=url)
                    await asyncio.wait_for(run_ledger(settings, broker, store, until_caught_up=True), 120)
                finally:
                    store.close()
                phone = await browser.new_page()
                await phone.set_viewport_size({"width": 412, "height": 900})
                await phone.goto(f"http://127.0.0.1:{port}/team#token={crew}")
                await phone.wait_for_selector(f'#tasks .known[data-person="{person_a}"]', timeout=30000)
                known = await phone.inner_text("#tasks .known")
                assert "已建档" in known and "diabetic" in known and "13812345678" not in known and "张" not in known
                # The sweep the supervisor sent: accepted, then "found someone" with a note, through the outbox.
                await phone.wait_for_selector("#sweep-list article", timeout=30000)
                await phone.click('#sweep-list [data-sweep="accepted"]')
                await until(lambda: phone.inner_text("#sweep-list"), "已接受", contains=True)
                await phone.fill("#sweep-list input", "见到老人，送了热汤")
                await phone.click('#sweep-list [data-sweep="found"]')
                await until(lambda: phone.locator("#sweep-list article").count(), 0)
                await phone.screenshot(path=str(shots / "team-ledger.png"), full_page=True)
                browser.assert_clean()

    asyncio.run(main())
    store = Store.open(url, ledger_policy())
    try:
        assert store.persons_of("inc-new") == [person_a]  # the click linked the incident
        # The list sent a place to a team, whose phone reported it swept.
        assert [(t["team_id"], t["status"], t["result"], t["note"]) for t in store.sweep_tasks(None, None)] == [("T-daoli-1", "done", "found", "见到老人，送了热汤")]
    finally:
        store.close()
    out = PROJECT_ROOT / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(shots / "ledger.png", out / "ledger.png")
    shutil.copy(shots / "team-ledger.png", out / "team-ledger.png")

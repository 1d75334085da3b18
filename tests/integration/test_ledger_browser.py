"""The person-ledger page in Debian's Chromium: escalations, a suggestion linked by a click, the sweep list, a file."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from console.auth import add_token
from core.settings import DATA_DIR, PROJECT_ROOT
from ledger.policy import load_ledger_policy
from ledger.store import Store
from tests.integration.test_console_browser import CHROMIUM, CHROMIUM_ARGS
from tests.integration.test_ledger_console import ledger_console, seed

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
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    from playwright.async_api import async_playwright

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    person_a, _ = seed(url)
    tokens_file = tmp_path / "tokens.json"
    sup = add_token(tokens_file, "supervisor", name="值班主管")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    async def main() -> None:
        async with ledger_console(broker, topic_prefix, tokens_file, url) as port:
            async with async_playwright() as pw:
                context = await pw.chromium.launch_persistent_context(
                    str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                    viewport={"width": 1366, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai",
                )
                try:
                    page = context.pages[0] if context.pages else await context.new_page()
                    errors: list[str] = []
                    page.on("pageerror", lambda exc: errors.append(str(exc)))
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
                    assert errors == []
                finally:
                    await context.close()

    asyncio.run(main())
    store = Store.open(url, load_ledger_policy(DATA_DIR / "ledger.toml"))
    try:
        assert store.persons_of("inc-new") == [person_a]  # the click linked the incident
        assert [t["team_id"] for t in store.sweep_tasks()] == ["T-daoli-1"]  # and the list sent a place to a team
    finally:
        store.close()
    out = PROJECT_ROOT / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(shots / "ledger.png", out / "ledger.png")

"""Headless Chromium for the browser tests: Debian's binary driven by Playwright, every page watched.

The tests fail, not skip, when the browser is missing, because the setup
installs it. Each page's script errors and any request that leaves the
console's own address are recorded; `Browser.assert_clean` checks both.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")


@dataclass
class Browser:
    """One browser context on the console at `port`: its first page, and what every page did wrong."""

    context: Any
    port: int
    page: Any = None
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", lambda req: None if req.url.startswith(f"http://127.0.0.1:{self.port}/") else self.external.append(req.url))
        return page

    async def new_page(self) -> Any:
        return self.watch(await self.context.new_page())

    def assert_clean(self) -> None:
        assert self.external == [], f"page loaded external resources: {self.external}"
        assert self.errors == [], f"page errors: {self.errors}"


@asynccontextmanager
async def chromium(profile: Path, port: int, **options: Any) -> AsyncIterator[Browser]:
    """A persistent Chromium context (Chinese locale, China's time zone unless `options` say otherwise)."""
    from playwright.async_api import async_playwright

    options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", **options}
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True,
                                                              args=CHROMIUM_ARGS, **options)
        try:
            browser = Browser(context, port)
            browser.page = browser.watch(context.pages[0] if context.pages else await context.new_page())
            yield browser
        finally:
            await context.close()


def keep_screenshots(shots: Path, names: tuple[str, ...]) -> None:
    """Copy a test's screenshots to out/screenshots/ (the README's pictures come from there)."""
    out = PROJECT_ROOT / "out" / "screenshots"
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(shots / name, out / name)
    except OSError:
        pass  # read-only checkout: the tmp copy is enough

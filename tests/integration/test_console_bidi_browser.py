"""Someone's text holding bidirectional controls, shown in real Chromium on the console and the team phone.

A right-to-left override (U+202E) or an isolate (U+2066..2069) in a failed tip's text, or in what the person
ledger knows of someone, is shown as its code point, and every text field is isolated from the page text around it:
the override reversed the rest of the line, the fields beside it included. The app runs without a broker (its
records are folded here), so only the pages are under test.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from console.auth import TokenStore, add_token
from console.calls import CallDesk
from console.commands import CommandDesk
from console.kafka_io import ListPublisher
from console.outbox import ListOutbox
from console.server import ConsoleService, build_app
from console.state import ConsoleState
from core import topics
from core.records import DeadLetter, TaskHint
from core.settings import DATA_DIR
from rules.context import load_context
from tests.integration.browser import chromium, require_chromium
from tests.unit.console.test_state import T0, event

pytestmark = [pytest.mark.integration, pytest.mark.browser]
CITY = DATA_DIR / "cities" / "harbin"
RLO, LRI, PDI, ZWSP = "\u202e", "\u2066", "\u2069", "\u200b"


def test_bidi_controls_in_someone_s_text_are_shown_and_reorder_nothing_around_them(tmp_path: Path) -> None:
    require_chromium()
    tokens = tmp_path / "tokens.json"
    op = add_token(tokens, "operator", token_id="op")
    crew = add_token(tokens, "team", team_id="T-daoli-1")
    ctx = load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", CITY)
    state = ConsoleState(ctx.city.teams)
    state.apply_dispatch(event("inc-b", text=f"有人{RLO}躺在路边"))
    state.apply_hint(TaskHint(hint_id="h-1", team_id="T-daoli-1", incident_id="inc-b", task_event_id="inc-b-r1", person_id="P-1", linked=True,
                              at=T0, score=None, usual="",
                              sex="male", age_group="elderly", appearance=f"蓝{LRI}外套", what_helps=(f"热水{RLO}12",)))
    service = ConsoleService(state, ListPublisher(), TokenStore(tokens), CITY)
    app = build_app(service)
    calls = CallDesk(ctx=ctx, outbox=ListOutbox())
    calls.add_routes(app)
    CommandDesk(ctx=ctx, outbox=ListOutbox()).add_routes(app)
    tip = {"tip_id": "t-1", "channel": "hotline", "address": f"中央大街{RLO}号1", "text": f"a{ZWSP}b{PDI}"}
    calls.ingest(topics.DEAD_LETTERS, DeadLetter(topic="tips", reason="address not found", payload=json.dumps(tip, ensure_ascii=False),
                                                 error="unknown_address", offset=1, event_id="dl-1").to_dict())

    async def main() -> tuple[str, str, list[str], set[str]]:
        async with TestServer(app, port=0) as server, chromium(tmp_path / "profile", server.port) as browser:
            page = browser.page
            await page.goto(f"http://127.0.0.1:{server.port}/#token={op}")
            await page.wait_for_selector('#attention li.attention-item[data-letter="dl-1"] pre', state="attached", timeout=20000)
            payload = await page.text_content('#attention li.attention-item[data-letter="dl-1"] pre') or ""
            phone = await browser.new_page()
            await phone.goto(f"http://127.0.0.1:{server.port}/team#token={crew}")
            card = '.team-card[data-incident="inc-b"]'
            await phone.wait_for_selector(card, timeout=20000)
            card_text = await phone.text_content(card) or ""
            helps = await phone.eval_on_selector_all(f"{card} .known li", "(els) => els.map((e) => e.textContent)")
            isolated = set(await phone.eval_on_selector_all(f"{card} dd, {card} li, {card} p, {card} h3",
                                                           "(els) => els.map((e) => getComputedStyle(e).unicodeBidi)"))
            isolated |= set(await page.eval_on_selector_all("#attention li, #attention pre, #attention div",
                                                            "(els) => els.map((e) => getComputedStyle(e).unicodeBidi)"))
            browser.assert_clean()
            return payload, card_text, helps, isolated

    payload, card_text, helps, isolated = asyncio.run(main())
    shown: Any = (payload, card_text, *helps)
    assert not any(ch in text for text in shown for ch in (RLO, LRI, PDI, ZWSP))
    assert "中央大街⟨U+202E⟩号1" in payload and "a⟨U+200B⟩b⟨U+2069⟩" in payload
    assert "有人⟨U+202E⟩躺在路边" in card_text and "蓝⟨U+2066⟩外套" in card_text
    assert helps == ["热水⟨U+202E⟩12"]
    assert isolated == {"isolate"}

"""A drill whose teams use the phones' path (the console's team API) decides exactly as the direct one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cli.phones import console_phones
from core.settings import Settings
from drill.runner import run_drill
from rules.context import Context, province_from_settings


def _events(folder: Path) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    return [e for e in events if e.get("kind") != "dead_letter"]


def _decisions(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["event_id"], e["kind"], e["team_id"], e["status"], e["priority"], e["ack_deadline"] is not None) for e in events]


def test_drill_through_the_team_api_matches_the_direct_drill(broker: str, ctx: Context, tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), broker=broker)
    direct, phones = tmp_path / "direct", tmp_path / "phones"
    assert run_drill(settings, ctx, scenario="short", seed=3, report=direct, progress=False) == 0
    assert run_drill(settings, ctx, scenario="short", seed=3, report=phones, progress=False, phones=console_phones) == 0

    scores = json.loads((phones / "scores.json").read_text(encoding="utf-8"))
    api = scores["phones"]
    assert api["refused"] == {} and api["repeats"] == 0, api
    assert api["sent"]["task-acks"] >= 3 * scores["persons_reached"] - 3 and api["sent"]["team-status"] > 10
    assert scores["accounting"]["lost"] == 0
    on_phones, on_direct = _events(phones), _events(direct)
    assert _decisions(on_phones) == _decisions(on_direct)
    # An ack's time through the API is capped at the console's clock (the last tick), so events
    # made by acks may be stamped up to one simulated minute earlier (one tick exactly when the ack
    # came at the next tick's time, before the console read that tick); nothing else moves.
    for a, b in zip(on_phones, on_direct, strict=True):
        shift = datetime.fromisoformat(b["at"]) - datetime.fromisoformat(a["at"])
        assert timedelta(0) <= shift <= timedelta(minutes=1), (a["event_id"], a["at"], b["at"])
    reasons = [json.loads(line).get("reason") or "" for line in (phones / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(r.startswith("accepted by drill T-") for r in reasons)  # the token's name: the ack came through the API


def test_two_cities_teams_act_on_their_own_phones(broker: str, tmp_path: Path) -> None:
    settings = replace(Settings.from_env({}), broker=broker, cities="harbin,qiqihar")
    province = province_from_settings(settings)
    assert run_drill(settings, province.centres, scenario="short", seed=3, report=tmp_path, progress=False, phones=console_phones) == 0
    combined = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    assert combined["incidents_crossing_centres"] == []
    for centre, ctx in province.centres.items():
        scores = combined["centres"][centre]
        assert scores["accounting"]["lost"] == 0, (centre, scores["accounting"]["lost_items"])
        api = scores["phones"]
        assert api["refused"] == {} and api["repeats"] == 0, api
        assert api["sent"]["task-acks"] >= 3 and api["sent"]["team-status"] > 10
        events = _events(tmp_path / centre)
        accepted = {str(e["reason"]).removeprefix("accepted by drill ") for e in events if str(e.get("reason") or "").startswith("accepted by drill ")}
        assert accepted and accepted <= {t.team_id for t in ctx.city.teams}, f"{centre}: {sorted(accepted)}"  # through the API, by its own teams
        assert {e.get("centre") for e in events} == {centre}

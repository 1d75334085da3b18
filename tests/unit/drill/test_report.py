"""The drill report: files written, the page shows the scores and references its PNGs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from core.settings import PROJECT_ROOT
from drill.report import write_report
from drill.scoring import score
from geo.city import load_city
from simulators.scenario import load_scenario
from simulators.world import DrillWorld

ROOT = PROJECT_ROOT


def test_report_files_written_and_referenced(tmp_path: Path) -> None:
    city = load_city(ROOT / "data" / "cities" / "harbin")
    scenario = load_scenario("default")
    scenario = replace(scenario, cameras=replace(scenario.cameras, mode="detections"))
    world = DrillWorld(scenario, city, seed=2)
    inputs = world.inputs_until(world.start + timedelta(hours=3))
    tips = [i for i in inputs if i.topic == "tips"][:3]
    outputs = []
    for n, item in enumerate(tips):
        tid = item.key or ""
        outputs.append({"event_id": f"i{n}:d", "kind": "dispatch", "incident_id": f"i{n}", "at": (item.at + timedelta(minutes=1)).isoformat(),
                        "sources": [tid], "category": "guidance", "priority": ("P1", "P2", "P3")[n], "team_id": world.map.teams[0].team_id,
                        "lat": 45.76, "lon": 126.63})
    world.observe(outputs, world.start + timedelta(hours=3))
    inputs += world.inputs_until(world.end)
    truth = world.truth()
    scores = score(truth, outputs, [], inputs, [5.0, 8.0, 13.0])
    index = write_report(tmp_path / "report", scores, truth, outputs, city)
    assert index == tmp_path / "report" / "index.html"
    page = index.read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)"', page)
    assert set(images) == {"map.png", "timeline.png", "latency.png"}
    for name in images:
        data = (tmp_path / "report" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert "category accuracy" in page and "Category confusion" in page
    assert "seed 2" in page


def test_a_scenario_or_team_name_matplotlib_would_read_as_tex_is_drawn_as_written(tmp_path: Path) -> None:
    # Tenth attack audit (session 26): a scenario named "Night $\foo{$" ran the whole night, then lost its report to
    # matplotlib's mathtext (ValueError: Unknown symbol) while the map's title was drawn
    city = load_city(ROOT / "data" / "cities" / "harbin")
    scenario = load_scenario("short")
    scenario = replace(scenario, name="Night $\\foo{$ 1", cameras=replace(scenario.cameras, mode="detections"))
    world = DrillWorld(scenario, city, seed=2)
    inputs = world.inputs_until(world.end)
    truth = world.truth()
    truth["teams"] = {"T-$\\bar{$": next(iter(truth["teams"].values()))}
    index = write_report(tmp_path / "report", score(truth, [], [], inputs, [5.0]), truth, [], city)
    assert "Night $\\foo{$ 1" in index.read_text(encoding="utf-8")
    assert (tmp_path / "report" / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

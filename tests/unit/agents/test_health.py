"""The worker's health page: dead and stalled agents make it unhealthy (no broker)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from agents.common import AgentStats
from agents.health import DEATHS, agent_report, exit_on_agent_death


def test_running_agents_are_healthy_even_when_idle_without_input() -> None:
    stats = {"desk": AgentStats(processed=5, last_progress=0.0), "intake": AgentStats(last_progress=0.0)}
    report = agent_report(stats, {"desk": 0, "intake": 0}, {}, now=10_000.0, stalled_after_s=60)
    assert report["ok"] is True
    assert {n: a["status"] for n, a in report["agents"].items()} == {"desk": "running", "intake": "running"}


def test_an_agent_with_a_backlog_that_stopped_moving_is_stalled() -> None:
    stats = {"desk": AgentStats(processed=5, last_progress=0.0), "intake": AgentStats(last_progress=990.0)}
    report = agent_report(stats, {"desk": 7, "intake": 3}, {}, now=1000.0, stalled_after_s=60)
    assert report["ok"] is False
    assert report["agents"]["desk"]["status"] == "stalled" and report["agents"]["desk"]["lag"] == 7
    assert report["agents"]["intake"]["status"] == "running"


def test_a_dead_agent_is_reported_with_its_error() -> None:
    report = agent_report({"desk": AgentStats(last_progress=0.0)}, {}, {"desk": "PartitionsMismatch: 4 != 1"}, now=1.0)
    assert report["ok"] is False
    assert report["agents"]["desk"] == {**report["agents"]["desk"], "status": "dead", "error": "PartitionsMismatch: 4 != 1"}


def test_an_agent_error_stops_the_worker() -> None:
    agent = SimpleNamespace(name="desk-test", _on_error=None)
    app = SimpleNamespace(agents={"desk-test": agent})
    stopped: list[bool] = []
    exit_on_agent_death(app, stop=lambda: stopped.append(True))
    asyncio.run(agent._on_error(agent, RuntimeError("table write failed")))
    assert stopped == [True]
    assert DEATHS.pop("desk-test") == "RuntimeError: table write failed"

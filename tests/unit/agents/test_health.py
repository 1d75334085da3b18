"""The worker's health page: dead and stalled agents make it unhealthy (no broker)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka.structs import TopicPartition

from agents.common import AgentStats
from agents.health import DEATHS, agent_report, consumer_lags, exit_on_agent_death


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


def test_lag_is_what_each_agent_has_not_committed_on_its_own_partitions() -> None:
    reports, tips0, tips1, frames = (TopicPartition(t, p) for t, p in (("reports", 0), ("tips", 0), ("tips", 1), ("frames", 0)))
    high = {reports: 10, tips0: 5, tips1: 7, frames: 3}
    consumer = SimpleNamespace(
        assignment=lambda: {reports, tips0, tips1, frames},
        highwater=lambda t: high[t] if t is not frames else (_ for _ in ()).throw(KeyError(t)),  # not fetched yet
        _committed_offset={reports: 8, tips0: 5, tips1: None},
    )
    agents = {
        "desk": SimpleNamespace(name="desk", channel=SimpleNamespace(topics=("reports", "clock"))),
        "intake": SimpleNamespace(name="intake", channel=SimpleNamespace(topics=("tips",))),
        "thermal": SimpleNamespace(name="thermal", channel=SimpleNamespace(topics=("frames",))),
    }
    lags = consumer_lags(SimpleNamespace(consumer=consumer, agents=agents))
    assert lags == {"desk": 2, "intake": 7, "thermal": 0}

"""Liveness: every agent's progress, lag and death, and a worker that does not outlive its agents.

faust-streaming can lose an agent to an exception while the worker stays up
(issues 175, 640): Faust logs it, restarts the actor on a stream that may no
longer deliver, and the process keeps answering. Our agents catch per
record, but a failure outside a record (a table write, the broker) still
ends the agent. So a dead agent takes the worker down with a non-zero exit
(a supervisor restarts it and the restart recovers from the committed
offsets and the changelog), and `/healthz` answers 503 for a dead agent or
one that has input waiting and has not moved for `stalled_after_s`.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agents.common import STATS, AgentStats

log = logging.getLogger("patrol.health")

STALLED_AFTER_S = 120.0
# Exit status of a worker stopped because one of its agents died.
EXIT_AGENT_DIED = 3
# Agent name -> why it died; read by `/healthz` and by the CLI for the exit status.
DEATHS: dict[str, str] = {}


def agent_report(
    stats: Mapping[str, AgentStats],
    lags: Mapping[str, int],
    deaths: Mapping[str, str],
    now: float,
    stalled_after_s: float = STALLED_AFTER_S,
) -> dict[str, Any]:
    """The health page's body: `ok` is false when an agent died or has a backlog and stopped moving."""
    agents: dict[str, dict[str, Any]] = {}
    ok = True
    for name in sorted(set(stats) | set(lags) | set(deaths)):
        s = stats.get(name, AgentStats(last_progress=now))
        idle = now - s.last_progress
        lag = lags.get(name)
        if name in deaths:
            status = "dead"
        elif lag and idle > stalled_after_s:
            status = "stalled"
        else:
            status = "running"
        ok = ok and status == "running"
        agents[name] = {
            "status": status,
            "processed": s.processed,
            "dead_letters": s.dead_letters,
            "lag": lag,
            "idle_s": round(idle, 1),
            **({"error": deaths[name]} if name in deaths else {}),
        }
    return {"ok": ok, "agents": agents, "stalled_after_s": stalled_after_s}


def _agent_topics(agent: Any) -> Iterable[str]:
    return tuple(getattr(agent.channel, "topics", ()) or ())


def consumer_lags(app: Any) -> dict[str, int]:
    """Records on each agent's assigned partitions that the worker has not committed yet."""
    consumer = app.consumer
    assigned = consumer.assignment()
    committed = getattr(consumer, "_committed_offset", {})
    lags: dict[str, int] = {}
    for agent in app.agents.values():
        topics = set(_agent_topics(agent))
        total = 0
        for tp in assigned:
            if tp.topic not in topics:
                continue
            try:
                high = consumer.highwater(tp)
            except Exception:  # not fetched yet: unknown, not zero
                continue
            total += max(0, (high or 0) - (committed.get(tp) or 0))
        lags[agent.name] = total
    return lags


def exit_on_agent_death(app: Any, stop: Callable[[], None] | None = None) -> None:
    """Make every agent's death stop the worker (default: SIGTERM to itself, Faust's clean shutdown)."""

    async def died(agent: Any, exc: BaseException) -> None:
        DEATHS[agent.name] = f"{type(exc).__name__}: {exc}"
        log.critical("agent %s died (%s: %s); stopping the worker so that its supervisor restarts it", agent.name, type(exc).__name__, exc, exc_info=exc)
        (stop or _sigterm_self)()

    for agent in app.agents.values():
        agent._on_error = died  # the `on_error` Faust's Agent takes at construction


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def register(app: Any) -> None:
    """`/healthz` on the worker's web port, and exit on an agent's death."""
    exit_on_agent_death(app)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        try:
            lags = consumer_lags(app)
        except Exception as exc:  # consumer not started yet
            log.debug("no lag yet: %s", exc)
            lags = {}
        report = agent_report(STATS, lags, DEATHS, time.monotonic())
        return web.json(report, status=200 if report["ok"] else 503)

"""Liveness: a page that says which agents move and which have stalled.

faust-streaming can lose an agent to an exception while the worker stays up
(issues 175, 640); our agents catch per record, and this page lets a
supervisor (or the compose healthcheck) notice if one still stops.
"""

from __future__ import annotations

import time
from typing import Any

from agents.common import STATS


def health_report(stalled_after_s: float = 300.0) -> dict[str, Any]:
    now = time.monotonic()
    agents = {
        name: {
            "processed": s.processed,
            "dead_letters": s.dead_letters,
            "idle_s": round(now - s.last_progress, 1),
        }
        for name, s in sorted(STATS.items())
    }
    return {"ok": True, "agents": agents, "stalled_after_s": stalled_after_s}


def register(app: Any) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        report = health_report()
        for agent in app.agents.values():
            crashed = getattr(agent, "_crashed", None) or getattr(agent, "crashed", None)
            if crashed:
                report["ok"] = False
        return web.json(report, status=200 if report["ok"] else 503)

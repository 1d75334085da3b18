"""The console's Prometheus page, `/metrics` (no token: it names no person).

Records in and out per topic, consumer lag of the view reader, escalations
seen on `dispatch` (each event id once, however often it is redelivered),
and open incidents / queued tasks by priority with the oldest age, read from
the folded view (`console/state.py`) when the page is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from console.state import RETENTION, ConsoleState, Forgetting
from core import topics
from core.records import DispatchEvent, decoded
from pipeline.metrics import (
    CHARSET,
    CONTENT_TYPE,
    RECORDS_IN,
    LagCollector,
    OpenItem,
    QueueCollector,
    count_escalation,
    exposition,
)


class ViewMeter:
    """What the console's view reader consumed: counts, lag per partition, escalations (once per event id).

    An escalation's id is kept `retention` of event time past the latest escalation seen (a redelivery comes within
    seconds, a replay from the start comes in order): kept for the process's life, the set grew all winter.
    """

    def __init__(self, retention: timedelta = RETENTION) -> None:
        self.lag: dict[tuple[str, int], int] = {}
        self.forgetting = Forgetting(retention)
        self._escalations: dict[str, datetime] = {}  # event id -> its event time
        self._latest: datetime | None = None

    def batch(self, topic: str, partition: int, count: int, next_offset: int, highwater: int | None) -> None:
        """`count` records of `topic` (unprefixed) read, the next to read is `next_offset`."""
        RECORDS_IN.labels(topic).inc(count)
        if highwater is not None:
            self.lag[(topic, partition)] = highwater - next_offset

    def record(self, topic: str, data: Any) -> None:
        if topic != topics.DISPATCH or not isinstance(data, dict) or data.get("kind") != "escalation":
            return
        event_id = data.get("event_id")
        if not isinstance(event_id, str) or event_id in self._escalations:
            return
        try:
            event = decoded(DispatchEvent, data)
        except Exception:  # a malformed record, or one whose times the view refuses: the view skips it too
            return
        self._escalations[event_id] = event.at
        count_escalation(event)
        if self._latest is None or event.at > self._latest:
            self._latest = event.at
        if (horizon := self.forgetting.due(self._latest)) is not None:
            self._escalations = {k: at for k, at in self._escalations.items() if at >= horizon}

    def __len__(self) -> int:
        """Escalation ids held (bounded by the escalations of `retention`)."""
        return len(self._escalations)

    def lags(self) -> Iterable[tuple[str, int, int]]:
        return [(topic, partition, lag) for (topic, partition), lag in self.lag.items()]


VIEW = ViewMeter()


def console_open_items(state: ConsoleState) -> tuple[Iterable[OpenItem], datetime | None]:
    """Open incidents of the view as the queue gauges see them."""
    items = [
        OpenItem(priority=v.latest.priority, queued=v.queued, since=v.latest.first_report_at or v.latest.at)
        for v in state.incidents.values()
        if not v.closed
    ]
    return items, state.now


def register(app: web.Application, state: Callable[[], ConsoleState]) -> None:
    """Add `/metrics` to the console's application."""
    local = CollectorRegistry(auto_describe=False)
    local.register(QueueCollector(lambda: console_open_items(state())))
    local.register(LagCollector(VIEW.lags))

    async def metrics(request: web.Request) -> web.StreamResponse:
        return web.Response(body=exposition(local), content_type=CONTENT_TYPE, charset=CHARSET)

    app.router.add_get("/metrics", metrics)

"""The worker's Prometheus page: `/metrics` on the Faust web server (PATROL_WEB_PORT).

Records in are counted by a Faust sensor (every consumed message); records
out where the agents hand them to the producer (`agents.common.Outbox`, and
`agents.common.save_tables` for table changelogs, as `<table>-changelog`),
and by that sensor for what still goes through Faust's topics; dead letters
and escalations as the agents send them; the desk's batch time by the desk
agent; open incidents, queued tasks and consumer lag are read from the
worker's own state when the page is scraped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import faust
from prometheus_client import CollectorRegistry

from pipeline.metrics import (
    CHANGELOG_SUFFIX,
    CHARSET,
    CONTENT_TYPE,
    DESK_BATCH_SECONDS,
    RECORDS_IN,
    RECORDS_OUT,
    ClockCollector,
    LagCollector,
    OpenItem,
    QueueCollector,
    exposition,
    short_topic,
)
from rules.desk import Desk

# Set by the desk agent: how to reach its Desks, one per dispatch centre this worker holds.
_desk_source: list[Callable[[], Iterable[Desk]]] = []


class RecordSensor(faust.Sensor):
    """Counts records in and out per topic and remembers the last offset read per partition."""

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = prefix
        self.last_read: dict[tuple[str, int], int] = {}
        self._in: dict[str, Any] = {}
        self._out: dict[str, Any] = {}

    def _child(self, cache: dict[str, Any], counter: Any, topic: str) -> Any:
        child = cache.get(topic)
        if child is None:
            child = cache[topic] = counter.labels(short_topic(topic, self.prefix))
        return child

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self._child(self._in, RECORDS_IN, tp.topic).inc()
        self.last_read[(tp.topic, tp.partition)] = offset

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        self._child(self._out, RECORDS_OUT, topic).inc()
        return None

    def lag(self, consumer: Any) -> Iterator[tuple[str, int, int]]:
        """Per assigned partition of the streams: the high watermark minus the next offset to read.

        Table changelogs are left out: the worker writes its own tables' changelog and never
        reads it back after recovery, so their "lag" grows with every write and would never be
        0 on a worker that is up to date."""
        if consumer is None:
            return
        for tp in list(consumer.assignment()):
            if tp.topic.endswith(CHANGELOG_SUFFIX):
                continue
            try:
                high = consumer.highwater(tp)
            except Exception:  # not fetched yet, or the consumer is restarting
                continue
            if high is None:
                continue
            last = self.last_read.get((tp.topic, tp.partition))
            yield short_topic(tp.topic, self.prefix), tp.partition, high - (last + 1 if last is not None else 0)


def desk_open_items(desks: Iterable[Desk]) -> tuple[Iterable[OpenItem], datetime | None]:
    """Open incidents of the worker's desks, read-only: the queue gauges' view of their state."""
    items: list[OpenItem] = []
    nows: list[datetime] = []
    for desk in desks:
        items += [
            OpenItem(priority=inc.priority, queued=inc.status == "queued", since=inc.first_at)
            for inc in desk.incidents.values()
            if inc.is_open and inc.status != "followup_due"
        ]
        if desk.now is not None:
            nows.append(desk.now)
    return items, max(nows, default=None)


def watch_desk(source: Callable[[], Iterable[Desk]]) -> None:
    """The desk agent names where its Desks live; the page reads them when scraped."""
    _desk_source[:] = [source]


def _current_desks() -> Iterable[Desk]:
    return _desk_source[0]() if _desk_source else ()


class DeskBatchTimer:
    """Times one desk batch (outputs delivered, state written) into the latency histogram."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def done(self) -> None:
        DESK_BATCH_SECONDS.observe(time.perf_counter() - self.started)


def register(app: Any, prefix: str) -> None:
    """The sensor and the `/metrics` page on the worker's web server."""
    sensor = RecordSensor(prefix)
    app.sensors.add(sensor)
    local = CollectorRegistry(auto_describe=False)
    local.register(QueueCollector(lambda: desk_open_items(_current_desks())))
    local.register(LagCollector(lambda: sensor.lag(app.consumer)))
    local.register(ClockCollector(lambda: [(desk.centre, desk.tick) for desk in _current_desks()]))

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(exposition(local), headers={"Content-Type": f"{CONTENT_TYPE}; charset={CHARSET}"})

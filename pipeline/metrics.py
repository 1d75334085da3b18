"""Prometheus metrics shared by workers and the console: names, counters and the text page.

Counters live in the process-wide default registry (one worker or one console
per process). Gauges that describe state (open incidents, queued tasks,
consumer lag) are computed when scraped, from the state the process already
holds: nothing is recomputed per record, and a scrape never changes state.
Every name here is listed in README.md ("Metrics").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from core.records import ESCALATION_CAUSES, PRIORITIES, DeadLetter, DispatchEvent, Wire

# Prometheus' text format 0.0.4; aiohttp wants the charset apart from the type.
CONTENT_TYPE = "text/plain; version=0.0.4"
CHARSET = "utf-8"

RECORDS_IN = Counter("patrol_records_in", "Records read, by topic (without the topic prefix).", ["topic"])
CHANGELOG_SUFFIX = "-changelog"  # Faust's name for a table's changelog topic: <app id>-<table>-changelog
RECORDS_OUT = Counter("patrol_records_out", "Records written, by topic (without the topic prefix).", ["topic"])
DEAD_LETTERS = Counter("patrol_dead_letters", "Dead letters written, by source topic and reason (the error kind).", ["topic", "reason"])
ESCALATIONS = Counter("patrol_escalations", "Escalation events, by escalation level and cause.", ["level", "cause"])
DESK_BATCH_SECONDS = Histogram(
    "patrol_desk_batch_seconds",
    "Wall time the desk takes for one input batch, outputs delivered and state written.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

# Label values taken from records (an escalation's level and cause, as any producer of `dispatch` wrote them) are
# bounded: past this many distinct values per label, a new one counts as "other". One time series per record made a
# scrape megabytes long and a Prometheus without memory.
MAX_LABEL_VALUES = 32
OTHER_LABEL = "other"


class BoundedLabel:
    """A label's `known` values always pass, then the first MAX_LABEL_VALUES others; later new ones are OTHER_LABEL
    (so a flood of made-up values cannot push out the ones the desk writes)."""

    def __init__(self, known: Iterable[str] = (), limit: int = MAX_LABEL_VALUES) -> None:
        self.known = frozenset(known)
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self.known or value in self._seen:
            return value
        if len(self._seen) >= self.limit:
            return OTHER_LABEL
        self._seen.add(value)
        return value


_LEVEL_LABEL = BoundedLabel(known=(str(n) for n in range(10)))
_CAUSE_LABEL = BoundedLabel(known=ESCALATION_CAUSES)
_CAUSE_WORD = re.compile(r"[a-z]+")
_CAUSE_CUT = re.compile(r"\b(?:by|from|of|to|at)\b.*$")


def escalation_cause(reason: str) -> str:
    """A low-cardinality cause from an event's reason: its first clause without ids.

    "ack deadline missed by T-daoli-1; team T-2 at 300 m" -> "ack_deadline_missed".
    """
    clause = reason.split(";", 1)[0].lower()
    clause = _CAUSE_CUT.sub("", clause)
    words = [w for w in clause.split() if _CAUSE_WORD.fullmatch(w)]
    return "_".join(words)[:60] or "unspecified"


def count_escalation(event: DispatchEvent) -> None:
    if event.kind == "escalation":
        # The desk names the cause (ack_missed, queued, support_ack_missed); older events only say it in the reason.
        cause = event.escalation_cause or escalation_cause(event.reason or "")
        ESCALATIONS.labels(_LEVEL_LABEL(str(event.escalation_level)), _CAUSE_LABEL(cause)).inc()


def count_outputs(records: Iterable[tuple[str, str | None, Wire]]) -> None:
    """Dead letters and escalations among records an agent is about to send."""
    for _, _, record in records:
        if isinstance(record, DeadLetter):
            DEAD_LETTERS.labels(record.topic, record.error).inc()
        elif isinstance(record, DispatchEvent):
            count_escalation(record)


@dataclass(frozen=True)
class OpenItem:
    """One open incident as the queue gauges see it: priority, queued or not, first report time."""

    priority: str
    queued: bool
    since: datetime


OpenSource = Callable[[], tuple[Iterable[OpenItem], datetime | None]]


def queue_families(items: Iterable[OpenItem], now: datetime | None) -> list[Metric]:
    """Open incidents and queued tasks by priority, each with the age of its oldest (event time)."""
    families = {
        "open": GaugeMetricFamily("patrol_open_incidents", "Open incidents (not resolved, no follow-up merely scheduled), by priority.", labels=["priority"]),
        "queued": GaugeMetricFamily("patrol_queued_tasks", "Open incidents waiting for a free able team, by priority.", labels=["priority"]),
        "open_age": GaugeMetricFamily(
            "patrol_oldest_open_incident_age_seconds", "Event-time age of the oldest open incident's first report, by priority.", labels=["priority"]
        ),
        "queued_age": GaugeMetricFamily(
            "patrol_oldest_queued_task_age_seconds", "Event-time age of the oldest queued incident's first report, by priority.", labels=["priority"]
        ),
    }
    counts = {p: [0, 0] for p in PRIORITIES}
    oldest: dict[tuple[str, bool], datetime] = {}
    for item in items:
        # a priority no policy has (a record's own) is "other": one label value per record otherwise
        priority = "none" if not item.priority else item.priority if item.priority in PRIORITIES else OTHER_LABEL
        row = counts.setdefault(priority, [0, 0])
        row[0] += 1
        keys = [(priority, False)]
        if item.queued:
            row[1] += 1
            keys.append((priority, True))
        for key in keys:
            if key not in oldest or item.since < oldest[key]:
                oldest[key] = item.since
    for priority, (open_count, queued_count) in counts.items():
        families["open"].add_metric([priority], open_count)
        families["queued"].add_metric([priority], queued_count)
        for queued, name in ((False, "open_age"), (True, "queued_age")):
            since = oldest.get((priority, queued))
            age = max(0.0, (now - since).total_seconds()) if since is not None and now is not None else 0.0
            families[name].add_metric([priority], age)
    return list(families.values())


class QueueCollector(Collector):
    """Queue gauges read from the process's own state when scraped."""

    def __init__(self, source: OpenSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        items, now = self._source()
        yield from queue_families(items, now)


LagSource = Callable[[], Iterable[tuple[str, int, int]]]


class LagCollector(Collector):
    """Consumer lag (records in the log not yet read) per topic and partition, read when scraped."""

    def __init__(self, source: LagSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("patrol_consumer_lag", "Records on the broker not yet read by this process, by topic and partition.", labels=["topic", "partition"])
        for topic, partition, lag in sorted(self._source()):
            family.add_metric([topic, str(partition)], max(0, lag))
        yield family


ClockSource = Callable[[], Iterable[tuple[str, datetime | None]]]


class ClockCollector(Collector):
    """The event time of each desk's latest clock tick, read when scraped.

    The desk takes records at most the policy's `max_ahead_min` past its
    latest tick, so a clock that stopped (`patrol clock` down) turns tips
    into `future_time` dead letters after that long: alert on
    `time() - patrol_desk_clock_tick_seconds` well before it.
    """

    def __init__(self, source: ClockSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("patrol_desk_clock_tick_seconds", "Event time (Unix seconds) of the latest clock tick each desk has seen, by centre.",
                                   labels=["centre"])
        for centre, tick in sorted(self._source(), key=lambda pair: pair[0]):
            if tick is not None:
                family.add_metric([centre], tick.timestamp())
        yield family


def exposition(local: CollectorRegistry) -> bytes:
    """The text page: the process-wide counters, then this process's state gauges."""
    return generate_latest(REGISTRY) + generate_latest(local)


def short_topic(full: str, prefix: str) -> str:
    """A topic's name without the run's prefix (labels stay stable across runs)."""
    return full[len(prefix):] if prefix and full.startswith(prefix) else full

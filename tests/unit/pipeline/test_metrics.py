"""Metric helpers without a broker: causes, queue gauges, output counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from core.records import DeadLetter
from pipeline import metrics
from pipeline.metrics import (
    MAX_LABEL_VALUES,
    ClockCollector,
    LagCollector,
    OpenItem,
    QueueCollector,
    count_escalation,
    count_outputs,
    escalation_cause,
    exposition,
    short_topic,
)
from tests.unit.console.test_state import event

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = exposition(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def test_escalation_cause_drops_ids_and_details() -> None:
    assert escalation_cause("ack deadline missed by T-daoli-1; team T-2 at 300 m") == "ack_deadline_missed"
    assert escalation_cause("queued past deadline at 23:10") == "queued_past_deadline"
    assert escalation_cause("") == "unspecified"


def test_queue_gauges_by_priority_with_oldest_age() -> None:
    items = [
        OpenItem("P1", True, NOW - timedelta(minutes=7)),
        OpenItem("P1", False, NOW - timedelta(minutes=30)),
        OpenItem("P3", True, NOW - timedelta(minutes=2)),
        OpenItem("P3", True, NOW - timedelta(minutes=9)),
    ]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(lambda: (items, NOW)))
    got = samples(registry)
    assert got[("patrol_open_incidents", (("priority", "P1"),))] == 2
    assert got[("patrol_queued_tasks", (("priority", "P1"),))] == 1
    assert got[("patrol_queued_tasks", (("priority", "P3"),))] == 2
    assert got[("patrol_open_incidents", (("priority", "P2"),))] == 0  # every priority is always there
    assert got[("patrol_oldest_open_incident_age_seconds", (("priority", "P1"),))] == 30 * 60
    assert got[("patrol_oldest_queued_task_age_seconds", (("priority", "P1"),))] == 7 * 60
    assert got[("patrol_oldest_queued_task_age_seconds", (("priority", "P3"),))] == 9 * 60
    assert got[("patrol_oldest_queued_task_age_seconds", (("priority", "P4"),))] == 0


def test_lag_never_negative_and_topics_unprefixed() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LagCollector(lambda: [(short_topic("run1-tips", "run1-"), 0, 5), ("clock", 0, -1)]))
    got = samples(registry)
    assert got[("patrol_consumer_lag", (("partition", "0"), ("topic", "tips")))] == 5
    assert got[("patrol_consumer_lag", (("partition", "0"), ("topic", "clock")))] == 0


def test_clock_gauge_gives_each_desks_latest_tick_and_leaves_out_a_desk_without_one() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClockCollector(lambda: [("qiqihar", NOW - timedelta(minutes=3)), ("harbin", NOW), ("fresh", None)]))
    got = samples(registry)
    assert got[("patrol_desk_clock_tick_seconds", (("centre", "harbin"),))] == NOW.timestamp()
    assert got[("patrol_desk_clock_tick_seconds", (("centre", "qiqihar"),))] == NOW.timestamp() - 180
    assert not any(labels == (("centre", "fresh"),) for _, labels in got)


def test_dead_letters_counted_by_topic_and_reason() -> None:
    def value() -> float:
        return REGISTRY.get_sample_value("patrol_dead_letters_total", {"topic": "weather", "reason": "wrong_type"}) or 0.0

    before = value()
    letter = DeadLetter(topic="weather", reason="temp_c: not a number", payload="{}", error="wrong_type")
    count_outputs([("dead-letters", None, letter), ("dead-letters", None, letter)])
    assert value() == before + 2


def test_label_values_a_record_chooses_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console counts escalations and open incidents from `dispatch` as any producer wrote it: a priority, cause
    or level per record made a new time series each (a scrape of megabytes, a Prometheus out of memory)."""
    items = [OpenItem(f"P{n}x", False, NOW) for n in range(500)] + [OpenItem("P1", False, NOW)]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(lambda: (items, NOW)))
    got = samples(registry)
    priorities = {dict(labels)["priority"] for name, labels in got if name == "patrol_open_incidents"}
    assert priorities == {"P1", "P2", "P3", "P4", "other"}
    assert got[("patrol_open_incidents", (("priority", "other"),))] == 500
    monkeypatch.setattr(metrics, "_LEVEL_LABEL", metrics.BoundedLabel(metrics._LEVEL_LABEL.known))  # not the other tests' values
    monkeypatch.setattr(metrics, "_CAUSE_LABEL", metrics.BoundedLabel(metrics._CAUSE_LABEL.known))

    def series(label: str) -> set[str]:  # the registry is the process's: other tests' escalations are in it too
        return {dict(labels)[label] for name, labels in samples(REGISTRY) if name == "patrol_escalations_total"}

    causes_before, levels_before = series("cause"), series("level")
    for n in range(500):
        count_escalation(event(f"i{n}", kind="escalation", escalation_level=n, escalation_cause=f"cause{n}"))
    new_causes, new_levels = series("cause") - causes_before, series("level") - levels_before
    assert len({c for c in new_causes if c.startswith("cause")}) == MAX_LABEL_VALUES and "other" in series("cause")
    assert len({v for v in new_levels if v.isdigit() and int(v) >= 10}) == MAX_LABEL_VALUES and "other" in series("level")
    count_escalation(event("i-real", kind="escalation", escalation_level=1, escalation_cause="ack_missed"))
    assert samples(REGISTRY)[("patrol_escalations_total", (("cause", "ack_missed"), ("level", "1")))] >= 1, "the desk's own still counted"

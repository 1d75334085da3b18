"""Metric helpers without a broker: causes, queue gauges, output counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from core.records import DeadLetter
from pipeline.metrics import (
    ClockCollector,
    LagCollector,
    OpenItem,
    QueueCollector,
    count_outputs,
    escalation_cause,
    exposition,
    short_topic,
)

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

"""The one place topics are created and checked, by every role at start.

Whichever role starts first (worker, console, clock, replay, drill, a bench)
creates every topic with the partitions the pipeline needs, so no topic is
left to the broker's auto-creation (Tansu and Kafka default to several
partitions). The desk's inputs must have exactly one partition: its Faust
table is single-partition, and Faust raises `PartitionsMismatch` on the first
table write when a source topic has more, which kills the agent. A topic that
exists with a count the pipeline cannot use stops the role before anything is
consumed, with an error naming the topic and both counts.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from core import topics as names
from core.errors import BrokerError
from core.settings import Settings
from pipeline.kafka_security import client_kwargs

log = logging.getLogger(__name__)

# The desk's inputs: single-partition, exactly (its table has one partition).
DESK_INPUTS: tuple[str, ...] = (names.REPORTS, names.WEATHER, names.TEAM_STATUS, names.TASK_ACKS, names.OPERATOR_COMMANDS, names.CLOCK)


class TopicMismatchError(BrokerError):
    """A topic exists with a partition count the pipeline cannot run on."""


@dataclass(frozen=True)
class TopicSpec:
    """A topic (full name), the partitions it is created with, and whether another count is refused."""

    name: str
    partitions: int
    exact: bool


def topic_specs(settings: Settings, shorts: Iterable[str] = names.ALL) -> list[TopicSpec]:
    """What each topic must look like: desk inputs exactly one partition; scaled stages and outputs any count."""
    specs = []
    for short in shorts:
        partitions = settings.partitions if short in names.SCALED else 1
        specs.append(TopicSpec(settings.topic(short), partitions, exact=short in DESK_INPUTS))
    return specs


def check_specs(specs: Iterable[TopicSpec], existing: dict[str, int]) -> list[str]:
    """Problems with existing topics, one sentence each (empty: all usable)."""
    problems = []
    for spec in specs:
        found = existing.get(spec.name)
        if found is None or found == spec.partitions:
            continue
        if spec.exact:
            problems.append(
                f"topic {spec.name!r} has {found} partitions, the pipeline needs exactly {spec.partitions} "
                "(the desk's table is single-partition); delete and recreate it, or use another PATROL_TOPIC_PREFIX"
            )
        else:
            log.warning("topic %s has %d partitions (created with %d here); it works, scaling follows its count", spec.name, found, spec.partitions)
    return problems


def _partition_counts(admin: object, wanted: list[str]) -> dict[str, int]:
    """Partition count of each wanted topic that exists."""
    described = admin.describe_topics(wanted)  # type: ignore[attr-defined]
    counts: dict[str, int] = {}
    for topic in described:
        name = topic.get("name") or topic.get("topic")
        error = topic.get("error_code", 0)
        if name in wanted and not error and topic.get("partitions"):
            counts[str(name)] = len(topic["partitions"])
    return counts


def ensure_topics(bootstrap: str, settings: Settings, shorts: Iterable[str] = names.ALL, *, timeout_s: float = 10.0) -> dict[str, int]:
    """Create missing topics, then check every one; returns each topic's partition count.

    Raises BrokerError when the broker cannot be reached and TopicMismatchError
    when an existing topic has a partition count the pipeline cannot run on.
    """
    from kafka import KafkaAdminClient
    from kafka.errors import TopicAlreadyExistsError

    specs = topic_specs(settings, shorts)
    timeout_ms = int(timeout_s * 1000)
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="patrol-admin", request_timeout_ms=timeout_ms, **client_kwargs(settings))
    except Exception as exc:
        raise BrokerError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    try:
        wanted = [s.name for s in specs]
        existing = set(admin.list_topics())
        problems = check_specs(specs, _partition_counts(admin, [n for n in wanted if n in existing]))
        if problems:  # before creating anything: a refused start changes nothing
            raise TopicMismatchError("; ".join(problems))
        for spec in specs:
            if spec.name in existing:
                continue
            # One by one: a concurrent creator makes only its own topic fail.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics({spec.name: {"num_partitions": spec.partitions, "replication_factor": settings.replication}})
        counts = _partition_counts(admin, wanted)
        problems = check_specs(specs, counts)  # a concurrent creator may have won with other counts
        if problems:
            raise TopicMismatchError("; ".join(problems))
        return counts
    except TopicMismatchError:
        raise
    except Exception as exc:
        raise BrokerError(f"cannot create topics on {bootstrap}: {type(exc).__name__}: {exc}") from exc
    finally:
        admin.close()

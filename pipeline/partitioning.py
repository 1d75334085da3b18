"""Where a centre's records land: the desk's partitions are its dispatch centres.

Every desk input is keyed by its centre's id; Kafka's default partitioner
(murmur2 of the key, the same in every client) puts all of a centre on one
partition, so the worker that holds the partition holds the centre's whole
state. Clock ticks have no centre: the clock sends one to every partition.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.partitioner import murmur2


def home_partition(centre: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives records keyed by `centre` (murmur2, as the Java client)."""
    return (murmur2(centre.encode("utf-8")) & 0x7FFFFFFF) % partitions


def centres_on(partition: int, centres: Sequence[str], partitions: int) -> list[str]:
    """The centres whose records land on one partition (clock ticks are sent to each partition)."""
    return [c for c in centres if home_partition(c, partitions) == partition]

"""A centre's home partition is the one Kafka's default partitioner gives its key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from pipeline.partitioning import centres_on, home_partition


def test_home_partition_is_where_a_producer_puts_a_record_keyed_by_the_centre() -> None:
    partitioner = DefaultPartitioner()
    for partitions in (1, 2, 4, 12):
        every = list(range(partitions))
        for centre in ("harbin", "qiqihar", "mudanjiang", "jiamusi"):
            assert home_partition(centre, partitions) == partitioner(centre.encode(), every, every)


def test_every_centre_is_on_exactly_one_partition() -> None:
    centres = ["harbin", "qiqihar", "mudanjiang", "jiamusi", "daqing"]
    for partitions in (1, 2, 3):
        on = [centres_on(p, centres, partitions) for p in range(partitions)]
        assert sorted(c for part in on for c in part) == sorted(centres)
    assert centres_on(0, centres, 1) == centres

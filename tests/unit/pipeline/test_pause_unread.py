"""The consumer thread stops fetching the partitions Faust does not read (pipeline.kafka_compat, 7.)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition as TP

from pipeline.kafka_compat import pause_unread

TIPS, CHANGELOG, LEADER = TP("tips", 0), TP("patrol-incidents-changelog", 0), TP("patrol-__assignor-__leader", 0)
SIDE, NEVER = ("patrol-incidents-changelog",), ("patrol-__assignor-__leader",)


def paused_after(*steps: frozenset[TP]) -> set[TP]:
    """The partitions aiokafka holds paused after `pause_unread` ran with each of Faust's active sets in turn."""

    async def run() -> set[TP]:
        consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # never started: assignment is local state
        consumer.assign([TIPS, CHANGELOG, LEADER])
        for active in steps:
            pause_unread(consumer, active, SIDE, never_read=NEVER)
        return set(consumer.paused())

    return asyncio.run(run())


def test_inactive_changelog_and_the_leader_topic_are_paused_streams_never() -> None:
    # After recovery Faust holds only the stream active; a stream it pauses for flow control stays fetched here.
    assert paused_after(frozenset({TIPS})) == {CHANGELOG, LEADER}
    assert paused_after(frozenset({LEADER})) == {CHANGELOG, LEADER}


def test_a_changelog_faust_resumes_for_recovery_is_fetched_again() -> None:
    assert paused_after(frozenset({TIPS}), frozenset({TIPS, CHANGELOG})) == {LEADER}
    assert paused_after(frozenset({TIPS}), frozenset({TIPS, CHANGELOG}), frozenset({TIPS})) == {CHANGELOG, LEADER}

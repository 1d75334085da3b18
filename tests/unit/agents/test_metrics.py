"""The worker's consumer lag: streams' partitions only, never the tables' own changelogs."""

from __future__ import annotations

from typing import NamedTuple

from agents.metrics import RecordSensor


class _TP(NamedTuple):
    topic: str
    partition: int


class _Consumer:
    def __init__(self, highs: dict[tuple[str, int], int]) -> None:
        self._highs = highs

    def assignment(self) -> set[_TP]:
        return {_TP(t, p) for t, p in self._highs}

    def highwater(self, tp: _TP) -> int:
        return self._highs[(tp.topic, tp.partition)]


def test_lag_counts_unread_stream_records_and_leaves_out_changelogs() -> None:
    sensor = RecordSensor("patrol-")
    sensor.last_read[("patrol-tips", 0)] = 9  # read up to offset 9: the next is 10
    sensor.last_read[("patrol-desk-state-changelog", 0)] = 2  # recovered, then written by this worker
    consumer = _Consumer({("patrol-tips", 0): 15, ("patrol-clock", 0): 0, ("patrol-desk-state-changelog", 0): 40})
    lags = {(topic, part): lag for topic, part, lag in sensor.lag(consumer)}
    assert lags == {("tips", 0): 5, ("clock", 0): 0}

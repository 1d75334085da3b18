"""The patched Faust commit never passes an unprocessed record."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from pipeline.kafka_compat import patch_faust_for_tansu

TIPS = TP("tips", 0)


@pytest.fixture
def new_offset() -> Any:
    patch_faust_for_tansu()
    return Consumer._new_offset


def consumer_state(committed: int | None, acked: list[int], gap: tuple[int, int] | None = None) -> Any:
    """Just the bookkeeping `_new_offset` reads, for one partition."""
    gaps: defaultdict[TP, IntervalTree] = defaultdict(IntervalTree)
    if gap is not None:
        gaps[TIPS].addi(*gap)
    return SimpleNamespace(
        _acked={TIPS: list(acked)},
        _acked_index={TIPS: set(acked)},
        _committed_offset={TIPS: committed},
        _gap=gaps,
    )


def test_commits_up_to_the_first_hole(new_offset: Any) -> None:
    assert new_offset(consumer_state(10, [10, 11, 12, 14]), TIPS) == 13


def test_waits_for_an_unprocessed_record_at_the_committed_offset(new_offset: Any) -> None:
    # Faust alone commits 20 here: record 10 was never processed and would be lost.
    assert new_offset(consumer_state(10, list(range(11, 20))), TIPS) is None


def test_a_known_gap_at_the_committed_offset_is_passed(new_offset: Any) -> None:
    # A transaction marker or compacted-away record at offset 10 holds nothing to process.
    assert new_offset(consumer_state(10, list(range(11, 20)), gap=(10, 11)), TIPS) == 20


def test_nothing_acked_nothing_to_commit(new_offset: Any) -> None:
    assert new_offset(consumer_state(10, []), TIPS) is None

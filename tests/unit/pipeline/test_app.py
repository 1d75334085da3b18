"""The app factory's heap policy: long-lived objects leave the garbage collector's walks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pipeline.app import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # later tests collect as usual


def test_settle_heap_freezes_what_is_alive(unfrozen: None) -> None:
    before = gc.get_freeze_count()
    held = [[i] for i in range(10_000)]  # tracked containers, alive across the call
    frozen = settle_heap()
    assert frozen == gc.get_freeze_count()
    assert frozen >= before + len(held)
    # a full collection now walks only what was created since
    assert len(gc.get_objects()) < frozen


def test_settle_heap_collects_cycles_before_freezing(unfrozen: None) -> None:
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    del a, b  # garbage only a collection can free
    settle_heap()
    gc.unfreeze()  # had the cycle been frozen, it would be back among the tracked objects now
    assert not any(isinstance(o, Node) for o in gc.get_objects())

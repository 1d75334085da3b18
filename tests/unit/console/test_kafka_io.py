"""The console's reader of its view topics: one record, whatever it holds, never stops it."""

from __future__ import annotations

from typing import Any

from console.kafka_io import fold_one
from console.state import ConsoleState
from core import topics


def test_no_record_stops_the_reader() -> None:
    """A team-status of JSON nested 100 000 deep raised RecursionError out of the reader: the console ended, and at
    every start read the same record again. A fold that raises (any exception) is skipped the same way."""
    state = ConsoleState()
    folded: list[str] = []

    def on_record(name: str, data: Any) -> None:
        if isinstance(data, dict) and data.get("boom"):
            raise RuntimeError("a fold that fails")
        state.apply_record(name, data)
        folded.append(name)

    deep = b"[" * 100_000 + b"]" * 100_000
    assert not fold_one(topics.TEAM_STATUS, deep, on_record)
    assert not fold_one(topics.DISPATCH, b'{"boom": true}', on_record)
    assert not fold_one(topics.DISPATCH, b"\xff", on_record)
    assert fold_one(topics.CLOCK, b'{"at": "2026-12-20T23:00:00+08:00", "source": "ticker"}', on_record)
    assert folded == [topics.CLOCK] and state.now is not None

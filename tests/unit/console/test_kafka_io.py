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


def test_a_record_holding_nan_or_infinity_is_skipped() -> None:
    """Python reads NaN and Infinity as JSON; a record holding one (a desk answer on `command-results`, a partner notice)
    was kept as is and went out in `/api/commands`, `/api/attention` and the live stream as text no browser parses."""
    folded: list[Any] = []
    for raw in (b'{"command_id": "c-1", "status": "applied", "eta": NaN}', b'{"command_id": "c-2", "x": [Infinity]}',
                b'{"command_id": "c-3", "x": -Infinity}'):
        assert not fold_one(topics.COMMAND_RESULTS, raw, lambda name, data: folded.append(data))
    assert folded == []
    assert fold_one(topics.COMMAND_RESULTS, b'{"command_id": "c-4", "note": "NaN"}', lambda name, data: folded.append(data))

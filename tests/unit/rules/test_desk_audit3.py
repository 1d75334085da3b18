"""The third desk audit: whole nights (`desk_audit3.toml`), and how a night may reach the desk.

Each case is a short night of tips, detections, team statuses, acks,
weather and clock ticks with the decisions DOMAIN.md asks for at the points
it decides, written before the case was first run. Every case is also fed
as the broker may feed it: twice on fresh desks (byte-identical outputs),
with a restart from the desk's written state after every step (the same
outputs and state as without), and with every record delivered twice
(at-least-once), with and without a restart between the two deliveries:
the same events and tasks once repeats are dropped by id, none of them an
id with another content.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from core.errors import RecordError
from rules.context import Context
from rules.desk import Outputs
from tests.unit.rules.deskkit import Run

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "desk_audit3.toml").read_text(encoding="utf-8"))["case"]
EARLIER = [c["id"] for name in ("desk_audit.toml", "desk_audit2.toml")
           for c in tomllib.loads((HERE / name).read_text(encoding="utf-8"))["case"]]
PARAMS = [pytest.param(c, id=c["id"]) for c in CASES]


def _lines(out: Outputs) -> list[str]:
    """What the desk sends for one input, one JSON line a record, in order."""
    records = [("event", e.to_dict()) for e in out.events] + [("task", t.to_dict()) for t in out.tasks]
    records += [("conditions", c) for c in out.conditions] + [("result", r.to_dict()) for r in out.results]
    return [json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in records]


class Night(Protocol):
    """What feeds a case: one centre's `Run`, or several centres' (test_desk_audit4.py's `Centres`)."""

    def record(self, step: dict[str, Any]) -> Any: ...
    def deliver(self, record: Any) -> Outputs: ...
    def restart(self) -> None: ...
    def state(self) -> str: ...
    def check(self, at: datetime, out: Outputs, expect: dict[str, Any]) -> None: ...


def night(ctx: Context, case: dict[str, Any], *, restart_each: bool = False, expect: bool = True,
          make: Callable[[], Night] | None = None) -> tuple[list[str], str]:
    """Feed the case once, checking its expectations; every output line, and the desks' state at the end."""
    run: Night = make() if make is not None else Run(ctx)
    lines: list[str] = []
    for step in case["step"]:
        record = run.record(step)
        refused = step.get("expect", {}).get("refused")
        try:
            out = run.deliver(record)
        except RecordError as err:
            if refused is None and "repeat" not in step:
                raise
            assert refused is None or err.kind == refused, (err.kind, err.reason)
            out = Outputs()
        else:
            assert refused is None, f"taken, though it should be dead-lettered {refused}"
        if restart_each:
            run.restart()
        lines += _lines(out)
        if expect and "expect" in step:
            run.check(record.at, out, step["expect"])
    return lines, run.state()


def night_twice_delivered(ctx: Context, case: dict[str, Any], *, restart_between: bool,
                          make: Callable[[], Night] | None = None) -> tuple[list[str], str]:
    """Every record delivered twice in a row (a restart between when asked); what was sent, and the state at the end."""
    run: Night = make() if make is not None else Run(ctx)
    lines: list[str] = []
    for step in case["step"]:
        record = run.record(step)
        refused = step.get("expect", {}).get("refused")
        for delivery in (0, 1):
            if delivery and "restart" in step:
                continue
            if delivery and restart_between:
                run.restart()
            try:
                lines += _lines(run.deliver(record))
            except RecordError:
                if refused is None and not delivery and "repeat" not in step:
                    raise
    return lines, run.state()


def _by_id(lines: list[str]) -> list[str]:
    """Lines as a consumer that drops repeats by id keeps them; an id sent with two contents fails."""
    seen: dict[str, str] = {}
    kept: list[str] = []
    for line in lines:
        kind, record = json.loads(line)
        key = f"{kind}:{record.get('event_id')}:{record.get('team_id')}:{record.get('kind')}" if kind in ("event", "task") else line
        if key in seen:
            assert seen[key] == line, f"{key} sent twice with different contents:\n{seen[key]}\n{line}"
            continue
        seen[key] = line
        kept.append(line)
    return kept


def test_audit_covers_whole_nights() -> None:
    assert len(CASES) >= 40
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids) and not set(ids) & set(EARLIER), "each case id once, over the three files"
    for case in CASES:
        assert 3 <= len(case["step"]) <= 15, case["id"]
        assert sum(1 for s in case["step"] if "expect" in s) >= 2, case["id"]


@pytest.mark.parametrize("case", PARAMS)
def test_night_decides_as_the_domain_says(case: dict[str, Any], ctx: Context) -> None:
    night(ctx, case)


@pytest.mark.parametrize("case", PARAMS)
def test_the_same_night_gives_the_same_bytes(case: dict[str, Any], ctx: Context) -> None:
    assert night(ctx, case, expect=False) == night(ctx, case, expect=False)


@pytest.mark.parametrize("case", PARAMS)
def test_a_restart_after_every_step_decides_the_same(case: dict[str, Any], ctx: Context) -> None:
    lines, state = night(ctx, case, expect=False)
    assert night(ctx, case, restart_each=True) == (lines, state)


@pytest.mark.parametrize("restart_between", [False, True], ids=["in-a-row", "restart-between"])
@pytest.mark.parametrize("case", PARAMS)
def test_every_record_twice_gives_the_same_dispatches(case: dict[str, Any], ctx: Context, restart_between: bool) -> None:
    lines, state = night(ctx, case, expect=False)
    twice, twice_state = night_twice_delivered(ctx, case, restart_between=restart_between)
    assert _by_id(twice) == _by_id(lines) == lines, "the same records, each once by id"
    assert twice_state == state

"""The fifth desk audit: whole nights on weather changes, the night/day boundary, missed deadlines,
capabilities, declines, two persons at one spot, a camera and a call, records out of order (`desk_audit5.toml`).

Each case runs on Harbin's desk as audit 4's do (`test_desk_audit4.Centres`): its expectations, twice on
fresh desks, a restart after every step, every record delivered twice with and without a restart between.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from rules.context import Context, Province
from tests.unit.rules.test_desk_audit3 import _by_id, night, night_twice_delivered
from tests.unit.rules.test_desk_audit4 import _make
from tests.unit.rules.test_desk_audit4 import province as province  # the fixture, shared

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "desk_audit5.toml").read_text(encoding="utf-8"))["case"]
EARLIER = [c["id"] for name in ("desk_audit.toml", "desk_audit2.toml", "desk_audit3.toml", "desk_audit4.toml",
                                "decision_audit.toml")
           for c in tomllib.loads((HERE / name).read_text(encoding="utf-8"))["case"]]
PARAMS = [pytest.param(c, id=c["id"]) for c in CASES]
THEMES = ("cw5-", "nd5-", "ld5-", "cap5-", "dn5-", "tp5-", "th5-", "oo5-")


def test_audit_covers_whole_nights_on_its_themes() -> None:
    assert 25 <= len(CASES) <= 35
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids) and not set(ids) & set(EARLIER), "each case id once, over every desk audit"
    for theme in THEMES:
        assert sum(1 for i in ids if i.startswith(theme)) >= 2, theme
    for case in CASES:
        assert 3 <= len(case["step"]) <= 15, case["id"]
        assert sum(1 for s in case["step"] if "expect" in s) >= 2, case["id"]


@pytest.mark.parametrize("case", PARAMS)
def test_night_decides_as_the_domain_says(case: dict[str, Any], ctx: Context, province: Province) -> None:
    night(ctx, case, make=_make(province, case))


@pytest.mark.parametrize("case", PARAMS)
def test_the_same_night_gives_the_same_bytes(case: dict[str, Any], ctx: Context, province: Province) -> None:
    make = _make(province, case)
    assert night(ctx, case, expect=False, make=make) == night(ctx, case, expect=False, make=make)


@pytest.mark.parametrize("case", PARAMS)
def test_a_restart_after_every_step_decides_the_same(case: dict[str, Any], ctx: Context, province: Province) -> None:
    make = _make(province, case)
    lines, state = night(ctx, case, expect=False, make=make)
    assert night(ctx, case, restart_each=True, make=make) == (lines, state)


@pytest.mark.parametrize("restart_between", [False, True], ids=["in-a-row", "restart-between"])
@pytest.mark.parametrize("case", PARAMS)
def test_every_record_twice_gives_the_same_dispatches(case: dict[str, Any], ctx: Context, province: Province,
                                                      restart_between: bool) -> None:
    make = _make(province, case)
    lines, state = night(ctx, case, expect=False, make=make)
    twice, twice_state = night_twice_delivered(ctx, case, restart_between=restart_between, make=make)
    assert _by_id(twice) == _by_id(lines) == lines, "the same records, each once by id"
    assert twice_state == state

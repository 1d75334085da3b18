"""An audit of the desk's decisions against DOMAIN.md's rules: `desk_audit.toml`.

Each case names the rule it checks and the decision DOMAIN.md asks for,
written before the case was first run. Its records go through the real
intake (`parse_tip`, `parse_detection`, `parse_weather`) and the real Desk,
one step at a time, so category, priority, the rules named on the event,
partner notices, deadlines, escalations and follow-ups are the product's.
`desk_audit2.toml` audits dispatch under pressure the same way: lead and
support units, ETAs and candidates, the queue, diversion, unit timers, the
order of the queue, matching and merging, and destinations.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from rules.context import Context
from tests.unit.rules.deskkit import Run, check

FILES = ("desk_audit.toml", "desk_audit2.toml")
CASES: dict[str, list[dict[str, Any]]] = {
    name: tomllib.loads((Path(__file__).parent / name).read_text(encoding="utf-8"))["case"] for name in FILES
}


@pytest.mark.parametrize("name", FILES)
def test_audit_covers_the_rules(name: str) -> None:
    assert len(CASES[name]) >= 50
    ids = [c["id"] for cases in CASES.values() for c in cases]
    assert len(set(ids)) == len(ids), "each case id once, over both files"


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for name in FILES for c in CASES[name]])
def test_desk_decides_as_the_domain_says(case: dict[str, Any], ctx: Context) -> None:
    run = Run(ctx)
    for step in case["step"]:
        at, out = run.step(step)
        if "expect" in step:
            check(run, at, out, step["expect"])

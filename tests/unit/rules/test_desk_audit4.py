"""The fourth desk audit: whole nights across two dispatch centres (`desk_audit4.toml`), and the fifth's nights
(`desk_audit5.toml`, on Harbin's desk alone).

Each case runs as audit 3's do (`test_desk_audit3.night`: its expectations,
twice on fresh desks, a restart after every step, every record delivered
twice), but on a desk per centre: Harbin's and, when the case lists it,
Qiqihar's. A record goes to the centre the deployment routes it to
(`Province.route`, as the desk agent's inputs are keyed): a report by the
person's position, a team status by its position (or the `centre` it
names), weather by its region (or `centre`), an ack to the centre of the
incident it answers; clock ticks and restarts reach every centre. After every
step no desk may hold another centre's team, and every event and task a
desk writes names that desk's centre and lies in its service area.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.settings import DATA_DIR
from rules.context import Context, Province, load_province
from rules.desk import Outputs
from tests.unit.rules.deskkit import PLACES, Record, Run
from tests.unit.rules.test_desk_audit3 import _by_id, night, night_twice_delivered

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "desk_audit4.toml").read_text(encoding="utf-8"))["case"]
EARLIER = [c["id"] for name in ("desk_audit.toml", "desk_audit2.toml", "desk_audit3.toml", "decision_audit.toml")
           for c in tomllib.loads((HERE / name).read_text(encoding="utf-8"))["case"]]
# Audit 5's nights (`test_desk_audit5.py` checks their themes) run here too, on the same desks and checks.
NIGHTS = CASES + tomllib.loads((HERE / "desk_audit5.toml").read_text(encoding="utf-8"))["case"]
PARAMS = [pytest.param(c, id=c["id"]) for c in NIGHTS]


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


@dataclass
class Routed:
    """One step's record for each centre it reaches (one, or all for a tick or a restart)."""

    at: datetime
    parts: list[tuple[str, Record]]


class Centres:
    """A case fed to one desk per centre, each record where the deployment routes it."""

    def __init__(self, province: Province, centres: list[str]) -> None:
        self.province = province
        self.runs = {c: Run(province.centres[c], c) for c in centres}
        self.records: list[Routed] = []
        self.last: dict[str, Outputs] = {}

    def record(self, step: dict[str, Any]) -> Routed:
        routed = self.records[step["repeat"]] if "repeat" in step else self._route(step)
        self.records.append(routed)
        return routed

    def _route(self, step: dict[str, Any]) -> Routed:
        n = len(self.records) + 1
        if "tick" in step or "restart" in step:
            targets = list(self.runs)
        else:
            targets = [self._centre(step)]
        parts = []
        for centre in targets:
            run = self.runs[centre]
            run.n = n  # report ids by step, as one desk numbers them
            parts.append((centre, run._build(_without_centre(step))))
        at = max(r.at for _, r in parts) if "restart" not in step else parts[0][1].at
        return Routed(at, parts)

    def _centre(self, step: dict[str, Any]) -> str:
        if len(self.runs) == 1:  # one centre takes every record, as a one-city deployment does
            return next(iter(self.runs))
        if "ack" in step:
            name = step["ack"].get("of")
            if name is not None:
                return next(c for c, r in self.runs.items() if name in r.names)
            return step["ack"].get("centre") or next(c for c, r in self.runs.items() if r.incident_id is not None)
        kind = next(k for k in ("team", "tip", "detection", "weather") if k in step)
        body = step[kind]
        obj: dict[str, Any] = {k: body[k] for k in ("centre", "region") if k in body}
        if kind == "team":
            obj["team_id"] = body["id"]
        if kind != "weather":
            obj["lat"], obj["lon"] = PLACES[body.get("place", "station" if kind == "team" else "ng_plain")]
        centre = self.province.route(obj, by_team=kind == "team")
        assert centre in self.runs, (step, centre)
        return centre

    def deliver(self, routed: Routed) -> Outputs:
        out = Outputs()
        self.last = {}
        for centre, record in routed.parts:
            self.last[centre] = self.runs[centre].deliver(record)
            out.extend(self.last[centre])
        self._apart()
        return out

    def _apart(self) -> None:
        """No desk holds another's team; each desk's events and tasks name its centre and lie in its area."""
        teams = [set(run.desk.teams) for run in self.runs.values()]
        if len(teams) > 1:
            assert not set.intersection(*teams), "a team on two desks"
        for centre, out in self.last.items():
            index = self.province.centres[centre].index
            for e in out.events:
                assert e.centre == centre and index.in_service_area(e.lat, e.lon), (centre, e.event_id)
                assert e.team_id is None or e.team_id in self.runs[centre].desk.teams, (centre, e.team_id)
            for t in out.tasks:
                assert t.centre == centre and t.team_id in self.runs[centre].desk.teams, (centre, t.team_id)

    def restart(self) -> None:
        for run in self.runs.values():
            run.restart()

    def state(self) -> str:
        return "\n".join(f"{c}: {run.state()}" for c, run in self.runs.items())

    def check(self, at: datetime, out: Outputs, expect: dict[str, Any]) -> None:
        """`centre`: the centre the step went to (for a tick, the one checked); a table named after a centre:
        what that centre's desk did in the step."""
        mine = {k: v for k, v in expect.items() if k not in self.runs and k != "centre"}
        where = list(self.last)
        if "centre" in expect:
            assert expect["centre"] in where, (expect["centre"], where)
            where = [expect["centre"]]
        if mine:
            self.runs[where[0]].check(at, self.last[where[0]], mine)
        for centre in set(expect) & set(self.runs):
            self.runs[centre].check(at, self.last.get(centre, Outputs()), expect[centre])


def _without_centre(step: dict[str, Any]) -> dict[str, Any]:
    """The step as one desk's `Run` reads it: routing fields (`centre`) dropped."""
    out = dict(step)
    for kind in ("team", "tip", "detection", "weather", "ack"):
        if kind in out:
            out[kind] = {k: v for k, v in out[kind].items() if k != "centre"}
    return out


def _make(province: Province, case: dict[str, Any]) -> Any:
    return lambda: Centres(province, case.get("centres", ["harbin"]))


def test_audit_covers_whole_nights_in_two_centres() -> None:
    assert 20 <= len(CASES) <= 35
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids) and not set(ids) & set(EARLIER), "each case id once, over every desk audit"
    assert sum(1 for c in CASES if len(c.get("centres", [])) == 2) >= 8
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

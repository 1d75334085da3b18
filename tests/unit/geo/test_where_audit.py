"""An audit of locating tips, as a held-out scorer reads them: `where_audit.toml`.

Each case is a tip's location as callers give it (street and number,
crossings, landmarks with 对面/底下/出口, traditional characters, homophone
typos, pinyin and English, colloquial short names, the place inside a long
hotline sentence, coordinates as phones write them, names both cities or
neither city know), with where DOMAIN.md and the README say it must be put,
written before the case was first run. The tip is routed in a deployment of
both shipped cities and read by `rules.intake.parse_tip`, as the agents do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from core.errors import RecordError
from core.settings import DATA_DIR
from rules.context import Province, load_province
from rules.intake import parse_tip, tip_report


def _cases(name: str) -> list[dict[str, Any]]:
    return list(tomllib.loads((Path(__file__).parent / name).read_text(encoding="utf-8"))["case"])


CASES = _cases("where_audit.toml")
# Where audit 2 (session 25): landmarks with a direction, stops, compounds, crossings said several ways,
# Qiqihar's places, the other city's place sent to this one, coordinates as phones share them, vague places.
CASES2 = _cases("where_audit2.toml")
# Where follow-ups (session 26): the metro's 博物馆站 and HIT's names (工大 and 哈尔滨理工大学 were taken out at the merge).
CASES3 = _cases("where_audit_followups19.toml")


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


@pytest.mark.parametrize(("cases", "least"), [(CASES, 60), (CASES2, 50), (CASES3, 6)])
def test_audit_holds_enough_locations(cases: list[dict[str, Any]], least: int) -> None:
    assert len(cases) >= least
    written = [(c.get("address"), c.get("lat"), c.get("lon"), c.get("sent_to")) for c in cases]
    assert len(set(written)) == len(written), "each location once"


@pytest.mark.parametrize("case", [pytest.param(c, id=f"where{n:03d}") for n, c in enumerate(CASES)]
                         + [pytest.param(c, id=f"where2_{n:03d}") for n, c in enumerate(CASES2)]
                         + [pytest.param(c, id=f"where3_{n:03d}") for n, c in enumerate(CASES3)])
def test_tip_is_put_where_the_domain_says(case: dict[str, Any], province: Province) -> None:
    tip: dict[str, Any] = {"tip_id": "audit", "channel": "hotline", "reported_at": "2026-12-20T23:10:00+08:00", "text": "有人在外面"}
    tip.update({k: case[k] for k in ("address", "lat", "lon") if k in case})
    if "sent_to" in case:
        tip["centre"] = case["sent_to"]
    if "error" in case:
        with pytest.raises(RecordError) as info:
            parse_tip(tip, province.context_for(tip)[1])
        assert info.value.kind == case["error"], info.value.reason
        return
    centre, ctx = province.context_for(tip)
    assert centre == case.get("centre", centre)
    parsed = parse_tip(tip, ctx)
    report = tip_report(parsed, ctx, centre)
    if "place" in case:
        names = case["place"] if isinstance(case["place"], list) else [case["place"]]
        at = {(p.lat, p.lon) for p in ctx.city.places if p.name in names}
        assert at, f"{names} is no place of {centre}"
        assert (parsed.lat, parsed.lon) in at
    if "district" in case:
        assert report.district == case["district"]
    if "at" in case:
        assert (round(parsed.lat, 4), round(parsed.lon, 4)) == tuple(case["at"])

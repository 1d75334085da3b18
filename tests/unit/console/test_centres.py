"""The console keys every record it writes to a desk input by the dispatch centre it belongs to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.centres import CentreKeys
from core.settings import DATA_DIR
from rules.context import Province, load_province
from tests.unit.console.test_state import event


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


def test_incidents_and_teams_are_keyed_by_their_centre(province: Province) -> None:
    keys = CentreKeys(province)
    assert keys.of_incident(event("inc-h")) == "harbin"  # 45.77, 126.62: Daoli
    assert keys.of_incident(replace(event("inc-q"), lat=47.3485, lon=123.9455)) == "qiqihar"  # Longsha
    assert keys.of_team("T-longsha-2") == "qiqihar"
    assert keys.of_team("T-daoli-1") == "harbin"
    # nothing claims it: the record's own id, and the desk sends it home
    assert keys.of_incident(replace(event("inc-x"), lat=30.0, lon=100.0)) == "inc-x"
    assert keys.of_team("T-nowhere") == "T-nowhere"


def test_without_a_province_the_keys_are_the_records_ids() -> None:
    keys = CentreKeys()
    assert keys.of_incident(event("inc-h")) == "inc-h"
    assert keys.of_team("T-daoli-1") == "T-daoli-1"

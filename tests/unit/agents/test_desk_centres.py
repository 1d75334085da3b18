"""The desk agent's centres: each centre's state under its own keys, records routed to their centre."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.desk import Centres, CentreTable
from core import topics as names
from core.errors import RecordError
from core.settings import DATA_DIR
from rules.context import Province, load_province


@pytest.fixture(scope="module")
def province() -> Province:
    return load_province(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml",
                         {name: DATA_DIR / "cities" / name for name in ("harbin", "qiqihar")})


def test_each_centre_sees_and_writes_only_its_own_keys() -> None:
    shared: dict[str, Any] = {"harbin/incidents|a": 1, "qiqihar/incidents|a": 2, "harbinx/incidents|b": 3}
    harbin, qiqihar = CentreTable(shared, "harbin"), CentreTable(shared, "qiqihar")
    assert dict(harbin.items()) == {"incidents|a": 1}  # "harbinx/" is another centre
    qiqihar["teams|T"] = 4
    harbin.pop("incidents|a")
    assert shared == {"qiqihar/incidents|a": 2, "harbinx/incidents|b": 3, "qiqihar/teams|T": 4}


def test_records_go_to_the_centre_that_names_holds_or_issued_them(province: Province) -> None:
    centres = Centres(province, {}, {})

    def centre(short: str, obj: dict[str, Any], key: str | None = None) -> str:
        return centres.centre_of(short, json.dumps(obj).encode(), key)

    assert centre(names.REPORTS, {"report_id": "r", "centre": "qiqihar"}) == "qiqihar"
    assert centre(names.WEATHER, {"centre": "qiqihar", "temp_c": -20}) == "qiqihar"
    assert centre(names.WEATHER, {"region": "daoli", "temp_c": -20}) == "harbin"
    assert centre(names.TEAM_STATUS, {"team_id": "T-longsha-2", "lat": 0, "lon": 0}) == "qiqihar"
    # an operator's ack names no city's team: the desk that issued the task claims it
    centres.desk("qiqihar").event_index["inc-q-r1"] = "inc-q"
    assert centre(names.TASK_ACKS, {"event_id": "inc-q-r1", "team_id": "console", "status": "reassign"}) == "qiqihar"
    with pytest.raises(RecordError) as err:
        centre(names.WEATHER, {"temp_c": -20})  # two centres and nothing says which
    assert err.value.kind == "unknown_centre"


def test_a_dropped_centre_is_rebuilt_from_the_table_at_the_next_batch(province: Province) -> None:
    table: dict[str, Any] = {}
    centres = Centres(province, table, {})
    desk = centres.desk("harbin")
    desk.event_index["inc-h-r1"] = "inc-h"
    desk.touch("event_index", "inc-h-r1")
    for key, value in desk.take_dirty():
        CentreTable(table, "harbin")[key] = value
    desk.event_index["unsaved-r1"] = "unsaved"  # in memory only: never written
    centres.drop()
    assert centres.desk("harbin") is desk, "a batch under way keeps its desk"
    centres.begin_batch()
    rebuilt = centres.desk("harbin")
    assert rebuilt is not desk and rebuilt.event_index == {"inc-h-r1": "inc-h"}
    assert centres.desk("qiqihar").event_index == {}

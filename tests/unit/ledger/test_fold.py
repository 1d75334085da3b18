from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from core.errors import RecordError
from core.records import DispatchEvent
from ledger.fold import cold_wave_of, fold_incident, parse_dispatch
from tests.unit.ledger.builders import T0, event, incident_story


def events(story: list[dict]) -> list[DispatchEvent]:
    return [DispatchEvent.from_dict(e) for e in story]


def test_fold_reads_times_outcome_and_escalations() -> None:
    row = fold_incident(events(incident_story("i", T0, escalations=2, outcome="refused_supplies_given", level="orange")))
    assert row["first_report_at"] == "2026-12-20T11:00:00+00:00"
    assert row["dispatched_at"] == "2026-12-20T11:05:00+00:00"
    assert row["on_scene_at"] == "2026-12-20T11:12:00+00:00"
    assert row["resolved_at"] == "2026-12-20T11:40:00+00:00"
    assert (row["outcome"], row["escalations"], row["cold_wave"], row["last_revision"]) == ("refused_supplies_given", 2, "orange", 6)
    assert row["team_id"] == "T2"


def test_fold_ignores_order_and_duplicates() -> None:
    story = events(incident_story("i", T0, escalations=1))
    shuffled = story + story[:2]
    random.Random(3).shuffle(shuffled)
    assert fold_incident(shuffled) == fold_incident(story)


def test_the_incident_keeps_the_centre_its_events_name_and_none_for_older_events() -> None:
    story = events(incident_story("i", T0))
    assert fold_incident(story)["centre"] == ""  # written before the desk named its centre
    named = [replace(e, centre="qiqihar") for e in story]
    assert fold_incident(named)["centre"] == "qiqihar"
    assert fold_incident([*story[:1], *named[1:]])["centre"] == "qiqihar"


def test_an_open_incident_has_no_outcome_and_a_queued_one_no_dispatch_time() -> None:
    queued = DispatchEvent.from_dict(event("q", 1, "queued", T0, status="queued"))
    row = fold_incident([queued])
    assert (row["dispatched_at"], row["on_scene_at"], row["outcome"], row["status"]) == (None, None, None, "queued")


def test_outcome_and_cold_wave_readers() -> None:
    resolved = DispatchEvent.from_dict(event("i", 3, "resolved", T0 + timedelta(hours=1), reason="resolved by 王: 调度: taken_to_station"))
    assert resolved.outcome_code() == "taken_to_station"  # written before events carried the field: the reason's tail
    assert DispatchEvent.from_dict(event("i", 3, "resolved", T0, reason="resolved by console")).outcome_code() is None
    fielded = DispatchEvent.from_dict(event("i", 3, "resolved", T0, reason="resolved by 王: a note: with colons", outcome="refused"))
    assert fold_incident([fielded])["outcome"] == "refused"
    assert cold_wave_of(("night", "cold_wave:yellow", "cold_wave:red", "cold_wave:bogus")) == "red"
    assert cold_wave_of(()) == "none"


@pytest.mark.parametrize(
    "data",
    [[], {"event_id": "x"}, {"event_id": "x", "incident_id": "i", "kind": "k", "revision": 1, "at": "2026-01-01T00:00:00", "lat": 1, "lon": 1}],
)
def test_parse_dispatch_refuses_what_it_cannot_fold(data: object) -> None:
    with pytest.raises(RecordError):
        parse_dispatch(data)

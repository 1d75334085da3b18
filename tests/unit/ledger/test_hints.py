from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.records import DispatchEvent
from geo.distance import offset_latlon
from ledger.hints import task_hint, task_teams
from ledger.profile import Sighting
from tests.unit.ledger.builders import BASE, T0, event
from tests.unit.ledger.test_match import POLICY, TZ, profile


def dispatch(kind: str = "dispatch", team: str | None = "T1", east_m: float = 30.0, **over: object) -> DispatchEvent:
    lat, lon = offset_latlon(BASE[0], BASE[1], east_m, 0.0)
    fields = {"team_id": team, "status": "assigned", "lat": lat, "lon": lon, "first_report_at": T0, "flags": ("elderly",), "text": "老大爷穿军大衣", **over}
    return DispatchEvent.from_dict(event("inc-9", 1, kind, T0 + timedelta(minutes=5), **fields))


def test_only_events_that_hand_a_task_to_a_team_get_a_hint() -> None:
    assert task_teams(dispatch()) == ("T1",)
    assert task_teams(dispatch("escalation", "T2")) == ("T2",)
    assert task_teams(dispatch("update")) == ()
    assert task_teams(dispatch(team=None)) == ()
    assert task_teams(dispatch("support", "T1", unit_role="support", unit_team_id="T7")) == ("T7",)


def test_the_likely_file_as_a_team_may_see_it() -> None:
    known = profile("P-1", refusals=2, health_notes="diabetic", languages="只说方言", needs="insulin", risk_notes="drinks", flags=("intoxicated",))
    hint = task_hint(dispatch(), "T1", [], [known, profile("P-far", east_m=900)], POLICY, TZ)
    assert hint is not None
    assert (hint.hint_id, hint.team_id, hint.incident_id, hint.task_event_id, hint.person_id) == ("inc-9-r1-known-T1", "T1", "inc-9", "inc-9-r1", "P-1")
    assert hint.linked is False and hint.score is not None and hint.score > POLICY.match_min_score
    assert hint.what_helps == (
        "refused help 2 time(s) / 已拒绝救助2次", "health: diabetic", "risk: drinks", "needs: insulin", "languages: 只说方言", "seen before as / 曾见: intoxicated",
    )  # fmt: skip
    assert hint.usual.startswith("usually within 30 m of here, 19:00-20:00 (met 3 time(s))")
    assert hint.at == T0 + timedelta(minutes=5)  # event time: a replay makes the same hint


def test_a_linked_file_wins_and_nobody_known_means_no_hint() -> None:
    linked = profile("P-linked", east_m=2000)
    hint = task_hint(dispatch(), "T1", [linked], [linked, profile("P-1")], POLICY, TZ)
    assert hint is not None and hint.person_id == "P-linked" and hint.linked is True and hint.score is None
    assert hint.hint_id == "inc-9-r1-file-P-linked-T1"  # its own id: never dropped as a resend of the suggestion
    # A link made later on the console: the team's task and the time of the link.
    later = task_hint(dispatch(), "T3", [linked], [linked], POLICY, TZ, task_event_id="inc-9-r4", at=T0 + timedelta(hours=1))
    assert later is not None and (later.hint_id, later.task_event_id, later.at) == ("inc-9-r4-file-P-linked-T3", "inc-9-r4", T0 + timedelta(hours=1))
    assert task_hint(dispatch(), "T1", [], [profile("P-far", east_m=900)], POLICY, TZ) is None
    # Two files fit about as well: the ledger does not guess.
    assert task_hint(dispatch(), "T1", [], [profile("P-1"), profile("P-2", east_m=10)], POLICY, TZ) is None


def test_a_sighting_dated_past_the_hint_is_no_habit_yet() -> None:
    """One contact of the file dated next year at 10:00 (a forged or mis-dated event the ledger stored) was counted in
    "where and when the person tends to be": the team read "usually 10:00-20:00", met 4 times. A hint knows the file as
    of its own time, up to the policy's max_ahead_min past it (a report the desk took that far ahead)."""
    lat, lon = offset_latlon(BASE[0], BASE[1], 0.0, 0.0)
    usual = profile("P-1")
    skewed = replace(usual, sightings=(*usual.sightings, Sighting(lat, lon, T0 + timedelta(days=365, hours=-9))))
    for linked in ([skewed], []):
        hint = task_hint(dispatch(), "T1", linked, [skewed], POLICY, TZ)
        assert hint is not None and hint.usual.endswith("19:00-20:00 (met 3 time(s)) / 常在此处30米内出现，19:00-20:00")
    soon = replace(usual, sightings=(*usual.sightings, Sighting(lat, lon, T0 + timedelta(minutes=60))))  # within max_ahead
    hint = task_hint(dispatch(), "T1", [soon], [soon], POLICY, TZ)
    assert hint is not None and "(met 4 time(s))" in hint.usual

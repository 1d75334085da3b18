"""The desk's event clock: what moves it, and how far a record may be from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from core.errors import RecordError
from core.records import Report
from rules.context import Context
from rules.desk import Desk
from tests.unit.rules.deskkit import EVENING, TZ, team, team_status

FAR = datetime(2099, 6, 1, 12, 0, tzinfo=TZ)


def test_a_far_future_first_record_on_a_fresh_desk_gives_way_to_the_first_tick(desk: Desk, report: Callable[..., Report]) -> None:
    """Nothing bounds a fresh desk's first record; stamped 2099 it held the clock there and every report of tonight was stale."""
    team(desk, "near", 300, at=FAR)
    assert desk.now == FAR
    desk.handle_tick(EVENING)
    assert desk.now == EVENING and desk.tick == EVENING
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=1)))
    assert out.events and out.events[0].at == EVENING + timedelta(minutes=1)


def test_only_the_first_tick_sets_the_clock_back(desk: Desk) -> None:
    desk.handle_tick(EVENING)
    team(desk, "near", 300, at=EVENING + timedelta(minutes=30))
    desk.handle_tick(EVENING - timedelta(hours=5))
    assert desk.now == EVENING + timedelta(minutes=30), "event time only moves forward once the desk has a tick"


def test_a_record_a_little_ahead_of_a_fresh_desks_records_keeps_the_clock_at_the_first_tick(desk: Desk) -> None:
    team(desk, "near", 300, at=EVENING + timedelta(minutes=30))
    desk.handle_tick(EVENING)
    assert desk.now == EVENING + timedelta(minutes=30), "within max_ahead_min of the tick: nothing to correct"


def test_records_cannot_walk_the_clock_forward_without_ticks(desk: Desk, report: Callable[..., Report]) -> None:
    """Each record within max_ahead_min (60) of the one before moved the clock on: 50 records, 50 hours."""
    desk.handle_tick(EVENING)
    team(desk, "a", 300, at=EVENING + timedelta(minutes=50))
    with pytest.raises(RecordError) as refused:
        team(desk, "b", 400, at=EVENING + timedelta(minutes=100))
    assert refused.value.kind == "future_time" and "clock tick" in str(refused.value)
    with pytest.raises(RecordError):
        desk.handle_report(report(at=EVENING + timedelta(minutes=100)))
    desk.handle_tick(EVENING + timedelta(minutes=45))
    team(desk, "b", 400, at=EVENING + timedelta(minutes=100))  # the clock has come on: taken
    assert desk.now == EVENING + timedelta(minutes=100)


def test_the_latest_tick_is_kept_in_the_state(desk: Desk, ctx: Context) -> None:
    desk.handle_tick(EVENING)
    team(desk, "a", 300, at=EVENING + timedelta(minutes=20))
    restarted = Desk(ctx, "harbin")
    restarted.load_entries(desk.take_dirty())
    assert restarted.tick == EVENING and restarted.now == EVENING + timedelta(minutes=20)
    with pytest.raises(RecordError):
        team(restarted, "b", 400, at=EVENING + timedelta(minutes=70))


def test_a_record_stamped_ahead_of_the_tick_does_not_bring_other_deadlines_forward(desk: Desk, report: Callable[..., Report]) -> None:
    """A team's status from a phone set an hour fast (admitted: within max_ahead_min) moved the desk's clock, and the next
    tick judged every deadline by it: a task escalated and its team marked unresponsive up to an hour early."""
    desk.handle_tick(EVENING)
    team(desk, "a", 300)
    out = desk.handle_report(report(at=EVENING))
    deadline = desk.incidents[out.events[0].incident_id].ack_deadline
    assert deadline is not None and deadline > EVENING + timedelta(minutes=2)
    team(desk, "b", 900, at=EVENING + timedelta(minutes=59))  # an hour fast
    assert desk.now == EVENING + timedelta(minutes=59)
    joined = desk.handle_report(report(at=EVENING + timedelta(minutes=2))).events  # a second caller: the same person
    assert joined and joined[-1].incident_id == out.events[0].incident_id
    quiet = desk.handle_tick(EVENING + timedelta(minutes=1))
    assert not [e for e in quiet.events if e.escalate_to], "nothing was due at the clock's 19:01"
    assert desk.teams["a"].status == "available" and desk.incidents[out.events[0].incident_id].team_id == "a"
    tick = EVENING + timedelta(minutes=1)
    escalated = []
    while not escalated and tick <= deadline + timedelta(minutes=1):
        tick += timedelta(minutes=1)
        escalated = [e for e in desk.handle_tick(tick).events if e.escalate_to]
    assert escalated, "the deadline still fires, on the tick that reaches it"
    assert deadline - timedelta(minutes=1) <= tick <= deadline
    assert all(e.at >= joined[-1].at for e in escalated), "stamped at the desk's clock: an incident's events never go back in time"


def test_a_new_teams_first_status_from_days_ago_is_refused(desk: Desk) -> None:
    """A status a week old (a phone's stale outbox, a wrong date) put a team on duty and tonight's tasks went to it."""
    desk.handle_tick(EVENING)
    with pytest.raises(RecordError) as refused:
        team(desk, "old", 300, at=EVENING - timedelta(days=7))
    assert refused.value.kind == "stale_time" and "old" not in desk.teams
    team(desk, "a", 300, at=EVENING - timedelta(hours=2))  # within max_behind_h: taken
    team(desk, "a", 300, at=EVENING - timedelta(days=7))  # a known team's older status is ignored, as before
    assert desk.teams["a"].at == EVENING - timedelta(hours=2)


def test_one_clock_tick_dated_far_ahead_neither_escalates_everything_nor_locks_tonight_out(desk: Desk, report: Callable[..., Report]) -> None:
    """A tick dated 2099 on the clock topic (forged, or a host whose clock jumped) made every deadline pass at once and
    left the desk there: every report of tonight was refused as stale, for good. It is held, not taken on its word."""
    desk.handle_tick(EVENING)
    team(desk, "a", 300)
    first = desk.handle_report(report(at=EVENING)).events[0]
    held = desk.clock_tick(FAR)
    assert not held.events and not held.tasks, "nothing escalated at the forged tick"
    assert desk.now == EVENING and desk.tick == EVENING and desk.ahead == FAR
    assert desk.incidents[first.incident_id].team_id == "a" and desk.teams["a"].status == "available"
    desk.clock_tick(EVENING + timedelta(minutes=1))  # the live clock goes on, and lets go of the held tick
    assert desk.ahead is None and desk.tick == EVENING + timedelta(minutes=1)
    out = desk.handle_report(report(at=EVENING + timedelta(minutes=2), east_m=3000))
    assert out.events and out.events[0].incident_id != first.incident_id, "tonight's next caller is taken"
    restarted = Desk(desk.ctx, "harbin")
    desk.clock_tick(FAR)
    restarted.load_entries(desk.take_dirty())
    assert restarted.ahead == FAR, "the held tick is kept in the state"


def test_a_tick_far_ahead_after_the_clock_stopped_is_taken_with_the_first_record_dated_near_it(
        desk: Desk, report: Callable[..., Report]) -> None:
    """The live clock stopped for three hours: its next tick is held, and the first record of the new time brings the
    desk there, the tick's deadlines first, then the record (nothing of it is refused as future_time)."""
    desk.handle_tick(EVENING)
    team(desk, "a", 300)
    first = desk.handle_report(report(at=EVENING)).events[0]
    later = EVENING + timedelta(hours=3)
    assert not desk.clock_tick(later).events and desk.now == EVENING
    out = desk.handle_team_status(team_status("b", 900, at=later + timedelta(seconds=20)))
    assert desk.tick == later and desk.ahead is None and "b" in desk.teams
    assert any(e.incident_id == first.incident_id and e.escalate_to for e in out.events), "the held tick's deadlines fired"
    assert desk.handle_report(report(at=later + timedelta(minutes=1), east_m=3000)).events



def test_a_flood_of_ticks_bringing_nothing_new_is_not_walked_again_and_deadlines_still_fire(
        desk: Desk, report: Callable[..., Report], monkeypatch: pytest.MonkeyPatch) -> None:
    """Any producer can write the clock topic. Every tick walked the desk whole (deadlines, queue, referrals, weather,
    retention): with 400 open incidents 2.5-5 ms a tick, so 2 000 ticks repeating one time (or going back, or a
    microsecond apart) held the desk 4-11 s. A tick under a second after the last one taken, with nothing changed since,
    changes nothing and is passed over; a record in between, or a tick a second on, is taken in full."""
    desk.handle_tick(EVENING)
    team(desk, "a", 300)
    first = desk.handle_report(report(at=EVENING)).events[0]
    deadline = desk.incidents[first.incident_id].ack_deadline
    assert deadline is not None
    walks = []
    real = desk.handle_tick
    monkeypatch.setattr(desk, "handle_tick", lambda at: walks.append(at) or real(at))
    settled = EVENING + timedelta(minutes=1)
    desk.clock_tick(settled)
    for n in range(2000):
        desk.clock_tick(settled - timedelta(minutes=n % 3) + timedelta(microseconds=n % 7))
    assert walks == [settled]
    team(desk, "b", 900, at=settled)  # a change: the next tick is walked
    desk.clock_tick(settled)
    assert len(walks) == 2
    escalated = []
    tick = settled
    while not escalated and tick <= deadline + timedelta(minutes=1):
        tick += timedelta(seconds=1)
        escalated = [e for e in desk.clock_tick(tick).events if e.escalate_to]
    assert escalated and tick <= deadline + timedelta(seconds=1), "each tick a second on is walked: the deadline fires"

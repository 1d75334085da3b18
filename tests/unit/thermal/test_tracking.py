"""Tracker: fixed-camera bbox association, drone ground association, stillness, state round-trip."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import RecordError
from core.records import Detection
from rules.context import Context
from thermal.tracking import Tracker

T0 = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)


def det(i: str, minutes: float, bbox=(100, 100, 20, 40), cam: str = "f1", lat=None, lon=None) -> Detection:
    return Detection(detection_id=i, camera_id=cam, captured_at=T0 + timedelta(minutes=minutes), bbox=bbox,
                     posture="lying", t_max_c=30.0, t_mean_c=5.0, score=0.9, lat=lat, lon=lon,
                     error_m=None if lat is None else 1.5)


def test_fixed_camera_still_person_accumulates_time() -> None:
    tr = Tracker()
    a = tr.update([det("a", 0)])[0]
    b = tr.update([det("b", 5, (102, 101, 20, 40))])[0]
    c = tr.update([det("c", 12, (101, 99, 21, 40))])[0]
    assert a.track_id == b.track_id == c.track_id
    assert a.still_s == 0.0 and b.still_s == 300.0 and c.still_s == 720.0


def test_moving_person_resets_stillness_and_other_camera_is_separate() -> None:
    tr = Tracker()
    tr.update([det("a", 0)])
    moved = tr.update([det("b", 1, (108, 100, 20, 40))])[0]  # centroid 8 px: same track, still (< half size)
    assert moved.still_s == 60.0
    far = tr.update([det("c", 2, (400, 300, 20, 40))])[0]
    assert far.track_id != moved.track_id and far.still_s == 0.0
    other = tr.update([det("d", 3, (100, 100, 20, 40), cam="f2")])[0]
    assert other.track_id not in (moved.track_id, far.track_id)


def test_drone_passes_associate_by_ground_position() -> None:
    tr = Tracker()
    first = tr.update([det("a", 0, cam="drone-1", lat=45.75, lon=126.64)])[0]
    # second pass by another drone, 1.5 m north, other pixels: same person, still
    second = tr.update([det("b", 10, (400, 50, 10, 20), cam="drone-2", lat=45.75 + 1.5 / 111_195, lon=126.64)])[0]
    assert second.track_id == first.track_id and second.still_s == 600.0
    # 30 m away: someone else
    third = tr.update([det("c", 11, cam="drone-2", lat=45.75 + 30 / 111_195, lon=126.64)])[0]
    assert third.track_id != first.track_id


def test_two_people_in_one_frame_get_two_tracks() -> None:
    tr = Tracker()
    out = tr.update([det("a", 0, (100, 100, 20, 40)), det("b", 0, (300, 100, 20, 40))])
    assert len({d.track_id for d in out}) == 2
    out2 = tr.update([det("c", 1, (301, 100, 20, 40)), det("d", 1, (99, 101, 20, 40))])
    assert out2[0].track_id == out[1].track_id and out2[1].track_id == out[0].track_id


def test_expiry_and_state_round_trip() -> None:
    tr = Tracker(max_gap_s=600)
    first = tr.update([det("a", 0)])[0]
    state = json.loads(json.dumps(tr.to_dict()))
    restored = Tracker.from_dict(state)
    again = restored.update([det("b", 5)])[0]
    assert again.track_id == first.track_id and again.still_s == 300.0
    late = restored.update([det("c", 30)])[0]  # 25 min gap > 10 min: a new track
    assert late.track_id != first.track_id and late.still_s == 0.0
    assert restored.update([]) == []


def test_a_frame_from_a_reset_clock_does_not_rewrite_a_sleepers_track() -> None:
    """A camera whose clock battery died dates its frames 2000-01-01. One such frame set the sleeper's track back 25
    years: the next true frame found it stale and began a new one (still_s 0: lying still 12 minutes never reached the
    10 that raise a welfare check to P2), or, seen a few metres off, re-anchored it in 2000 (still_s 25 years)."""
    lat0, lon0 = 45.76, 126.63
    off = 3.0 / 111_000.0  # 3 m north: the same person for the drone tracker, but a move
    for cam, here, there in (("f1", {}, {"bbox": (101, 100, 20, 40)}),
                             ("d1", {"lat": lat0, "lon": lon0}, {"lat": lat0 + off, "lon": lon0})):
        tr = Tracker()
        tr.update([det("a", 0, cam=cam, **here)])
        tr.update([det("b", 5, cam=cam, **here)])
        reset = dataclasses.replace(det("r", 0, cam=cam, **there), captured_at=datetime(2000, 1, 1, tzinfo=UTC))
        assert tr.update([reset])[0].still_s == 0.0
        later = tr.update([det("c", 12, cam=cam, **here)])[0]
        assert later.still_s == 720.0, cam


FAR = datetime(2099, 6, 1, 12, 0, tzinfo=UTC)  # a camera whose clock jumped forward


def seen(tr: Tracker, d: Detection, tick: datetime | None, max_ahead_min: float) -> Detection:
    """One frame as the thermal agent takes it: its time admitted against the latest tick, then tracked."""
    tr.admit(d.captured_at, tick, max_ahead_min)
    return tr.update([d])[0]


@pytest.mark.parametrize("ticked", [True, False], ids=["after a tick", "before any tick"])
def test_a_frame_from_a_clock_jumped_ahead_is_refused_and_the_sleepers_stillness_still_comes(ctx: Context, ticked: bool) -> None:
    """One frame dated 2099 re-anchored the camera's track there: every later, correctly dated frame was older than the
    track's last sighting and ignored, and lying still never reached the 10 minutes that raise a welfare check to P2.
    After a tick the tick bounds a frame; before any, the camera's latest frame bounds the next, as the desk's records
    bound each other until a tick (the agent had seen no tick yet: the 2099 frame was taken)."""
    policy = ctx.policy
    lat0, lon0 = 45.76, 126.63

    def tick(minute: int) -> datetime | None:
        return T0 + timedelta(minutes=minute) if ticked else None

    bound_by = "the thermal agent's clock tick" if ticked else "the camera's latest frame before any clock tick"
    for cam, here in (("f1", {}), ("d1", {"lat": lat0, "lon": lon0})):
        tr = Tracker()
        seen(tr, det("a", 0, cam=cam, **here), tick(0), policy.max_ahead_min)
        seen(tr, det("b", 5, cam=cam, **here), tick(0), policy.max_ahead_min)
        future = dataclasses.replace(det("x", 6, cam=cam, **here), captured_at=FAR)
        with pytest.raises(RecordError) as refused:
            seen(tr, future, tick(5), policy.max_ahead_min)
        reason = refused.value.reason
        assert refused.value.kind == "future_time", cam
        assert FAR.isoformat() in reason and (T0 + timedelta(minutes=5)).isoformat() in reason, reason
        assert bound_by in reason and "60 min" in reason, reason
        later = seen(tr, det("c", 12, cam=cam, **here), tick(10), policy.max_ahead_min)
        assert later.still_s == 720.0 and later.still_s >= policy.thermal.lying_still_min * 60, cam
        clocked = seen(tr, det("d", 16, cam=cam, **here), T0 + timedelta(minutes=15), policy.max_ahead_min)
        assert clocked.track_id == later.track_id and clocked.still_s == 960.0, "the clock coming (later) changes nothing"


def test_a_frame_within_the_bound_is_taken_and_one_past_it_refused() -> None:
    tr = Tracker()
    tr.admit(T0 + timedelta(minutes=60), T0, 60.0)  # an hour fast: taken, as the desk takes it
    with pytest.raises(RecordError, match="ahead of the thermal agent's clock tick"):
        tr.admit(T0 + timedelta(minutes=61), T0, 60.0)


def test_before_any_tick_every_frame_taken_moves_the_cameras_bound_and_an_hour_past_it_is_taken() -> None:
    """A frame without people is still the camera's latest (a street empty for 90 minutes, then a sleeper, is not
    refused), an older frame (a late retry) does not pull the bound back, and the bound is the desk's: 60 min is taken."""
    tr = Tracker()
    for minutes in range(0, 100, 10):
        tr.admit(T0 + timedelta(minutes=minutes), None, 60.0)
        assert tr.update([]) == []
    assert seen(tr, det("a", 150), None, 60.0).still_s == 0.0  # an hour past the empty frame at 90
    seen(tr, det("r", 5), None, 60.0)  # a late retry: taken, the bound stays at 150
    with pytest.raises(RecordError, match="ahead of the camera's latest frame before any clock tick"):
        tr.admit(T0 + timedelta(minutes=211), None, 60.0)
    tr.admit(T0 + timedelta(minutes=210), None, 60.0)


def test_a_camera_off_for_hours_before_any_tick_resumes_once_the_clock_confirms_the_time() -> None:
    """The next flight, three hours on, cannot be told from a clock jumped ahead while the clock is unknown: it is
    refused (a dead letter to replay). Once a tick confirms the time the tick alone bounds the camera: the same frame
    is taken, the last flight's tracks expire and the sleeper's stillness counts from there."""
    tr = Tracker()
    old = seen(tr, det("a", 0), None, 60.0)
    resumed = det("b", 180)
    with pytest.raises(RecordError) as refused:
        seen(tr, resumed, None, 60.0)
    assert refused.value.kind == "future_time"
    first = seen(tr, resumed, T0 + timedelta(minutes=179), 60.0)
    assert first.track_id != old.track_id and first.still_s == 0.0
    later = seen(tr, det("c", 192), T0 + timedelta(minutes=190), 60.0)
    assert later.track_id == first.track_id and later.still_s == 720.0


def test_a_cameras_first_frame_is_bound_by_nothing_and_the_first_tick_forgets_what_it_set_ahead() -> None:
    """A camera's first frame has nothing to be judged against before a tick; once a tick has come, a track or latest
    frame further ahead of it than the bound (set by a frame taken before the clock was known) is forgotten: the
    camera's true frames start it afresh."""
    tr = Tracker()
    seen(tr, dataclasses.replace(det("x", 0), captured_at=FAR), None, 60.0)
    assert seen(tr, det("a", 1), None, 60.0).still_s == 0.0, "before the tick the 2099 frame holds the track (no clock)"
    first = seen(tr, det("c", 6), T0 + timedelta(minutes=6), 60.0)
    assert first.still_s == 0.0 and tr.latest_at == first.captured_at
    later = seen(tr, det("d", 17), T0 + timedelta(minutes=16), 60.0)
    assert later.track_id == first.track_id and later.still_s == 660.0
    assert json.loads(json.dumps(tr.to_dict())) == tr.to_dict()


def test_the_cameras_latest_frame_survives_a_restart_and_an_older_state_takes_its_tracks_last_sighting() -> None:
    tr = Tracker()
    seen(tr, det("a", 0), None, 60.0)
    tr.admit(T0 + timedelta(minutes=30), None, 60.0)  # nobody in the last frame
    restored = Tracker.from_dict(json.loads(json.dumps(tr.to_dict())))
    assert restored.latest_at == T0 + timedelta(minutes=30)
    restored.admit(T0 + timedelta(minutes=90), None, 60.0)  # an hour past the latest frame, 90 min past the sighting
    older = {k: v for k, v in tr.to_dict().items() if k != "latest_at"}  # saved before the latest frame was kept
    upgraded = Tracker.from_dict(older)
    assert upgraded.latest_at == T0
    with pytest.raises(RecordError, match="ahead of the camera's latest frame"):
        upgraded.admit(FAR, None, 60.0)
    assert Tracker.from_dict({}).latest_at is None


def test_the_same_frames_and_ticks_decide_alike_straight_through_and_restored_frame_by_frame() -> None:
    """Decisions depend on the frames and ticks and their order only, never the wall clock: a night tracked in one
    tracker, and again as the agent does it (the tracker read from its saved state for every frame, saved only when
    the frame is taken), gives the same detections, refusals and final state, byte for byte."""
    lat0, lon0 = 45.76, 126.63
    here = {"cam": "d1", "lat": lat0, "lon": lon0}
    night: list[tuple[Detection, datetime | None]] = [
        (det("a", 0, **here), None), (dataclasses.replace(det("x", 2, **here), captured_at=FAR), None),
        (det("b", 4, **here), None), (det("c", 200, **here), None), (det("c", 200, **here), T0 + timedelta(minutes=199)),
        (det("d", 205, **here), T0 + timedelta(minutes=200)), (det("e", 400, **here), T0 + timedelta(minutes=201)),
        (det("f", 214, **here), T0 + timedelta(minutes=210)),
    ]

    def replay(restore: bool) -> str:
        tr, saved, out = Tracker(), Tracker().to_dict(), []
        for d, tick in night:
            if restore:
                tr = Tracker.from_dict(json.loads(json.dumps(saved)))
            try:
                out.append(seen(tr, d, tick, 60.0).to_dict())
            except RecordError as exc:
                out.append({"error": exc.kind, "reason": exc.reason})
                continue
            saved = tr.to_dict()
        return json.dumps([out, tr.to_dict() if not restore else saved], sort_keys=True, default=str)

    straight = replay(False)
    assert straight == replay(True) == replay(False)
    assert straight.count('"future_time"') == 3 and '"still_s": 840.0' in straight

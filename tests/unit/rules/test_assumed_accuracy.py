"""A position stated without its accuracy (DOMAIN "One person, one incident"): the channel's assumed uncertainty."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from core.records import Report
from geo.distance import haversine_m, offset_latlon
from rules.context import Context
from rules.desk import Desk
from rules.intake import detection_report, parse_detection, parse_tip, tip_report
from tests.unit.rules.deskkit import CENTRE, EVENING, team


def _tip(ctx: Context, n: int, east_m: float, minutes: float, **fields: Any) -> Report:
    lat, lon = offset_latlon(*CENTRE, east_m, 0)
    body = {"tip_id": f"tip-{n}", "channel": "hotline", "reported_at": (EVENING + timedelta(minutes=minutes)).isoformat(),
            "lat": round(lat, 6), "lon": round(lon, 6), "text": "", **fields}
    return tip_report(parse_tip(body, ctx), ctx)


def _detection(ctx: Context, east_m: float, **fields: Any) -> Report:
    lat, lon = offset_latlon(*CENTRE, east_m, 0)
    body = {"detection_id": "det-1", "camera_id": "cam-1", "captured_at": EVENING.isoformat(), "bbox": [10, 10, 20, 40],
            "posture": "sitting", "t_max_c": 30.0, "t_mean_c": 22.0, "score": 0.9, "lat": round(lat, 6), "lon": round(lon, 6),
            **fields}
    return detection_report(parse_detection(body, ctx), ctx)


def test_a_stated_accuracy_is_kept_and_a_missing_one_is_the_channels_assumed_one(ctx: Context) -> None:
    stated = _tip(ctx, 1, 0, 0, accuracy_m=35)
    assert stated.accuracy_m == 35 and not stated.uncertainty_assumed
    bare = _tip(ctx, 2, 0, 0)
    assert bare.uncertainty_assumed and bare.accuracy_m == ctx.policy.assumed_uncertainty_m["hotline"] > 0
    edited = replace(ctx, policy=replace(ctx.policy, assumed_uncertainty_m={"default": 70.0, "hotline": 400.0}))
    assert _tip(edited, 3, 0, 0, channel="courier").accuracy_m == 70.0  # a channel the table does not name: `default`
    assert _tip(edited, 4, 0, 0).accuracy_m == 400.0
    camera = _detection(ctx, 0)
    assert camera.uncertainty_assumed and camera.error_m == ctx.policy.assumed_uncertainty_m["thermal"] > 0
    assert _detection(ctx, 0, error_m=3).error_m == 3 and not _detection(ctx, 0, error_m=3).uncertainty_assumed
    # Stated on the record the desk and the ledger read (`reports`), so it survives the topic.
    assert Report.from_dict(bare.to_dict()) == bare


def test_a_hotline_tip_without_accuracy_300m_from_the_same_person_joins_its_incident(ctx: Context) -> None:
    desk = Desk(ctx, "harbin")
    team(desk, "a", 500)
    first = desk.handle_report(_tip(ctx, 1, 0, 0, channel="wechat", accuracy_m=20)).events[0]
    carrier = _tip(ctx, 2, 300, 5)  # the carrier's cell position, 300 m off the phone's fix
    joined = desk.handle_report(carrier).events[0]
    assert joined.incident_id == first.incident_id and joined.sources == ("tip-1", "tip-2")
    assert len([i for i in desk.incidents.values() if i.is_open]) == 1


def test_a_tip_without_accuracy_does_not_move_a_camera_placed_incident(ctx: Context) -> None:
    desk = Desk(ctx, "harbin")
    team(desk, "a", 500)
    camera = _detection(ctx, 0, error_m=5)
    first = desk.handle_report(camera).events[0]
    joined = desk.handle_report(_tip(ctx, 1, 120, 3)).events[0]
    assert joined.incident_id == first.incident_id
    incident = desk.incidents[first.incident_id]
    assert haversine_m(incident.lat, incident.lon, camera.lat, camera.lon) < 1.0 and incident.uncertainty_m == 5

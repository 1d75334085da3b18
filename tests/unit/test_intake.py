"""Raw payloads to records: every kind of bad input gets a clear reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.context import Context
from pipeline.errors import RecordError
from pipeline.intake import (
    parse_ack,
    parse_detection,
    parse_json,
    parse_team_status,
    parse_tip,
    parse_weather,
    tip_report,
)

GOOD = {"tip_id": "t1", "channel": "hotline", "reported_at": "2026-12-20T23:10:00+08:00", "lat": 45.7735, "lon": 126.6165,
        "text": "老人躺在地上，叫不醒"}


def tip(**changes: Any) -> dict[str, Any]:
    body = {**GOOD, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def test_good_tip_gets_flags_from_text_and_form(ctx: Context) -> None:
    parsed = parse_tip(tip(flags=["intoxicated"]), ctx)
    assert set(parsed.flags) == {"unresponsive", "elderly", "intoxicated"}
    report = tip_report(parsed, ctx)
    assert report.district and report.report_id == "t1" and report.source == "tip"


def test_address_resolves_through_the_gazetteer(ctx: Context) -> None:
    parsed = parse_tip(tip(lat=..., lon=..., address="哈尔滨站西出口附近"), ctx)
    place = ctx.gazetteer.resolve("哈尔滨站")
    assert place is not None and (parsed.lat, parsed.lon) == (place.lat, place.lon)
    english = parse_tip(tip(lat=..., lon=..., address="near Harbin Railway Station"), ctx)
    assert (english.lat, english.lon) == (place.lat, place.lon)


@pytest.mark.parametrize(
    ("changes", "kind", "needle"),
    [
        ({"channel": "pigeon"}, "unknown_channel", "unknown channel"),
        ({"channel": 7}, "wrong_type", "channel"),
        ({"lat": 40.0, "lon": 116.4}, "out_of_area", "outside the service area"),
        ({"lat": "north"}, "wrong_type", "lat: expected a number"),
        ({"lat": True}, "wrong_type", "lat: expected a number"),
        ({"lat": 500.0}, "out_of_area", "not coordinates"),
        ({"lat": ..., "lon": ..., "address": "火星路99号"}, "unknown_address", "unknown address"),
        ({"lat": ..., "lon": ...}, "missing_field", "neither lat/lon nor address"),
        ({"text": "冷" * 4000}, "too_large", "over 10000 bytes"),
        ({"text": 12}, "wrong_type", "text"),
        ({"reported_at": ...}, "missing_field", "reported_at"),
        ({"reported_at": "2026-12-20T23:10:00"}, "invalid", "no UTC offset"),
        ({"reported_at": "yesterday"}, "invalid", "not an ISO 8601 time"),
        ({"tip_id": ...}, "missing_field", "tip_id"),
        ({"tip_id": ["a"]}, "wrong_type", "tip_id"),
        ({"persons": 0}, "wrong_type", "persons"),
        ({"flags": "unresponsive"}, None, None),  # a comma list is accepted
        ({"flags": [1, 2]}, "wrong_type", "flags"),
    ],
)
def test_bad_tips_are_rejected_with_a_reason(ctx: Context, changes: dict[str, Any], kind: str | None, needle: str | None) -> None:
    if kind is None:
        assert "unresponsive" in parse_tip(tip(**changes), ctx).flags
        return
    with pytest.raises(RecordError) as info:
        parse_tip(tip(**changes), ctx)
    assert info.value.kind == kind and needle in info.value.reason


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_payloads(raw: bytes) -> None:
    with pytest.raises(RecordError) as info:
        parse_json(raw)
    assert info.value.kind == "malformed"


def test_unknown_flags_are_ignored_not_fatal(ctx: Context) -> None:
    assert parse_tip(tip(text="", flags=["sleepy", "minor"]), ctx).flags == ("minor",)


def test_weather_region_by_name_by_station_or_city(ctx: Context) -> None:
    region, obs = parse_weather({"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -12, "wind_ms": 4, "region": "daoli"}, ctx)
    assert region == "daoli" and obs.temp_c == -12  # type: ignore[union-attr]
    region, _ = parse_weather({"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -12, "wind_ms": 4, "lat": 45.7735, "lon": 126.6165}, ctx)
    assert region == ctx.index.locate(45.7735, 126.6165).district
    region, _ = parse_weather({"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -12, "wind_ms": 4}, ctx)
    assert region == "*"
    region, warning = parse_weather({"region": "nangang", "level": "orange", "issued_at": "2026-12-20T20:00:00+08:00"}, ctx)
    assert region == "nangang" and warning.level == "orange"  # type: ignore[union-attr]
    for bad in ({"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -12, "wind_ms": 4, "region": "atlantis"},
                {"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -120, "wind_ms": 4},
                {"region": "daoli", "level": "purple", "issued_at": "2026-12-20T20:00:00+08:00"}):
        with pytest.raises(RecordError):
            parse_weather(bad, ctx)


def test_team_status_and_acks(ctx: Context) -> None:
    status = parse_team_status({"team_id": "T1", "at": "2026-12-20T20:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
                                "capabilities": ["police", "medical"]}, ctx)
    assert status.capabilities == ("medical", "police")
    with pytest.raises(RecordError, match="unknown"):
        parse_team_status({"team_id": "T1", "at": "2026-12-20T20:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
                           "capabilities": ["flying"]}, ctx)
    ack = parse_ack({"event_id": "inc-1-r1", "team_id": "T1", "status": "resolved", "outcome": "escorted_to_station",
                     "at": "2026-12-20T20:00:00+08:00"})
    assert ack.status == "resolved" and ack.outcome == "escorted_to_station"
    with pytest.raises(RecordError, match="unknown status"):
        parse_ack({"event_id": "e", "team_id": "T1", "status": "maybe", "at": "2026-12-20T20:00:00+08:00"})


def test_detection_needs_a_ground_position(ctx: Context) -> None:
    body = {"detection_id": "d1", "camera_id": "c1", "captured_at": "2026-12-20T20:00:00+08:00", "bbox": [1, 2, 3, 4], "posture": "lying",
            "t_max_c": 31, "t_mean_c": 20, "score": 0.8, "lat": 45.76, "lon": 126.63}
    assert parse_detection(body, ctx).posture == "lying"
    with pytest.raises(RecordError, match="no ground position"):
        parse_detection({**body, "lat": None}, ctx)
    with pytest.raises(RecordError, match="bbox"):
        parse_detection({**body, "bbox": [1, 2]}, ctx)
    assert json.loads(json.dumps(body))  # the fixture itself is plain JSON

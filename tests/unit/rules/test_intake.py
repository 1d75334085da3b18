"""Raw payloads to records: every kind of bad input gets a clear reason."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from core.errors import RecordError
from core.records import FLAGS, WeatherObservation, WeatherWarning, from_iso
from rules.context import Context
from rules.desk import Desk
from rules.intake import (
    MAX_FLAG_ITEMS,
    detection_report,
    parse_ack,
    parse_command,
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


def test_nul_characters_in_text_and_address_are_dropped_the_tip_kept(ctx: Context) -> None:
    """A NUL (\\u0000) is valid JSON but no PostgreSQL text can hold one: the ledger feeder died on the incident's text."""
    parsed = parse_tip(parse_json(raw_tip(text="老人躺在地上\u0000，叫不醒\u0000\u0000", lat=..., lon=..., address="哈尔滨站\u0000西出口")), ctx)
    assert parsed.text == "老人躺在地上，叫不醒" and parsed.address == "哈尔滨站西出口"
    assert set(parsed.flags) >= {"unresponsive", "elderly"}


def test_terminal_escapes_and_bidi_overrides_are_dropped_from_what_is_shown(ctx: Context) -> None:
    """A right-to-left override showed the rest of a tip backwards on the console (an address, a call-back number), and
    an escape sequence reached operators' terminals through the logs; line breaks and tabs are words' layout and stay."""
    text = "老人躺在\u202e站车火\u202c地上\x1b[2J，叫不醒\n第二行\t完"
    parsed = parse_tip(parse_json(raw_tip(text=text, lat=..., lon=..., address="\u2067哈尔滨站\u2069西出口\x07")), ctx)
    assert parsed.text == "老人躺在站车火地上[2J，叫不醒\n第二行\t完" and parsed.address == "哈尔滨站西出口"
    assert set(parsed.flags) >= {"unresponsive", "elderly"}


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


def test_a_tip_at_the_end_of_the_day_is_kept_as_the_next_midnight(ctx: Context) -> None:
    """`T24:00:00` (ISO 8601's end of a day) dead-lettered the tip as `invalid`."""
    parsed = parse_tip(tip(reported_at="2026-12-20T24:00:00+08:00"), ctx)
    assert parsed.reported_at.isoformat() == "2026-12-21T00:00:00+08:00"
    with pytest.raises(RecordError) as info:
        parse_tip(tip(reported_at="2026-12-20T24:00:01+08:00"), ctx)
    assert info.value.kind == "invalid" and info.value.reason.startswith("reported_at: not an ISO 8601 time")


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


def test_a_weather_station_with_half_a_position_is_refused_not_taken_for_the_whole_city(ctx: Context) -> None:
    """A station's lat without its lon (or the reverse) is a broken position, not "neither": its -40 °C is not the city's."""
    obs = {"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -40, "wind_ms": 20}
    for half in ({"lat": 45.7735}, {"lon": 126.6165}, {"lat": 45.7735, "lon": None}):
        with pytest.raises(RecordError) as refused:
            parse_weather({**obs, **half}, ctx)
        assert refused.value.kind == "missing_field" and "lat/lon" in refused.value.reason
    region, _ = parse_weather({**obs, "lat": None, "lon": None}, ctx)  # neither, written as nulls: the whole city
    assert region == "*"


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
    for bad in ([1, 2, float("inf"), 4], [1, 2, float("nan"), 4], [10**400, 2, 3, 4]):
        with pytest.raises(RecordError, match="bbox"):
            parse_detection({**body, "bbox": bad}, ctx)
    assert json.loads(json.dumps(body))  # the fixture itself is plain JSON


def test_a_detection_cannot_shrink_the_matching_radius_or_carry_junk_ids(ctx: Context, desk: Desk) -> None:
    """error_m -1e308 was taken: the incident's uncertainty went below nothing and a tip on the same spot opened a second incident."""
    body = {"detection_id": "d1", "camera_id": "c1", "captured_at": "2026-12-20T20:00:00+08:00", "bbox": [1, 2, 3, 4], "lat": 45.76, "lon": 126.63}
    for name, bad in (("error_m", -1e308), ("error_m", -5), ("still_s", -60)):
        with pytest.raises(RecordError, match=f"{name}: expected") as refused:
            parse_detection({**body, name: bad}, ctx)
        assert refused.value.kind == "wrong_type"
    for name, bad in (("track_id", ["a"]), ("track_id", "x" * 5000), ("frame", {"a": 1}), ("frame", "f\u202e\x00")):
        with pytest.raises(RecordError, match=name):
            parse_detection({**body, name: bad}, ctx)
    assert parse_detection({**body, "track_id": 7, "frame": "f-1"}, ctx).track_id == "7"
    seen = desk.handle_report(detection_report(parse_detection({**body, "error_m": 0.0}, ctx), ctx)).events[0]
    tip_body = tip(reported_at="2026-12-20T20:02:00+08:00", lat=45.76, lon=126.63, text="有人躺着")
    again = desk.handle_report(tip_report(parse_tip(tip_body, ctx), ctx)).events[0]
    assert again.incident_id == seen.incident_id


# --------------------------------------------------------------------------- bad inputs, one reason each


def raw_tip(**changes: Any) -> bytes:
    return json.dumps(tip(**changes), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (None, "empty payload"),
        (b"   \n", "empty payload"),
        (b"null", "got null"),
        (b"42", "got number"),
        (b'"tip"', "got string"),
        (b"true", "got boolean"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"lat": 1' + b"0" * 5000 + b"}", "number literal is too long"),
        (b'{"tip_id": "t1", "text": "\\ud800"}', "text: invalid Unicode"),
        (b'{"tip_id": "\\udfff"}', "tip_id: invalid Unicode"),
        (b'{"a": {"b": ["\\udc00"]}}', "a.b[0]: invalid Unicode"),
    ],
)
def test_malformed_payloads_name_the_problem(raw: bytes | None, needle: str) -> None:
    with pytest.raises(RecordError) as info:
        parse_json(raw)
    assert info.value.kind == "malformed" and needle in info.value.reason


def test_bom_and_valid_surrogate_pairs_are_fine(ctx: Context) -> None:
    assert parse_tip(parse_json(b"\xef\xbb\xbf" + raw_tip()), ctx).tip_id == "t1"
    assert parse_json('\ufeff{"a": 1}') == {"a": 1}
    assert parse_json(b'{"text": "\\ud83d\\ude00"}') == {"text": "\U0001f600"}


@pytest.mark.parametrize(
    ("changes", "kind", "needle"),
    [
        ({"lat": 10**400}, "wrong_type", "lat: not a finite number"),
        ({"lat": float("nan")}, "wrong_type", "lat: not a finite number"),
        ({"lon": float("inf")}, "wrong_type", "lon: not a finite number"),
        ({"lat": {"v": 1}}, "wrong_type", "lat: expected a number, got object"),
        ({"lat": "nan"}, "wrong_type", "lat: expected a number"),
        ({"lat": "1_0"}, "wrong_type", "lat: expected a number"),
        ({"lat": 126.6165, "lon": 45.7735}, "out_of_area", "swapped"),
        ({"lat": 0, "lon": 0}, "out_of_area", "outside the service area"),
        ({"reported_at": "9999-12-31T23:59:59-12:00"}, "invalid", "reported_at: implausible time"),
        ({"reported_at": "0001-01-01T00:00:00+08:00"}, "invalid", "reported_at: implausible time"),
        ({"reported_at": "0000-01-01T00:00:00+00:00"}, "invalid", "reported_at: not an ISO 8601 time"),
        ({"reported_at": 1766243400}, "invalid", "reported_at: expected an ISO 8601 string, got number"),
        ({"reported_at": None}, "missing_field", "reported_at: missing"),
        ({"tip_id": ""}, "missing_field", "tip_id: empty"),
        ({"tip_id": "   "}, "missing_field", "tip_id: empty"),
        ({"tip_id": True}, "wrong_type", "tip_id: expected a non-empty string, got boolean"),
        ({"tip_id": 1.5}, "wrong_type", "tip_id: expected a non-empty string, got number"),
        ({"tip_id": "x" * 201}, "wrong_type", "tip_id: longer than 200"),
        ({"tip_id": "a\nb"}, "wrong_type", "tip_id: contains control"),
        ({"persons": -1}, "wrong_type", "persons"),
        ({"persons": 2.5}, "wrong_type", "persons"),
        ({"persons": 10**30}, "wrong_type", "persons"),
        ({"persons": "two"}, "wrong_type", "persons"),
        ({"persons": "²"}, "wrong_type", "persons"),
        ({"persons": "9" * 5000}, "wrong_type", "persons"),
        ({"persons": True}, "wrong_type", "persons: expected a whole number 1..50, got boolean"),
        ({"persons": 51}, "wrong_type", "persons"),
        ({"flags": {"minor": True}}, "wrong_type", "flags: expected a list of strings, got object"),
        ({"flags": 3}, "wrong_type", "flags: expected a list of strings, got number"),
        ({"flags": ["minor", None]}, "wrong_type", "flags: expected a list of strings, item 1 is null"),
        ({"flags": [["minor"]]}, "wrong_type", "item 0 is array"),
        ({"text": ["a"]}, "wrong_type", "text: expected a string, got array"),
        ({"text": "a" * 10001}, "too_large", "text: over 10000 bytes (10001)"),
        ({"text": "冷" * 3334}, "too_large", "text: over 10000 bytes (10002)"),
        ({"lat": ..., "lon": ..., "address": {"street": "中央大街"}}, "wrong_type", "address: expected a string, got object"),
        ({"lat": ..., "lon": ..., "address": "街" * 4000}, "too_large", "address: over 10000 bytes"),
        ({"lat": ..., "lon": ..., "address": "   "}, "missing_field", "neither lat/lon nor address"),
        ({"lat": 0, "lon": 0, "address": "火星路99号"}, "out_of_area", "address: unknown address"),
        ({"channel": ""}, "missing_field", "channel: empty"),
        ({"channel": None}, "missing_field", "channel: missing"),
        ({"channel": ["hotline"]}, "wrong_type", "channel: expected a string, got array"),
        ({"channel": "tiktok"}, "unknown_channel", "channel: unknown channel 'tiktok'"),
    ],
)
def test_more_bad_tips_are_rejected_with_a_reason(ctx: Context, changes: dict[str, Any], kind: str, needle: str) -> None:
    with pytest.raises(RecordError) as info:
        parse_tip(parse_json(raw_tip(**changes)), ctx)
    assert info.value.kind == kind and needle in info.value.reason, info.value.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"text": "a" * 10000},  # exactly at the limit (bytes)
        {"text": "冷" * 3333},
        {"text": None},
        {"text": ""},
        {"persons": 50},
        {"flags": []},
        {"reported_at": "2026-12-20T15:10:00Z"},
        {"foo": {"bar": [1, 2]}},  # unknown fields are ignored
    ],
)
def test_edge_values_that_are_fine(ctx: Context, changes: dict[str, Any]) -> None:
    parsed = parse_tip(parse_json(raw_tip(**changes)), ctx)
    assert parsed.tip_id == "t1"
    tip_report(parsed, ctx).to_json()


def test_lenient_spellings_of_valid_values(ctx: Context) -> None:
    parsed = parse_tip(tip(lat="45.7735", lon=" 126.6165 ", persons=2.0, tip_id=12, channel=" Taxi Driver "), ctx)
    assert (parsed.lat, parsed.lon, parsed.persons, parsed.tip_id, parsed.channel) == (45.7735, 126.6165, 2, "12", "driver")
    assert parse_tip(tip(persons="3"), ctx).persons == 3
    assert parse_tip(tip(channel="外卖骑手"), ctx).channel == "courier"


def test_form_flags_are_normalized_and_free_words_read_as_text(ctx: Context) -> None:
    parsed = parse_tip(tip(text="", flags=["No ID", "Domestic-Violence", " MINOR ", "drunk", "老人", "sleepy"]), ctx)
    assert parsed.flags == ("minor", "elderly", "no_id", "domestic_violence", "intoxicated")
    assert parse_tip(tip(text="", flags="elderly，minor、robbed"), ctx).flags == ("minor", "elderly", "robbed")
    assert parse_tip(tip(text="", flags=["not drunk"]), ctx).flags == ()
    assert parse_tip(tip(text="", flags=["not_drunk", "no", "drunk_driver"]), ctx).flags == ("intoxicated",)
    long_words = [f"word{i}" + "x" * 200 for i in range(MAX_FLAG_ITEMS - 1)]  # 20 kB of free words
    many = parse_tip(tip(text="", flags=[*long_words, "zz wheelchair"]), ctx)
    assert many.flags == ()  # free words are read only up to the text size limit
    assert parse_tip(tip(text="", flags=[*long_words[:10], "zz wheelchair"]), ctx).flags != ()


def test_unusable_coordinates_fall_back_to_the_address(ctx: Context) -> None:
    station = ctx.gazetteer.resolve("哈尔滨站")
    assert station is not None
    for changes in ({"lat": 0, "lon": 0}, {"lat": "n/a", "lon": "n/a"}, {"lon": None}, {"lat": 39.9, "lon": 116.4}):
        parsed = parse_tip(tip(address="哈尔滨站", **changes), ctx)
        assert (parsed.lat, parsed.lon) == (station.lat, station.lon), changes


def test_coordinates_win_over_a_disagreeing_address(ctx: Context) -> None:
    parsed = parse_tip(tip(address="哈尔滨东站"), ctx)
    assert (parsed.lat, parsed.lon) == (GOOD["lat"], GOOD["lon"]) and parsed.address == "哈尔滨东站"


def test_persons_from_text_when_the_form_has_none(ctx: Context) -> None:
    assert parse_tip(tip(text="桥下有两个人，一个喝醉了"), ctx).persons == 2
    assert parse_tip(tip(text="一家三口在候车室外"), ctx).persons == 3
    assert parse_tip(tip(text="two men sleeping in the underpass", persons=1), ctx).persons == 1  # the form wins
    assert parse_tip(tip(text="60 people at the square"), ctx).persons is None  # over max_persons: not a head count


def test_other_records_get_the_same_time_checks(ctx: Context) -> None:
    with pytest.raises(RecordError, match="captured_at: missing"):
        parse_detection({"detection_id": "d1", "camera_id": "c1", "bbox": [1, 2, 3, 4], "lat": 45.76, "lon": 126.63}, ctx)
    with pytest.raises(RecordError, match="implausible"):
        parse_ack({"event_id": "e", "team_id": "T1", "status": "accepted", "at": "1900-01-01T00:00:00+08:00"})


def test_mutated_tips_never_raise_anything_but_record_errors(ctx: Context) -> None:
    """Seeded mutation of a good tip: each result is a report or a RecordError with a kind, never a crash."""
    import random

    rng = random.Random(7)
    body = {**GOOD, "address": "哈尔滨站", "persons": 2, "flags": ["elderly"]}
    values: list[Any] = [None, True, 0, -1, 2**63, 10**30, 1.5, float("nan"), float("inf"), "", " ", "45.77", "nan", "\ud800",
                         "哈爾濱站", "2026-12-20T23:10:00", "9999-12-31T23:59:59+14:00", [], [None], ["a"], {}, {"a": 1},
                         "a" * 300, "冷" * 4000, "\x00", "ｈｏｔｌｉｎｅ", "no id, drunk"]
    kinds = set()
    for _ in range(1500):
        mutated = dict(body)
        for _ in range(rng.randint(1, 4)):
            key = rng.choice([*body, "extra"])
            if rng.random() < 0.2:
                mutated.pop(key, None)
            else:
                mutated[key] = rng.choice(values)
        raw = json.dumps(mutated, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
        if rng.random() < 0.05:
            raw = raw[: rng.randint(0, len(raw))]
        try:
            tip_report(parse_tip(parse_json(raw), ctx), ctx).to_json()
            kinds.add("ok")
        except RecordError as exc:
            assert exc.reason and (exc.kind != "invalid" or exc.reason.startswith("reported_at")), exc.reason
            kinds.add(exc.kind)
    assert {"ok", "malformed", "wrong_type", "missing_field", "invalid"} <= kinds


def test_position_uncertainty_and_description_travel_with_the_report(ctx: Context) -> None:
    phone = tip_report(parse_tip(tip(accuracy_m=35, sex="female", age_group="elderly"), ctx), ctx)
    assert (phone.accuracy_m, phone.sex, phone.age_group) == (35, "female", "elderly")
    by_address = tip_report(parse_tip(tip(lat=..., lon=..., address="中央大街"), ctx), ctx)
    street = ctx.gazetteer.resolve("中央大街")
    assert street is not None and by_address.accuracy_m == street.extent_m > 0
    for bad in ({"accuracy_m": -1}, {"accuracy_m": "near"}, {"sex": "robot"}, {"age_group": 7}):
        with pytest.raises(RecordError):
            parse_tip(tip(**bad), ctx)


def test_weather_snow_flag(ctx: Context) -> None:
    _, obs = parse_weather({"observed_at": "2026-12-20T23:00:00+08:00", "temp_c": -15, "wind_ms": 3, "snow": True}, ctx)
    assert isinstance(obs, WeatherObservation) and obs.snow is True
    with pytest.raises(RecordError, match="snow"):
        parse_weather({"observed_at": "2026-12-20T23:00:00+08:00", "temp_c": -15, "wind_ms": 3, "snow": "lots"}, ctx)


@pytest.mark.parametrize(("field", "value", "snow"), [("road_ice", True, True), ("snowfall", True, True), ("snowfall", 2.5, True),
                                                     ("snowfall", 0, False), ("road_ice", False, False)])
def test_weather_snowfall_and_road_ice_slow_teams_like_snow(ctx: Context, field: str, value: object, snow: bool) -> None:
    _, obs = parse_weather({"observed_at": "2026-12-20T23:00:00+08:00", "temp_c": -15, "wind_ms": 3, field: value}, ctx)
    assert isinstance(obs, WeatherObservation) and obs.snow is snow
    with pytest.raises(RecordError, match=field):
        parse_weather({"observed_at": "2026-12-20T23:00:00+08:00", "temp_c": -15, "wind_ms": 3, field: "lots"}, ctx)


def test_description_from_the_text(ctx: Context) -> None:
    adult = tip_report(parse_tip(tip(text="一名男子躺在地上，昏迷不醒"), ctx), ctx)
    assert (adult.sex, adult.age_group, adult.posture) == ("male", "adult", "lying")
    old = tip_report(parse_tip(tip(text="市场门口有一个老大爷，看起来没地方去"), ctx), ctx)
    assert (old.sex, old.age_group) == ("male", None) and "elderly" in old.flags
    form = tip_report(parse_tip(tip(text="a woman sitting by the road", sex="male"), ctx), ctx)
    assert (form.sex, form.posture) == ("male", "sitting")  # the form wins over the text


def test_a_head_count_typed_full_width_is_read(ctx: Context) -> None:
    assert parse_tip(tip(persons="２"), ctx).persons == 2
    assert parse_tip(tip(persons=" １２ "), ctx).persons == 12


@pytest.mark.parametrize(("given", "sex", "age_group"), [({"sex": "男", "age_group": "老人"}, "male", "elderly"),
                                                        ({"sex": "F", "age_group": "儿童"}, "female", "minor"),
                                                        ({"sex": "ＦＥＭＡＬＥ", "age_group": "成年人"}, "female", "adult")])
def test_the_forms_sex_and_age_group_in_other_spellings(ctx: Context, given: dict[str, str], sex: str, age_group: str) -> None:
    parsed = parse_tip(tip(text="桥下有人", **given), ctx)
    assert (parsed.sex, parsed.age_group) == (sex, age_group)


@pytest.mark.parametrize(("age_group", "category", "priority"), [("minor", "escort_station", "P2"), ("elderly", "guidance", "P2"),
                                                                 ("adult", "guidance", "P3")])
def test_the_forms_age_group_is_the_minor_or_elderly_flag(ctx: Context, age_group: str, category: str, priority: str) -> None:
    from rules.triage import assess
    from rules.weather import RegionConditions

    parsed = parse_tip(tip(text="桥下有人", age_group=age_group), ctx)
    assert parsed.age_group == age_group
    result = assess(parsed.flags, policy=ctx.policy, night=False, weather=RegionConditions())
    assert (result.category, result.priority) == (category, priority)
    assert ("police" in result.notify) is (age_group == "minor")  # a minor found alone is always reported


@pytest.mark.parametrize(
    ("spelling", "channel"),
    [("城管", "city_management"), ("网格员", "grid_worker"), ("社区工作人员", "community"), ("12345", "hotline_12345"),
     ("110转警", "transfer_110"), ("120", "transfer_120"), ("Grid Worker", "grid_worker"), ("居委会", "community"),
     ("12349热线", "hotline"), ("微信公众号", "wechat"), ("滴滴司机", "driver"), ("外卖小哥", "courier"), ("夜间保安", "security"),
     ("社会工作者", "volunteer"), ("120急救", "transfer_120")],
)
def test_new_channels_are_read_with_their_chinese_names(ctx: Context, spelling: str, channel: str) -> None:
    assert parse_tip(tip(channel=spelling), ctx).channel == channel


@pytest.mark.parametrize(
    ("given", "normalized", "masked", "via"),
    [("13812345678", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("+86 138-1234-5678", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("0451-87654321", "tel:+8645187654321", "tel:+86451****21", "call"),
     ("微信: wx_helper01", "wechat:wx_helper01", "wechat:wx***", "wechat"),
     # written as reporters and forms write them: full width, dots, long dashes, a label, a name after it
     ("１３８１２３４５６７８", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("138.1234.5678", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("138—1234—5678", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("电话：13812345678", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("13812345678 王先生", "tel:+8613812345678", "tel:+86138****5678", "sms"),
     ("（０４５１）８７６５４３２１", "tel:+8645187654321", "tel:+86451****21", "call"),
     ("+86 (0)451 8765 4321", "tel:+8645187654321", "tel:+86451****21", "call"),
     ("010-65123456", "tel:+861065123456", "tel:+8610****56", "call"),
     ("微信号：wx_helper01", "wechat:wx_helper01", "wechat:wx***", "wechat"),
     # another country's valid number, kept in E.164 (a visitor's or a cross-border driver's: it was dropped silently,
     # and no reply reached them), masked to two digits either side
     ("+852 9123 4567", "tel:+85291234567", "tel:+85291****67", "sms"),  # Hong Kong mobile
     ("00852 2123 4567", "tel:+85221234567", "tel:+85221****67", "call"),  # Hong Kong landline, dialled from China
     ("+853 6612 3456", "tel:+85366123456", "tel:+85366****56", "sms"),  # Macau
     ("+886 912 345 678", "tel:+886912345678", "tel:+88691****78", "sms"),  # Taiwan
     ("+7 912 345-67-89", "tel:+79123456789", "tel:+791****89", "sms"),  # Russia, mobile
     ("+7 (495) 123-45-67", "tel:+74951234567", "tel:+749****67", "call"),  # Moscow landline
     ("电话：+44 7911 123456", "tel:+447911123456", "tel:+4479****56", "sms"),
     ("+1 415 555 2671", "tel:+14155552671", "tel:+141****71", "sms"),  # US: mobile or fixed line
     ("＋８２ １０-１２３４-５６７８", "tel:+821012345678", "tel:+8210****78", "sms")],
)
def test_reporter_contact_is_normalized_and_masked_on_the_report(ctx: Context, given: str, normalized: str, masked: str, via: str) -> None:
    from rules.intake import parse_contact, tip_contact

    assert parse_contact(given) == (normalized, masked, via)
    parsed = parse_tip(tip(reporter_contact=given), ctx)
    assert parsed.reporter_contact == normalized
    report = tip_report(parsed, ctx)
    assert report.reporter_contact == masked and given not in json.dumps(report.to_dict(), ensure_ascii=False)
    contact = tip_contact(parsed)
    assert contact is not None and (contact.contact, contact.masked, contact.via) == (normalized, masked, via)


@pytest.mark.parametrize("bad", ["12345", "call me", "1381234567", 13812345678, "wechat:1abc", "10012345678", "12345678",
                                 "+852 1234", "+7 000 000 00 00", "+1 555 0100", "+44 12"])
def test_a_bad_contact_is_refused_by_the_form_check_but_never_costs_the_tip(ctx: Context, bad: Any) -> None:
    from rules.intake import parse_contact

    with pytest.raises(RecordError):
        parse_contact(bad)
    parsed = parse_tip(tip(reporter_contact=bad), ctx)
    assert parsed.reporter_contact is None and tip_report(parsed, ctx).reporter_contact is None


def test_a_correction_names_its_dead_letter(ctx: Context) -> None:
    assert parse_tip(tip(corrects="dl-0123abcd"), ctx).corrects == "dl-0123abcd"
    with pytest.raises(RecordError, match="corrects"):
        parse_tip(tip(corrects="anything"), ctx)


@pytest.mark.parametrize(
    ("parse", "body", "name"),
    [
        ("ack", {"event_id": "e", "team_id": "T1", "status": "resolved", "at": "2026-12-20T20:00:00+08:00"}, "outcome"),
        ("ack", {"event_id": "e", "team_id": "T1", "status": "accepted", "at": "2026-12-20T20:00:00+08:00"}, "by"),
        ("ack", {"event_id": "e", "team_id": "T1", "status": "accepted", "at": "2026-12-20T20:00:00+08:00"}, "incident_id"),
        ("ack", {"event_id": "e", "team_id": "T1", "status": "accepted", "at": "2026-12-20T20:00:00+08:00"}, "client_id"),
        ("team", {"team_id": "T1", "at": "2026-12-20T20:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63}, "name"),
        ("team", {"team_id": "T1", "at": "2026-12-20T20:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63}, "district"),
        ("weather", {"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -20, "wind_ms": 3}, "station_id"),
        ("tick", {"at": "2026-12-20T20:00:00+08:00"}, "source"),
    ],
)
def test_free_text_fields_are_typed_and_bounded(ctx: Context, parse: str, body: dict[str, Any], name: str) -> None:
    """A list, 100 000 characters or a line break in `by`, `outcome`, a team's name... were str()-ed into events as they came."""
    from rules.intake import parse_tick

    parsers = {"ack": parse_ack, "team": lambda o: parse_team_status(o, ctx), "weather": lambda o: parse_weather(o, ctx), "tick": parse_tick}
    for bad in (["a"], {"a": 1}, "x" * 100_000, "evil\nline", "a\u202e\x00"):
        with pytest.raises(RecordError, match=name) as refused:
            parsers[parse]({**body, name: bad})
        assert refused.value.kind == "wrong_type"
    parsers[parse]({**body, name: "ok_value 1"})


def test_a_team_status_at_0_0_is_refused(ctx: Context, desk: Desk) -> None:
    """A tracker without a fix sent (0, 0): the only medical team moved to the Gulf of Guinea and a P1 went to it, ETA 29 days."""
    body = {"team_id": "T-daoli-2", "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": 0, "lon": 0.0, "capabilities": ["medical"]}
    with pytest.raises(RecordError, match="0, 0") as refused:
        desk.handle_team_status(parse_team_status(body, ctx))
    assert refused.value.kind == "out_of_area" and desk.teams == {}
    assert parse_team_status({**body, "lat": 45.76, "lon": 126.63}, ctx).lat == 45.76


@pytest.mark.parametrize(("lat", "lon", "where"), [(48.8566, 2.3522, "Paris"), (45.76, -126.63, "a flipped sign"), (46.5, 126.63, "80 km north")])
def test_a_team_status_far_outside_the_service_area_is_refused(ctx: Context, desk: Desk, lat: float, lon: float, where: str) -> None:
    """A team "in Paris" counted as on duty for the centre (an operator could assign it a task)."""
    body = {"team_id": "T-daoli-2", "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": lat, "lon": lon, "capabilities": ["medical"]}
    with pytest.raises(RecordError, match=r"outside .* service area") as refused:
        desk.handle_team_status(parse_team_status(body, ctx))
    assert refused.value.kind == "out_of_area" and "team_area_margin_km" in str(refused.value) and desk.teams == {}, where


def test_a_team_status_just_outside_the_service_area_is_taken(ctx: Context) -> None:
    """Within the policy's margin: on the way back from a hospital past the box's edge."""
    box = ctx.city.bbox
    body = {"team_id": "T-daoli-2", "at": "2026-12-20T19:00:00+08:00", "status": "en_route", "capabilities": ["medical"]}
    inside = parse_team_status({**body, "lat": box.lat_max + 0.1, "lon": box.lon_max}, ctx)  # about 11 km north
    assert inside.lat == box.lat_max + 0.1
    tight = replace(ctx, policy=replace(ctx.policy, team_area_margin_km=5.0))
    with pytest.raises(RecordError, match="11 km outside"):
        parse_team_status({**body, "lat": box.lat_max + 0.1, "lon": box.lon_max}, tight)


def test_with_a_closed_roster_a_team_status_of_an_unknown_team_is_refused(ctx: Context) -> None:
    body = {"team_id": "T-forged", "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
            "capabilities": ["medical"]}
    assert parse_team_status(body, ctx).team_id == "T-forged", "open by default: replays and tests bring their own teams"
    closed = replace(ctx, policy=replace(ctx.policy, roster_teams_only=True))
    with pytest.raises(RecordError, match=r"not on .* roster") as refused:
        parse_team_status(body, closed)
    assert refused.value.kind == "unknown_team"
    assert parse_team_status({**body, "team_id": "T-daoli-2"}, closed).team_id == "T-daoli-2"


@pytest.mark.parametrize("twin", ["Т-daoli-2", "T-dao1i-2", "T‐daoli‐2", "t-daoli-2", "T-daoⅼi-2", "T-da\u200boli-2", "T-dаoli-2"])
def test_a_team_written_like_a_roster_team_is_refused_even_with_an_open_roster(ctx: Context, twin: str) -> None:
    """A team id drawn like the roster's T-daoli-2 (a Cyrillic Т or а, a digit 1 for l, other dashes, another case, a
    zero-width space) came on duty beside the real one: the same name on the operators' map and in the desk's
    candidates, tasks given to it and an operator assigning it as the real team."""
    body = {"team_id": twin, "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
            "capabilities": ["medical"]}
    if twin.isprintable():
        with pytest.raises(RecordError, match="T-daoli-2") as refused:
            parse_team_status(body, ctx)
        assert refused.value.kind == "unknown_team"
    else:
        with pytest.raises(RecordError):  # an invisible character: no id at all
            parse_team_status(body, ctx)
    assert parse_team_status({**body, "team_id": "T-daoli-2"}, ctx).team_id == "T-daoli-2"
    assert parse_team_status({**body, "team_id": "T-daoli-9"}, ctx).team_id == "T-daoli-9", "a new team of its own name is taken"
    for name in ("道里区医疗救助车组", "Daoli medical unit", "T-daoli-2"):  # a new id, shown under the roster team's name
        with pytest.raises(RecordError, match="T-daoli-2"):
            parse_team_status({**body, "team_id": "V-1", "name": name}, ctx)
    assert parse_team_status({**body, "team_id": "V-1", "name": "志愿者车队"}, ctx).name == "志愿者车队"
    assert parse_team_status({**body, "team_id": "T-daoli-2", "name": "道里区医疗救助车组"}, ctx).team_id == "T-daoli-2"


@pytest.mark.parametrize("local", ["8765 4321", "8765-4321", "（8765）4321", "87654321", "电话：8765 4321", "8765–4321", "王先生 87654321"])
def test_a_local_landline_without_its_area_code_is_read_in_the_city(ctx: Context, local: str) -> None:
    from rules.intake import parse_contact

    assert ctx.city.area_code == "0451"
    with pytest.raises(RecordError):
        parse_contact(local)  # no city: no area to read it in
    assert parse_contact(local, "0451") == ("tel:+8645187654321", "tel:+86451****21", "call")
    parsed = parse_tip(tip(reporter_contact=local), ctx)
    assert parsed.reporter_contact == "tel:+8645187654321"
    assert tip_report(parsed, ctx).reporter_contact == "tel:+86451****21"


def test_no_team_may_take_the_operators_id(ctx: Context, desk: Desk) -> None:
    """A team status naming team "console" made a team whose acks the desk then took as an operator's."""
    body = {"team_id": "console", "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
            "capabilities": ["medical"]}
    with pytest.raises(RecordError, match="operators'") as refused:
        desk.handle_team_status(parse_team_status(body, ctx))
    assert refused.value.kind == "unknown_team" and desk.teams == {}


@pytest.mark.parametrize("given", [{"sex": ""}, {"sex": "  "}, {"age_group": ""}, {"sex": "unknown"}, {"sex": "不详"},
                                   {"age_group": "未知"}, {"sex": "Unknown", "age_group": "不清楚"}])
def test_a_form_left_blank_or_unknown_keeps_the_tip(ctx: Context, given: dict[str, str]) -> None:
    """A web form sends "" for a dropdown nobody chose, and "unknown"/不详 when the caller could not tell:
    the whole tip (an unconscious old man) was dead-lettered as wrong_type."""
    parsed = parse_tip(tip(**given), ctx)
    assert (parsed.sex, parsed.age_group) == (None, None)
    assert {"unresponsive", "elderly"} <= set(parsed.flags)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [("45.7735N", "126.6165E"), ("N45.7735", "E126.6165"), ("45.7735 N", "126.6165 E"), ("45.7735°N", "126.6165°E"),
     ("北纬45.7735", "东经126.6165"), ("45,7735", "126,6165"), ("４５，７７３５", "１２６．６１６５"),
     ("45°46'24.6\"N", "126°36'59.4\"E"), ("45°46′24.6″", "126°36′59.4″"), ("45° 46.41'", "126° 36.99'")],
)
def test_coordinates_written_as_text_are_read(ctx: Context, lat: str, lon: str) -> None:
    """A courier app's "45.7735N 126.6165E", a European phone's decimal comma, degrees and minutes:
    the tip was dead-lettered (lat: expected a number) and, without an address, lost."""
    parsed = parse_tip(tip(lat=lat, lon=lon), ctx)
    assert parsed.lat == pytest.approx(45.7735, abs=1e-4) and parsed.lon == pytest.approx(126.6165, abs=1e-4)


@pytest.mark.parametrize(("lat", "lon", "needle"), [("45.7735S", "126.6165E", "outside the service area"),
                                                    ("126.6165E", "45.7735N", "lat: "), ("45,77,35", "126.6165", "lat: "),
                                                    ("45°61'0\"N", "126.6165", "lat: "), ("NaN", "126.6165", "lat: ")])
def test_coordinates_as_text_that_cannot_be_here_are_refused(ctx: Context, lat: str, lon: str, needle: str) -> None:
    with pytest.raises(RecordError, match=needle):
        parse_tip(tip(lat=lat, lon=lon), ctx)


def test_a_tip_saying_how_badly_someone_is_hurt_is_a_medical_task(ctx: Context, desk: Desk) -> None:
    """"伤势不明" (injury unclear) set no flag: the person went to a help point as guidance, not to an emergency department."""
    parsed = parse_tip(tip(text="环卫工说桥洞里有个男的，伤势不明，叫他还能答应"), ctx)
    assert "injured" in parsed.flags
    event = desk.handle_report(tip_report(parsed, ctx)).events[0]
    assert event.category == "medical" and event.destination is not None and event.destination.kind == "hospital"


@pytest.mark.parametrize(
    ("address", "lat", "lon"),
    [
        ("45.7598, 126.6335", 45.7598, 126.6335),  # a map app's copied pin
        ("北纬45度46分 东经126度37分", 45 + 46 / 60, 126 + 37 / 60),
        ("126.6310E 45.7612N", 45.7612, 126.631),  # the hemispheres say which is which
        ("中央大街 GPS 45.7612,126.6310", 45.7612, 126.631),  # a written position beats a named street
    ],
)
def test_a_position_written_in_the_address_puts_the_tip_there(ctx: Context, address: str, lat: float, lon: float) -> None:
    """A caller reading coordinates off a phone gave them as the address: they were an unknown address."""
    parsed = parse_tip(tip(lat=..., lon=..., address=address), ctx)
    assert (parsed.lat, parsed.lon, parsed.accuracy_m) == (pytest.approx(lat), pytest.approx(lon), None)


@pytest.mark.parametrize(
    ("address", "kind", "needle"),
    [
        ("126.6310, 45.7612", "out_of_area", "(lat and lon swapped?)"),
        ("39.9042, 116.4074", "unknown_address", "unknown address"),  # Beijing: no position the centre can use
        ("P 0.500 R 0.333", "unknown_address", "unknown address"),  # numbers, no position
    ],
)
def test_a_written_position_outside_the_area_is_refused_not_guessed(ctx: Context, address: str, kind: str, needle: str) -> None:
    with pytest.raises(RecordError) as info:
        parse_tip(tip(lat=..., lon=..., address=address), ctx)
    assert info.value.kind == kind and needle in info.value.reason, info.value.reason


def test_a_flags_list_longer_than_any_form_is_refused_by_its_count_before_each_item_is_read(ctx: Context) -> None:
    """Each flag item is folded and matched: a tip or a command with 120 000 items (a 1 MB record any producer may write)
    held the intake's or the desk's event loop for about a second a record. A list over MAX_FLAG_ITEMS is refused by
    its count; a form's ordinary list (every flag, and free words) is read as before."""
    for flags in (["minor"] * 120_000, ",".join(["minor"] * 120_000)):
        with pytest.raises(RecordError) as err:
            parse_tip(tip(flags=flags), ctx)
        assert err.value.kind == "wrong_type" and err.value.reason == f"flags: at most {MAX_FLAG_ITEMS} items, got 120000"
    command = {"command_id": "c1", "kind": "assess", "incident_id": "inc-1", "by": "op", "at": GOOD["reported_at"]}
    with pytest.raises(RecordError) as err:
        parse_command({**command, "add_flags": ["minor"] * 120_000}, ctx)
    assert err.value.reason == f"add_flags: at most {MAX_FLAG_ITEMS} items, got 120000"
    assert parse_command({**command, "add_flags": ["minor"] * MAX_FLAG_ITEMS}, ctx).add_flags == ("minor",)
    many = [*FLAGS, *(f"word{i}" for i in range(MAX_FLAG_ITEMS - len(FLAGS)))]
    assert parse_tip(tip(flags=many), ctx).flags == FLAGS


def test_the_roster_says_what_a_roster_team_can_do(ctx: Context, desk: Desk) -> None:
    """A status of T-daoli-1 (social work on foot in the city's teams layer) claiming a medic and a vehicle was taken: the
    desk sent it to the unconscious and counted its ETA at car speed. A roster team may say it lacks something tonight,
    never that it has more than the roster gives it; a status saying nothing has the roster's; a team off the (open)
    roster has nothing to be checked against and keeps what the policy takes on anyone's word (everything by default)."""
    body = {"team_id": "T-daoli-1", "at": "2026-12-20T19:00:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63}
    assert parse_team_status({**body, "capabilities": ["medical", "vehicle", "social_work"]}, ctx).capabilities == ("social_work",)
    assert parse_team_status(body, ctx).capabilities == ("social_work",)
    medic = {**body, "team_id": "T-daoli-2"}  # medical and vehicle on the roster
    assert parse_team_status({**medic, "capabilities": ["medical"]}, ctx).capabilities == ("medical",)  # no car tonight
    assert parse_team_status({**medic, "capabilities": ["medical", "police"]}, ctx).capabilities == ("medical",)
    assert parse_team_status(medic, ctx).capabilities == ("medical", "vehicle")
    desk.handle_team_status(parse_team_status({**body, "capabilities": ["medical", "vehicle", "social_work"]}, ctx))
    assert desk.teams["T-daoli-1"].capabilities == ["social_work"]


def test_a_team_off_the_open_roster_claims_only_what_the_policy_allows(ctx: Context) -> None:
    """A status of an id no city lists, claiming `medical` and `police`, is taken at its word with the roster open (replays
    and lent ambulances need it): the desk sends it to the unconscious as their medic. A centre that fears a forged
    phone lists less in `intake.unrostered_capabilities`: the rest of the claim is dropped and no forged medic is sent."""
    body = {"team_id": "V-ambulance-lent", "at": "2026-12-20T23:05:00+08:00", "status": "available", "lat": 45.76, "lon": 126.63,
            "capabilities": ["medical", "police", "vehicle", "social_work"]}
    tip_text = "桥洞里有个老人躺着，叫不醒"
    assert parse_team_status(body, ctx).capabilities == ("medical", "police", "social_work", "vehicle")
    trusting = Desk(ctx, "harbin")
    trusting.handle_team_status(parse_team_status(body, ctx))
    assert trusting.handle_report(tip_report(parse_tip(tip(text=tip_text), ctx), ctx)).events[0].team_id == "V-ambulance-lent"
    wary = replace(ctx, policy=replace(ctx.policy, unrostered_capabilities=("social_work", "vehicle")))
    assert parse_team_status(body, wary).capabilities == ("social_work", "vehicle")
    desk = Desk(wary, "harbin")
    desk.handle_team_status(parse_team_status(body, wary))
    assert desk.teams["V-ambulance-lent"].capabilities == ["social_work", "vehicle"]
    event = desk.handle_report(tip_report(parse_tip(tip(text=tip_text), wary), wary)).events[0]
    assert event.category == "medical" and event.team_id != "V-ambulance-lent"


@pytest.mark.parametrize("observation", [
    {"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -31, "wind_ms": 9},
    {"temp_c": -31},
    {"wind_ms": 9},
    {"observed_at": "2026-12-20T20:00:00+08:00"},
    {"snowfall": 12},
    {"road_ice": True},
])
def test_a_weather_record_that_is_both_a_warning_and_an_observation_is_refused_not_halved(
        ctx: Context, observation: dict[str, Any]) -> None:
    """A record with `level` and `issued_at` was read as a warning and its reading (-31 °C, wind, snow) silently dropped:
    no severe cold, no slower teams. Which half was meant is the sender's to say: it is dead-lettered, naming both."""
    warning = {"region": "daoli", "level": "orange", "issued_at": "2026-12-20T20:00:00+08:00"}
    with pytest.raises(RecordError) as refused:
        parse_weather({**warning, **observation}, ctx)
    assert refused.value.kind == "malformed"
    assert "level" in refused.value.reason and next(iter(observation)) in refused.value.reason
    for half in ({"level": "orange"}, {"issued_at": "2026-12-20T20:00:00+08:00"}):  # a warning's field on a reading
        with pytest.raises(RecordError) as refused:
            parse_weather({"observed_at": "2026-12-20T20:00:00+08:00", "temp_c": -31, "wind_ms": 9, **half}, ctx)
        assert refused.value.kind == "malformed"
    assert parse_weather(warning, ctx)[1] == WeatherWarning(level="orange", issued_at=from_iso(warning["issued_at"]), region="daoli")


def test_a_warning_given_by_position_applies_to_the_district_that_contains_it(ctx: Context) -> None:
    """DOMAIN.md: a weather record names its region, or gives its station's lat/lon (the region that contains it), or
    neither (the whole city). A warning is a weather record: its position places it, it is not an observation's field."""
    lat, lon = 45.7735, 126.6165
    district = ctx.index.locate(lat, lon).district
    assert district is not None
    region, warning = parse_weather({"level": "red", "issued_at": "2026-12-20T20:00:00+08:00", "lat": lat, "lon": lon}, ctx)
    assert region == district
    assert warning == WeatherWarning(level="red", issued_at=from_iso("2026-12-20T20:00:00+08:00"), region=district)
    with pytest.raises(RecordError) as refused:
        parse_weather({"level": "red", "issued_at": "2026-12-20T20:00:00+08:00", "lat": 10.0, "lon": 10.0}, ctx)
    assert refused.value.kind in {"out_of_area", "wrong_type", "malformed"}


def test_a_one_city_deployment_does_not_place_a_tip_at_its_namesake_of_another_city_s_place(ctx: Context) -> None:
    """A Harbin-only deployment put "齐齐哈尔市第一医院" at its own 市第一医院. Named after another city, the place is
    not ours: without coordinates the tip is an unknown address (an operator calls back); with them it stays where
    they say."""
    for address in ("齐齐哈尔市第一医院", "Qiqihar No. 1 Hospital"):
        with pytest.raises(RecordError) as info:
            parse_tip(tip(lat=..., lon=..., address=address), ctx)
        assert info.value.kind == "unknown_address", address
        placed = parse_tip(tip(address=address), ctx)
        assert (placed.lat, placed.lon) == (GOOD["lat"], GOOD["lon"])
    own = parse_tip(tip(lat=..., lon=..., address="哈尔滨市第一医院"), ctx)
    place = ctx.gazetteer.resolve("市第一医院")
    assert place is not None and (own.lat, own.lon) == (place.lat, place.lon)

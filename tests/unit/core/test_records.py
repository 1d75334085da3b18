"""Records on the wire: what `to_json` writes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import RecordError
from core.records import ClockTick, HelpPointRef, TaskAck, TeamTask, Wire, check_times, from_iso, parse_time


def test_every_record_is_a_frozen_dataclass_whose_attributes_are_its_fields() -> None:
    # `field_values` hands the encoder a record's attribute dict: nothing but the fields may live there.
    for cls in Wire.__subclasses__():
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        assert not hasattr(cls, "__post_init__") and "__slots__" not in vars(cls), cls


def test_to_json_writes_to_dict_with_sorted_keys() -> None:
    at = datetime(2026, 12, 20, 19, 0, tzinfo=UTC)
    task = TeamTask(event_id="inc-1-r1", team_id="t1", kind="assign", incident_id="inc-1", priority="P1", category="medical", lat=45.76,
                    lon=126.63, ack_deadline=at, nearest_help_point=HelpPointRef(id="hp", name="站", distance_m=12.5, kind="help_point"),
                    notify=("health",), flags=("injured",), summary="看护", at=at)
    assert set(task.field_values()) == {f.name for f in dataclasses.fields(task)}
    assert task.to_json() == json.dumps(task.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")


def test_times_read_from_text_share_one_tzinfo_per_offset_and_keep_their_text() -> None:
    a, b = from_iso("2026-12-20T19:00:00+08:00"), from_iso("2026-12-20T11:30:00.250000+08:00")
    assert a.tzinfo is b.tzinfo and a.isoformat() == "2026-12-20T19:00:00+08:00" and b.isoformat() == "2026-12-20T11:30:00.250000+08:00"
    assert from_iso("2026-12-20T11:00:00+00:00") == a and from_iso("2026-12-20T11:00:00+00:00").isoformat().endswith("+00:00")


def test_a_time_typed_in_full_width_or_with_a_lower_case_z_is_read() -> None:
    at = datetime(2026, 12, 20, 15, 10, tzinfo=UTC)
    assert parse_time("２０２６-１２-２０T２３：１０：００＋０８：００", "reported_at") == at
    assert parse_time("2026-12-20t15:10:00z", "reported_at") == at


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-20T24:00:00+08:00", datetime(2026, 12, 21, 0, 0, tzinfo=timezone(timedelta(hours=8)))),
        ("2026-12-20T24:00+08:00", datetime(2026, 12, 21, 0, 0, tzinfo=timezone(timedelta(hours=8)))),
        ("2026-12-20T24:00:00.000Z", datetime(2026, 12, 21, 0, 0, tzinfo=UTC)),
        ("2026-12-31t24:00:00z", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),  # the year's end is the next year's start
        ("2028-02-28T24:00:00+08:00", datetime(2028, 2, 29, 0, 0, tzinfo=timezone(timedelta(hours=8)))),
        ("20261220T240000+0800", datetime(2026, 12, 21, 0, 0, tzinfo=timezone(timedelta(hours=8)))),
        ("２０２６-１２-２０T２４：００：００＋０８：００", datetime(2026, 12, 21, 0, 0, tzinfo=timezone(timedelta(hours=8)))),
    ],
)
def test_the_end_of_a_day_is_the_start_of_the_next(text: str, expected: datetime) -> None:
    """ISO 8601's end of day, T24:00:00 (written by some forms and scripts for "midnight"), was refused."""
    at = parse_time(text, "reported_at")
    assert at == expected and at.utcoffset() == expected.utcoffset()
    assert at.isoformat() == expected.isoformat()


@pytest.mark.parametrize("text", ["2026-12-20T24:00:01+08:00", "2026-12-20T24:30+08:00", "2026-12-20T24:00:00.5+08:00",
                                  "2026-12-20T25:00:00+08:00", "2026-02-30T24:00:00+08:00", "2026-12-20T24:00:00"])
def test_other_hours_past_23_are_still_refused(text: str) -> None:
    with pytest.raises(RecordError, match=r"^reported_at: "):
        parse_time(text, "reported_at")


def test_check_times_refuses_a_time_without_offset_or_in_an_implausible_year_naming_the_field() -> None:
    ack = TaskAck.from_dict({"event_id": "e", "team_id": "t", "status": "accepted", "at": "2026-12-20T19:00:00+08:00"})
    assert check_times(ack) is ack
    with pytest.raises(RecordError, match=r"^at: time has no UTC offset$"):
        check_times(TaskAck.from_dict({"event_id": "e", "team_id": "t", "status": "accepted", "at": "2026-12-20"}))
    with pytest.raises(RecordError, match=r"^at: implausible time 0001-01-01T00:00:00\+08:00 \(expected a year 2000..2099\)$"):
        check_times(ClockTick.from_dict({"at": "0001-01-01T00:00:00+08:00"}))


@pytest.mark.parametrize("text", ["2026-12-20T23:00:00+05:30:17", "2026-12-20T23:00:00+08:00:00.5", "2026-12-20T23:00:00-00:00:01"])
def test_an_offset_with_seconds_is_read_as_its_instant_in_utc(text: str) -> None:
    # Python reads "+05:30:17" as an offset and wrote it back as given: every output naming that time (a report's `at`, an
    # incident's first report) carried a time that RFC 3339, the pages' `new Date` and most consumers cannot read.
    at = parse_time(text, "reported_at")
    assert at == datetime.fromisoformat(text) and at.utcoffset() == timedelta(0)
    assert at.isoformat().endswith("+00:00")
    assert from_iso(text) == at and from_iso(text).isoformat() == at.isoformat()
    # whole-minute offsets keep their text
    assert parse_time("2026-12-20T23:00:00+05:45", "at").isoformat() == "2026-12-20T23:00:00+05:45"

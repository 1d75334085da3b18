"""Replay input files: every line is fed as the raw bytes of one message, bad ones included (no broker)."""

from __future__ import annotations

import json
from pathlib import Path

from core import topics as names
from rules.context import Context
from tools.replay import load_jsonl


def _tip(tip_id: str, minute: int) -> bytes:
    return json.dumps({"tip_id": tip_id, "channel": "hotline", "reported_at": f"2026-12-20T19:{minute:02d}:00+08:00", "text": "老人"},
                      ensure_ascii=False).encode("utf-8")


def test_a_line_that_is_not_utf8_is_fed_as_is_and_the_rest_is_kept(tmp_path: Path) -> None:
    bad = "老人躺着".encode("gbk")  # a GBK line in a UTF-8 file
    path = tmp_path / "tips.jsonl"
    path.write_bytes(b"\n".join([_tip("t1", 1), b'{"tip_id": "t2", "text": "' + bad + b'"}', _tip("t3", 3), b""]))
    loaded = load_jsonl(path, names.TIPS)
    assert [item.value for item in loaded.items] == [_tip("t1", 1), b'{"tip_id": "t2", "text": "' + bad + b'"}', _tip("t3", 3)]
    assert [(w.line, w.reason.split(" (")[0]) for w in loaded.warnings] == [(2, "not UTF-8 text")]
    assert loaded.items[1].at == loaded.items[0].at  # no time of its own: right after its predecessor


def test_a_line_separator_inside_a_string_does_not_split_the_record(tmp_path: Path) -> None:
    path = tmp_path / "tips.jsonl"
    line = json.dumps({"tip_id": "t1", "reported_at": "2026-12-20T19:01:00+08:00", "text": "a\u2028b\u0085c"}, ensure_ascii=False).encode()
    path.write_bytes(line + b"\r\n" + _tip("t2", 2) + b"\r\n")
    loaded = load_jsonl(path, names.TIPS)
    assert [item.value for item in loaded.items] == [line, _tip("t2", 2)] and loaded.warnings == []


def test_a_line_of_year_9999_or_1_is_fed_in_place_and_sets_no_clock(tmp_path: Path) -> None:
    """reported_at 9999-12-31 ended `patrol replay` in an OverflowError traceback (its time + the tail); year 1 asked for
    a tick every minute since then."""
    path = tmp_path / "tips.jsonl"
    far = [json.dumps({"tip_id": f"x{y}", "channel": "hotline", "reported_at": f"{y:04d}-12-31T23:59:00+00:00"}).encode() for y in (9999, 1)]
    path.write_bytes(b"\n".join([_tip("t1", 1), far[0], _tip("t3", 3), far[1]]))
    loaded = load_jsonl(path, names.TIPS)
    assert [item.at for item in loaded.items][1::2] == [loaded.items[0].at, loaded.items[2].at]
    assert [(w.line, w.reason.split(" (")[0]) for w in loaded.warnings] == [(2, "reported_at: implausible time '9999-12-31T23:59:00+00:00'"),
                                                                            (4, "reported_at: implausible time '0001-12-31T23:59:00+00:00'")]


def test_inputs_spanning_years_are_refused_naming_both_ends(tmp_path: Path) -> None:
    """One line stamped 2099 among tonight's asked for 38 million minute ticks: the replay never ended."""
    import pytest

    from core.errors import ConfigError
    from core.settings import Settings
    from tools.replay import run_replay

    path = tmp_path / "tips.jsonl"
    path.write_bytes(b"\n".join([_tip("t1", 1), _tip("t2", 2).replace(b"2026-12-20", b"2099-12-20")]))
    with pytest.raises(ConfigError) as refused:
        run_replay(Settings(), tips=path, out=tmp_path / "out.jsonl")
    message = str(refused.value)
    assert f"{path}:1 at 2026-12-20T19:01:00+08:00" in message and f"{path}:2 at 2099-12-20T19:02:00+08:00" in message


def test_a_line_too_large_for_a_message_is_refused_naming_its_line(tmp_path: Path) -> None:
    """A 1.2 MB line ended `patrol replay` in a MessageSizeTooLargeError traceback from the feeder's producer."""
    import pytest

    from core.errors import ConfigError

    path = tmp_path / "tips.jsonl"
    giant = json.dumps({"tip_id": "g", "reported_at": "2026-12-20T19:02:00+08:00", "text": "a" * 1_200_000}).encode()
    path.write_bytes(b"\n".join([_tip("t1", 1), giant, _tip("t3", 3)]))
    with pytest.raises(ConfigError) as refused:
        load_jsonl(path, names.TIPS)
    assert str(refused.value).startswith(f"{path}:2: a record of {len(giant)} bytes, over the {names.MAX_MESSAGE_BYTES} bytes")
    key_too = json.dumps({"tip_id": "k" * 600_000, "reported_at": "2026-12-20T19:02:00+08:00", "text": "a" * 500_000}).encode()
    path.write_bytes(b"\n".join([_tip("t1", 1), key_too]))  # the line fits; with its key as well it does not
    with pytest.raises(ConfigError, match=f"{path}:2: "):
        load_jsonl(path, names.TIPS)


def test_records_nested_too_deeply_are_keyed_as_they_are_with_several_centres(tmp_path: Path) -> None:
    """An ack nested 100000 deep ended a two-city `patrol replay` in a RecursionError traceback while keying it by centre."""
    from core.settings import Settings
    from rules.context import province_from_settings
    from tools.replay import keyed_by_centre

    path = tmp_path / "acks.jsonl"
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    path.write_bytes(b"\n".join([b'{"event_id": "e1", "at": "2026-12-20T19:01:00+08:00"}', deep, b"\xef\xbb\xbf[1]"]))
    loaded = load_jsonl(path, names.TASK_ACKS)
    province = province_from_settings(Settings(cities="harbin,qiqihar"))
    keyed = keyed_by_centre(loaded.items, province)
    assert [item.value for item in keyed] == [item.value for item in loaded.items] and keyed[1].key is None


def test_a_byte_order_mark_is_read_as_the_workers_read_it(tmp_path: Path) -> None:
    """A file saved with a BOM (Windows editors): its first line was warned about as malformed and fed at its
    successor's time, though the workers accept it (parse_json tolerates a BOM)."""
    path = tmp_path / "tips.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _tip("t1", 1) + b"\n" + _tip("t2", 9) + b"\n")
    loaded = load_jsonl(path, names.TIPS)
    assert loaded.warnings == [] and [item.at.minute for item in loaded.items] == [1, 9] and loaded.items[0].key == "t1"
    assert loaded.items[0].value == b"\xef\xbb\xbf" + _tip("t1", 1)  # fed as it is


def test_each_dead_letter_of_a_line_is_named_by_its_file_and_line(tmp_path: Path, ctx: Context) -> None:
    """A line the workers refused (an unknown channel, a tip id sent again with other content) was only counted in the
    summary: nothing said which line of which file it was. A line warned about before the run is not named twice."""
    from agents.common import dead_letter
    from core.errors import RecordError
    from rules.intake import parse_json, parse_tip, tip_report

    fax = _tip("t2", 2).replace(b'"hotline"', b'"fax"')
    again = _tip("t1", 4).replace("老人".encode(), "醉汉".encode())
    path = tmp_path / "tips.jsonl"
    path.write_bytes(b"\r\n".join([_tip("t1", 1), fax, b"[1, 2]", again, b""]))
    loaded = load_jsonl(path, names.TIPS)
    report = tip_report(parse_tip({**parse_json(again), "lat": 45.76, "lon": 126.63}, ctx), ctx, "harbin")
    outputs = [dead_letter(names.TIPS, fax, RecordError("channel: unknown channel 'fax'", kind="unknown_channel")).to_dict(),
               dead_letter(names.TIPS, b"[1, 2]", RecordError("expected a JSON object, got array", kind="malformed")).to_dict(),
               dead_letter(names.REPORTS, report.to_json(), RecordError("duplicate report id 't1'", kind="duplicate")).to_dict(),
               {"kind": "dispatch", "event_id": "inc-x-r1"}]
    assert loaded.dead_letter_lines(outputs) == [
        f"{path}:2: dead letter (unknown_channel): channel: unknown channel 'fax'",
        f"{path}:1, {path}:4: dead letter (duplicate): duplicate report id 't1'",  # either line may be the one refused
    ]


def test_a_file_saved_as_utf16_is_read_by_its_byte_order_mark_and_fed_as_utf8(tmp_path: Path) -> None:
    """PowerShell 5's `>` (and an editor's "Unicode") writes UTF-16 with a byte-order mark: split as UTF-8, every line
    was NUL-strewn bad JSON, and the replay stopped with "no line has a usable event time" at line 1, naming no cause."""
    text = (_tip("t1", 1) + b"\r\n" + _tip("t2", 9) + b"\r\n").decode("utf-8")
    for encoding in ("utf-16", "utf-16-be", "utf-16-le"):  # with a mark, big-endian with its mark, no mark (an export)
        path = tmp_path / f"tips-{encoding}.jsonl"
        path.write_bytes(text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding))
        loaded = load_jsonl(path, names.TIPS)
        assert loaded.warnings == [] and [item.value for item in loaded.items] == [_tip("t1", 1), _tip("t2", 9)], encoding
        assert [item.at.minute for item in loaded.items] == [1, 9] and loaded.lines[2] == (str(path), 2)
    # its broken UTF-16 and the detection itself: tests/unit/core/test_files.py


def test_a_file_with_carriage_returns_alone_between_its_lines_is_read_line_by_line(tmp_path: Path) -> None:
    """Lines ended by CR alone (an old Mac or a spreadsheet's export) were one line: JSON's "Extra data", and the run
    stopped with "no line has a usable event time" at line 1. A raw CR cannot be inside a JSON line (it is escaped)."""
    path = tmp_path / "tips.jsonl"
    path.write_bytes(_tip("t1", 1) + b"\r" + _tip("t2", 2) + b"\r")
    loaded = load_jsonl(path, names.TIPS)
    assert [item.value for item in loaded.items] == [_tip("t1", 1), _tip("t2", 2)] and loaded.warnings == []
    assert [loaded.lines[item.seq][1] for item in loaded.items] == [1, 2]


def test_a_file_whose_lines_have_no_usable_time_says_why_for_its_first_line(tmp_path: Path) -> None:
    """"no line has a usable event time" named line 1 and no cause: a `reported_at` of 1e308, a list, a line JSON
    cannot read. The first line's own reason is given."""
    import pytest

    from core.errors import ConfigError

    path = tmp_path / "tips.jsonl"
    path.write_bytes(_tip("t1", 1).replace(b'"2026-12-20T19:01:00+08:00"', b"1e308") + b"\n" + b'{"tip_id": "t2"\n')
    with pytest.raises(ConfigError) as refused:
        load_jsonl(path, names.TIPS)
    assert str(refused.value).startswith(f"{path}:1: no line has a usable event time (line 1: reported_at")

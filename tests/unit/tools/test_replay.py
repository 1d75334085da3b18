"""Replay input files: every line is fed as the raw bytes of one message, bad ones included (no broker)."""

from __future__ import annotations

import json
from pathlib import Path

from core import topics as names
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

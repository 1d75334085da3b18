"""The files people hand the commands: one reading of UTF-16 for every reader (SRT files, replays)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.files import as_utf8, utf16_encoding

TEXT = '1\n00:00:00,000 --> 00:00:00,033\n[latitude: 45.7] [longitude: 126.6]\n{"text": "ok"}\n'


@pytest.mark.parametrize(("data", "codec"), [
    (TEXT.encode("utf-16"), "utf-16"),  # the platform's byte order, with its mark
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
    (TEXT.encode("utf-16-le"), "utf-16-le"),  # no mark: every odd byte NUL
    (TEXT.encode("utf-16-be"), "utf-16-be"),  # no mark: every even byte NUL
    (TEXT.encode("utf-8"), None),
    (TEXT.encode("utf-8-sig"), None),
    ("桥洞下躺着一个大爷，叫不醒".encode(), None),  # UTF-8 Chinese: no NUL at all
    ("1\n".encode("utf-16-le"), None),  # too short to tell without a mark
    (b"", None),
])
def test_utf16_is_told_by_its_mark_or_by_its_nul_high_bytes(data: bytes, codec: str | None) -> None:
    assert utf16_encoding(data) == codec
    if codec is not None:
        assert data.decode(codec) == TEXT


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_becomes_utf8_with_its_lines_where_they_were(tmp_path: Path, encoding: str) -> None:
    """A replay saved by PowerShell 5 (`>`) or a tool's export without a mark reads as the UTF-8 it stands for."""
    text = '{"a": "大爷"}\r\n{"b": 2}\r\n'
    assert as_utf8(text.encode(encoding), "input file", tmp_path / "x.jsonl") == text.encode()
    assert as_utf8(text.encode(), "input file", tmp_path / "x.jsonl") == text.encode()  # UTF-8 is passed as it is


def test_utf16_that_does_not_decode_names_its_line(tmp_path: Path) -> None:
    broken = b"\xff\xfe" + "{}\n".encode("utf-16-le") + b"\x00\xd8}\x00"  # a lone high surrogate on line 2
    with pytest.raises(ConfigError) as err:
        as_utf8(broken, "input file", tmp_path / "broken.jsonl")
    assert err.value.path == str(tmp_path / "broken.jsonl") and err.value.line == 2
    assert "UTF-16 (by its byte-order mark) but does not decode" in err.value.reason

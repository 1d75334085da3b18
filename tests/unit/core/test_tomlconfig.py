"""Hand-edited TOML: non-finite numbers are refused where they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.tomlconfig import TomlReader, parse_toml

TEXT = "[teams]\nspeed_kmh = nan\nspan = [1.0, inf]\nok = 4\n"


def test_nan_and_inf_are_refused_with_their_line() -> None:
    data = parse_toml(TEXT, "s.toml")
    r = TomlReader("s.toml", TEXT)
    assert r.number(data, ["teams", "ok"]) == 4.0
    with pytest.raises(ConfigError, match=r"s\.toml:2: teams\.speed_kmh: expected a finite number"):
        r.number(data, ["teams", "speed_kmh"])
    with pytest.raises(ConfigError, match=r"s\.toml:3: teams\.span: expected \[low, high\] numbers"):
        r.span(data, ["teams", "span"])


@pytest.mark.parametrize("text", ['version = 1\nx = [\n', 'version = 1\nname = "unterminated', "a = 1\nb ="])
def test_a_file_broken_at_its_end_names_the_last_line(text: str) -> None:
    """tomllib says "(at end of document)" without a line: partners.toml ending in `x = [` was reported with no line at all."""
    with pytest.raises(ConfigError) as refused:
        parse_toml(text, "p.toml")
    assert refused.value.line == len(text.splitlines()) and str(refused.value).startswith(f"p.toml:{refused.value.line}: not valid TOML")


def test_a_byte_that_is_not_utf8_is_named_at_its_line_after_a_byte_order_mark_too(tmp_path: Path) -> None:
    """The decoder counts from after a BOM: a bad byte at the start of line 2 was reported on line 1, three bytes early."""
    from core.tomlconfig import read_text

    for bom in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / "p.toml"
        path.write_bytes(bom + b"a = 1\n\xb9\xfe = 2\n")
        with pytest.raises(ConfigError) as refused:
            read_text(path, "policy file")
        assert str(refused.value) == f"{path}:2: policy file is not UTF-8: invalid start byte at byte {len(bom) + 6}"


def test_a_float_read_without_bounds_is_finite_too() -> None:
    """`get(..., float)` (a wind-chill threshold, a cold wave's minimum, a level's follow-up hours) took nan and inf
    silently: a threshold no reading ever meets."""
    text = "[cold]\nwind_chill_c = nan\nmin_c = -inf\nok = -10\n"
    data, r = parse_toml(text, "p.toml"), TomlReader("p.toml", text)
    assert r.get(data, ["cold", "ok"], float) == -10.0
    for key, line in (("wind_chill_c", 2), ("min_c", 3)):
        with pytest.raises(ConfigError, match=rf"p\.toml:{line}: cold\.{key}: expected a finite number"):
            r.get(data, ["cold", key], float)
        with pytest.raises(ConfigError, match="expected a finite number"):
            r.get(data, ["cold", key], float, None)

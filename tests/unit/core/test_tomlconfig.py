"""Hand-edited TOML: non-finite numbers are refused where they are written."""

from __future__ import annotations

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

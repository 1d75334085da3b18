"""The 8-bit profile runs on a couple of frames and names where the time goes."""

from __future__ import annotations

import pytest

from tools.profile_thermal import main


def test_prints_speed_and_the_detector_functions(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--frames", "2", "--top", "40"])
    out = capsys.readouterr().out
    assert "frames/s" in out
    assert "grey.py" in out and "_components" in out

"""The fifth desk audit: whole nights on weather changes, the night/day boundary, missed deadlines,
capabilities, declines, two persons at one spot, a camera and a call, records out of order (`desk_audit5.toml`).

Each case runs on Harbin's desk with audit 4's, by `test_desk_audit4.py` (its `Centres`): its expectations, twice on
fresh desks, a restart after every step, every record delivered twice with and without a restart between. This
module checks what the audit covers.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "desk_audit5.toml").read_text(encoding="utf-8"))["case"]
EARLIER = [c["id"] for name in ("desk_audit.toml", "desk_audit2.toml", "desk_audit3.toml", "desk_audit4.toml",
                                "decision_audit.toml")
           for c in tomllib.loads((HERE / name).read_text(encoding="utf-8"))["case"]]
THEMES = ("cw5-", "nd5-", "ld5-", "cap5-", "dn5-", "tp5-", "th5-", "oo5-")


def test_audit_covers_whole_nights_on_its_themes() -> None:
    assert 25 <= len(CASES) <= 35
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids) and not set(ids) & set(EARLIER), "each case id once, over every desk audit"
    for theme in THEMES:
        assert sum(1 for i in ids if i.startswith(theme)) >= 2, theme
    for case in CASES:
        assert 3 <= len(case["step"]) <= 15, case["id"]
        assert sum(1 for s in case["step"] if "expect" in s) >= 2, case["id"]

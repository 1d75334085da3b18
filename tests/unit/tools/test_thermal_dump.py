"""tools/thermal_dump.py: a speed change is checked by comparing every detection, so its
comparison must notice any field of any detection that moved, and a missing set or frame."""

from __future__ import annotations

import copy

from tools.thermal_dump import compare


def _dump() -> dict[str, list[list[dict[str, object]]]]:
    det = {"bbox": [10, 20, 5, 9], "score": 0.734, "posture": "lying", "t_max_c": None, "lat": 45.1}
    return {"8-bit mixed": [[det, {**det, "bbox": [40, 2, 6, 6]}], []], "real": [[det]]}


def test_identical_dumps_compare_equal() -> None:
    assert compare(_dump(), copy.deepcopy(_dump())) == []


def test_any_moved_field_is_a_difference_named_by_set_and_frame() -> None:
    for key, value in (("score", 0.735), ("bbox", [10, 20, 5, 10]), ("posture", "unknown"), ("lat", 45.1000001)):
        other = copy.deepcopy(_dump())
        other["8-bit mixed"][0][1][key] = value
        assert [d.split(":")[0] for d in compare(_dump(), other)] == ["8-bit mixed frame 0"]


def test_a_lost_detection_frame_or_set_is_a_difference() -> None:
    fewer = copy.deepcopy(_dump())
    fewer["8-bit mixed"][0].pop()
    assert compare(_dump(), fewer)
    fewer["8-bit mixed"].pop()
    assert compare(_dump(), fewer) == ["8-bit mixed: 2 frames against 1"]
    del fewer["real"]
    assert "real: only in one dump" in compare(_dump(), fewer)

"""Detections from the thermal-frames topic name the frame they came from."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from agents.thermal import frame_from_payload
from core.errors import FrameError
from simulators.thermal.generator import generate_frame
from thermal.detector import detect_image
from thermal.frames import encode_png


def _record(**over: Any) -> dict[str, Any]:
    ck, meta, _ = generate_frame(5, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    return {**meta, "png_b64": base64.b64encode(encode_png(ck)).decode("ascii"), **over}


def _frames(record: dict[str, Any]) -> set[str | None]:
    meta, image, name = frame_from_payload(json.dumps(record).encode())
    found = detect_image(image, meta, name)
    assert found, "the scene has people in it"
    return {d.frame for d in found}


def test_a_frame_records_own_id_names_its_detections() -> None:
    assert _frames(_record(frame_id="frame-7-00012")) == {"frame-7-00012"}


def test_a_frame_without_an_id_is_named_by_its_camera_and_time() -> None:
    record = _record()
    record.pop("frame_id", None)
    meta, _, name = frame_from_payload(json.dumps(record).encode())
    assert name == f"{meta.camera_id}@{meta.captured_at.isoformat()}"
    assert _frames(record) == {name}  # the same every time the record is read: a replay names it alike


@pytest.mark.parametrize("bad", [7, " ", "x" * 201, "a\nb"])
def test_a_malformed_frame_id_is_refused(bad: object) -> None:
    with pytest.raises(FrameError, match="frame_id"):
        frame_from_payload(json.dumps(_record(frame_id=bad)).encode())

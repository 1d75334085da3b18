"""Bad frames and bad metadata raise FrameError with a reason."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.errors import FrameError
from thermal.frames import (
    check_meta_size,
    decode_png,
    encode_png,
    load_frame_file,
    parse_meta,
)


def ck(h: int = 64, w: int = 80, kelvin: float = 263.15) -> np.ndarray:
    return np.full((h, w), round(kelvin * 100), np.uint16)


def drone_meta(**over: object) -> dict[str, object]:
    d: dict[str, object] = {"camera_id": "d1", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00",
                            "lat": 45.75, "lon": 126.64, "alt_m": 40.0, "yaw_deg": 0.0, "pitch_deg": -90.0,
                            "hfov_deg": 45.0}
    d.update(over)
    return d


def test_good_png_decodes_to_celsius() -> None:
    frame = decode_png(encode_png(ck()))
    assert frame.dtype == np.float32 and frame.shape == (64, 80)
    assert float(frame[0, 0]) == pytest.approx(-10.0, abs=0.01)


def reason(exc: pytest.ExceptionInfo[FrameError]) -> str:
    return exc.value.reason


def test_too_large_frame() -> None:
    with pytest.raises(FrameError) as exc:
        decode_png(encode_png(ck(513, 640)))
    assert "larger than 640x512" in reason(exc)


def test_empty_png() -> None:
    with pytest.raises(FrameError) as exc:
        decode_png(b"")
    assert "empty" in reason(exc)


def test_8bit_png() -> None:
    ok, buf = cv2.imencode(".png", np.full((64, 80), 128, np.uint8))
    assert ok
    with pytest.raises(FrameError) as exc:
        decode_png(buf.tobytes())
    assert "8-bit" in reason(exc)


def test_truncated_png() -> None:
    data = encode_png(ck())
    with pytest.raises(FrameError) as exc:
        decode_png(data[: len(data) // 2])
    assert "truncated" in reason(exc)


def test_out_of_range_values() -> None:
    cold = ck()
    cold[10, 10] = 150 * 100  # 150 K
    with pytest.raises(FrameError) as exc:
        decode_png(encode_png(cold))
    assert "outside the plausible" in reason(exc)
    with pytest.raises(FrameError):
        decode_png(encode_png(ck(kelvin=420.0)))


def test_missing_drone_pose() -> None:
    for key in ("lat", "alt_m", "yaw_deg", "pitch_deg"):
        d = drone_meta()
        del d[key]
        with pytest.raises(FrameError) as exc:
            parse_meta(d)
        assert key in reason(exc)


def test_invalid_metadata_types() -> None:
    for bad in (drone_meta(alt_m="40"), drone_meta(alt_m=-5), drone_meta(lat=True), drone_meta(kind="boat"),
                drone_meta(captured_at="2025-01-15T02:00:00"), drone_meta(camera_id=""),
                drone_meta(hfov_deg=None), drone_meta(pitch_deg=float("nan"))):
        with pytest.raises(FrameError):
            parse_meta(bad)


def test_fixed_camera_needs_four_ground_points() -> None:
    base = {"camera_id": "f1", "kind": "fixed", "captured_at": "2025-01-15T02:00:00Z"}
    pts = [[0, 400, 45.75, 126.64], [600, 400, 45.75, 126.641], [0, 500, 45.749, 126.64]]
    with pytest.raises(FrameError) as exc:
        parse_meta({**base, "ground_points": pts})
    assert "at least 4" in reason(exc)
    with pytest.raises(FrameError):
        parse_meta({**base, "ground_points": [*pts, [600, "x", 45.749, 126.641]]})
    meta = parse_meta({**base, "ground_points": [*pts, [600, 500, 45.749, 126.641]]})
    assert meta.has_pose and len(meta.ground_points) == 4


def test_meta_size_mismatch() -> None:
    meta = parse_meta(drone_meta(width=640, height=512))
    with pytest.raises(FrameError):
        check_meta_size(meta, np.zeros((256, 320), np.float32))


def test_load_files(tmp_path: Path) -> None:
    tif = tmp_path / "a.tiff"
    cv2.imwrite(str(tif), ck())
    assert load_frame_file(tif).shape == (64, 80)
    npy = tmp_path / "b.npy"
    np.save(npy, np.full((64, 80), -5.0, np.float32))
    assert float(load_frame_file(npy)[0, 0]) == -5.0
    np.save(npy, np.full((64, 80), 500.0))
    with pytest.raises(FrameError):
        load_frame_file(npy)
    np.save(npy, np.full((64, 80), 3, np.int32))
    with pytest.raises(FrameError):
        load_frame_file(npy)
    bad = tmp_path / "c.tif"
    bad.write_bytes(b"II*\x00garbage")
    with pytest.raises(FrameError):
        load_frame_file(bad)
    with pytest.raises(FrameError):
        load_frame_file(tmp_path / "d.jpg")

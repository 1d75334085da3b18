"""Frames the detector once refused whole: larger than 640x512 (1280x1024 cores, street cameras' stills), 16-bit sensor counts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import FrameError
from core.settings import PROJECT_ROOT
from geo.distance import haversine_m
from simulators.thermal.generator import generate_frame
from thermal.cameras import MAX_FRAME_SIDE, reduction_factor
from thermal.detector import detect_image
from thermal.frames import ThermalImage, centikelvin_to_c, decode_png, encode_png, load_image_file, parse_meta
from thermal.offline import detect_file

HIT = PROJECT_ROOT / "tests" / "data" / "hit_uav"


def _twice(pixels: np.ndarray) -> np.ndarray:
    """The same scene from a core with twice the pixels each way (each pixel seen as four)."""
    h, w = pixels.shape
    return np.asarray(cv2.resize(pixels, (2 * w, 2 * h), interpolation=cv2.INTER_NEAREST))


def test_reduction_factor() -> None:
    assert [reduction_factor(w, h) for w, h in ((640, 512), (320, 256), (1280, 1024), (1920, 1080), (641, 100))] == [1, 1, 2, 3, 2]


def test_a_1280x1024_radiometric_frame_finds_the_same_people_in_its_own_pixels() -> None:
    """Refused before ("larger than 640x512"): every frame of a 1280x1024 core was lost."""
    ck, meta_d, _ = generate_frame(3, kind="drone", n_people=3, decoys=[], alt_m=40.0)
    meta = parse_meta(meta_d)
    small = detect_image(ThermalImage(centikelvin_to_c(ck), radiometric=True), meta)
    big_ck = decode_png(encode_png(_twice(ck)))  # through the PNG reader, which refused it
    assert big_ck.shape == (2 * ck.shape[0], 2 * ck.shape[1])
    big = detect_image(ThermalImage(big_ck, radiometric=True), replace(meta, width=2 * ck.shape[1], height=2 * ck.shape[0]))
    assert len(small) >= 2 and len(big) == len(small)
    for s, b in zip(small, big, strict=True):
        assert b.bbox == tuple(2 * v for v in s.bbox)
        assert s.lat is not None and s.lon is not None and b.lat is not None and b.lon is not None
        assert haversine_m(s.lat, s.lon, b.lat, b.lon) < 0.01
        assert b.detection_id != s.detection_id  # ids follow the boxes given out


def test_a_1280x1024_jpeg_runs_through_patrol_detect(tmp_path: Path) -> None:
    name = "1_60_30_0_00008"
    sidecar = json.loads((HIT / f"{name}.json").read_text(encoding="utf-8"))
    grey = load_image_file(HIT / f"{name}.jpg").pixels
    small = detect_file(HIT / f"{name}.jpg")
    ok, buf = cv2.imencode(".jpg", _twice(np.asarray(grey, np.uint8)), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    (tmp_path / f"{name}.jpg").write_bytes(buf.tobytes())
    (tmp_path / f"{name}.json").write_text(json.dumps({**sidecar, "width": 1280, "height": 1024}), encoding="utf-8")
    big = detect_file(tmp_path / f"{name}.jpg")
    assert len(small) >= 3 and abs(len(big) - len(small)) <= max(1, len(small) // 10)
    assert max(r["bbox"][0] + r["bbox"][2] for r in big) > 640  # boxes in the large frame's own pixels
    assert all(r["t_max_c"] is None for r in big)


def test_a_large_frame_whose_metadata_describes_another_size_is_refused() -> None:
    """The reduced copy's metadata is made to fit it: a 1280x1024 frame said to be 640x512 (its ground points, its
    principal point for another size) was taken, and its people placed at wrong ground positions."""
    ck, meta_d, _ = generate_frame(3, kind="drone", n_people=3, decoys=[], alt_m=40.0)
    big = ThermalImage(centikelvin_to_c(_twice(ck)), radiometric=True)
    with pytest.raises(FrameError, match="metadata says 640x512"):
        detect_image(big, parse_meta(meta_d))


def test_a_frame_past_the_readable_size_is_still_refused() -> None:
    with pytest.raises(FrameError, match=f"larger than {MAX_FRAME_SIDE}x{MAX_FRAME_SIDE}"):
        decode_png(encode_png(np.full((8, MAX_FRAME_SIDE + 1), 27315, np.uint16)))


def test_a_16_bit_frame_of_sensor_counts_is_read_like_an_8_bit_frame(tmp_path: Path) -> None:
    """An uncalibrated core's counts (7 000-9 000 for a winter scene) read as 70-90 K: the whole frame was refused."""
    from tools.bench_thermal import match

    ck, meta_d, truth = generate_frame(3, kind="drone", n_people=3, decoys=[], alt_m=40.0)
    counts = (ck.astype(np.int32) - 20_000).astype(np.uint16)  # 263 K reads 6 315 counts
    ok, tif = cv2.imencode(".tif", counts)
    assert ok
    for suffix, data in ((".png", encode_png(counts)), (".tif", tif.tobytes())):
        path = tmp_path / f"counts{suffix}"
        path.write_bytes(data)
        img = load_image_file(path)
        assert not img.radiometric and img.polarity == "white-hot", suffix
        found = detect_image(img, parse_meta(meta_d))
        assert all(d.t_max_c is None for d in found), "counts are no degrees"
        assert len(match([list(d.bbox) for d in found], [t["bbox"] for t in truth if not t.get("partial")])) >= 2, suffix
    with pytest.raises(FrameError, match="plausible"):
        decode_png(encode_png(counts))  # the radiometric reader itself stays strict
    blank = np.full((64, 80), 7000, np.uint16)
    blank[0, 0] = 7001
    (tmp_path / "blank.png").write_bytes(encode_png(blank))
    with pytest.raises(FrameError, match="no scene"):
        load_image_file(tmp_path / "blank.png")

"""8-bit (non-radiometric) frames: decoding, polarity, refusals; detections without temperatures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import FrameError
from simulators.thermal.generator import generate_frame
from simulators.thermal.handmade import to_8bit
from thermal.detector import detect_image
from thermal.frames import centikelvin_to_c, decode_image, detect_polarity, load_image_file, parse_meta
from thermal.offline import detect_dir


def scene(seed: int = 3) -> tuple[np.ndarray, dict[str, object], list[dict[str, object]]]:
    ck, meta, truth = generate_frame(seed, kind="drone", alt_m=35.0, pitch_deg=-90.0, n_people=2, decoys=[])
    return centikelvin_to_c(ck), meta, truth


def test_white_hot_and_black_hot_jpeg_decode_with_warm_bright() -> None:
    frame_c, _, truth = scene()
    white = decode_image(to_8bit(frame_c, "white-hot"))
    black = decode_image(to_8bit(frame_c, "black-hot"))
    assert not white.radiometric and white.polarity == "white-hot"
    assert black.polarity == "black-hot"  # detected from the image alone
    x, y, w, h = truth[0]["bbox"]  # type: ignore[misc]
    for img in (white, black):
        person = float(img.pixels[y : y + h, x : x + w].max())
        assert person > float(np.median(img.pixels)) + 40  # warm is bright whatever the source's polarity
    # the sidecar's polarity wins over detection
    assert decode_image(to_8bit(frame_c, "white-hot"), "black-hot").polarity == "black-hot"


def test_polarity_detection_on_a_plain_scene() -> None:
    grey = np.full((120, 160), 60, np.uint8)
    cv2.circle(grey, (50, 60), 3, 220, -1)
    assert detect_polarity(grey) == "white-hot"
    assert detect_polarity(cv2.bitwise_not(grey)) == "black-hot"


def test_8bit_png_and_tiff_are_grey_16bit_png_radiometric(tmp_path: Path) -> None:
    frame_c, _, _ = scene()
    grey = cv2.imdecode(np.frombuffer(to_8bit(frame_c), np.uint8), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(tmp_path / "a.png"), grey)
    cv2.imwrite(str(tmp_path / "a.tif"), grey)
    assert not load_image_file(tmp_path / "a.png").radiometric
    assert not load_image_file(tmp_path / "a.tif").radiometric


@pytest.mark.parametrize(("make", "words"), [
    (lambda jpg: jpg[: len(jpg) // 2], "truncated JPEG"),
    (lambda jpg: b"", "PNG is empty"),
    (lambda jpg: b"GIF89a" + jpg, "unknown signature"),
    (lambda jpg: cv2.imencode(".jpg", np.full((64, 80), 128, np.uint8))[1].tobytes(), "grey level"),
    (lambda jpg: cv2.imencode(".jpg", cv2.applyColorMap(
        cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_GRAYSCALE), cv2.COLORMAP_INFERNO))[1].tobytes(),
     "false colour"),
])
def test_bad_8bit_frames_are_refused_with_the_reason(make, words: str) -> None:  # type: ignore[no-untyped-def]
    frame_c, _, _ = scene()
    with pytest.raises(FrameError) as exc:
        decode_image(make(to_8bit(frame_c)))
    assert words in exc.value.reason


def test_bad_polarity_in_metadata() -> None:
    _, meta, _ = scene()
    with pytest.raises(FrameError, match="polarity"):
        parse_meta({**meta, "polarity": "rainbow"})


def test_detections_on_8bit_frames_have_no_temperature() -> None:
    frame_c, meta, _ = scene(5)
    dets = detect_image(decode_image(to_8bit(frame_c, "black-hot")), parse_meta(meta), "f")
    assert dets, "the people of a plain overhead scene are found in 8-bit"
    assert all(d.t_max_c is None and d.t_mean_c is None for d in dets)
    assert all(d.lat is not None for d in dets)
    row = dets[0].to_dict()
    assert row["t_max_c"] is None


def test_folder_of_jpegs_writes_detections_and_names_bad_files(tmp_path: Path) -> None:
    for seed in (5, 6):
        frame_c, meta, _ = scene(seed)
        (tmp_path / f"f{seed}.jpg").write_bytes(to_8bit(frame_c, "white-hot"))
        (tmp_path / f"f{seed}.json").write_text(json.dumps(meta))
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "f5.jpg").read_bytes()[:3000])
    (tmp_path / "notes.txt").write_text("hello")
    out, err = tmp_path / "out.jsonl", io.StringIO()
    assert detect_dir(tmp_path, out, err=err) == 1
    assert "cut.jpg: truncated JPEG" in err.getvalue()
    assert "notes.txt: skipped" in err.getvalue()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["frame"] for r in rows} == {"f5", "f6"}
    assert all(r["t_max_c"] is None for r in rows)


def test_folder_without_a_readable_frame_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8garbage")
    err = io.StringIO()
    with pytest.raises(FrameError, match="no readable frame"):
        detect_dir(tmp_path, tmp_path / "out.jsonl", err=err)
    assert "a.jpg:" in err.getvalue()


def test_a_small_jpeg_declaring_a_huge_image_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """4 kB declaring 16000x16000: cv2 allocated ~550 MB and spent seconds filling it with grey before the size was refused."""
    import struct

    import thermal.frames as frames

    ok, buf = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (64, 64)).astype(np.uint8))
    assert ok
    data = bytearray(buf.tobytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 16000, 16000)
    decoded: list[int] = []
    monkeypatch.setattr(frames, "_imdecode", lambda b: decoded.append(len(b)))
    with pytest.raises(FrameError, match="16000x16000, larger than"):
        decode_image(bytes(data))
    assert decoded == [], "refused from the header, never decoded"
    no_header = bytes(data[:2]) + bytes(data[sof + 2 + struct.unpack(">H", data[sof + 2 : sof + 4])[0] :])
    with pytest.raises(FrameError, match="no frame header"):
        decode_image(no_header)

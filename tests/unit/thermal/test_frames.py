"""Bad frames and bad metadata raise FrameError with a reason."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import FrameError
from thermal.cameras import check_meta_size
from thermal.detector import detect
from thermal.frames import (
    celsius_to_centikelvin,
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
    frame = decode_png(encode_png(ck() + np.arange(80, dtype=np.uint16)))
    assert frame.dtype == np.float32 and frame.shape == (64, 80)
    assert float(frame[0, 0]) == pytest.approx(-10.0, abs=0.01)


def reason(exc: pytest.ExceptionInfo[FrameError]) -> str:
    return exc.value.reason


def test_too_large_frame() -> None:
    with pytest.raises(FrameError) as exc:
        decode_png(encode_png(ck(8, 2049)))
    assert "larger than 2048x2048" in reason(exc)
    scene = ck(1024, 1280)
    scene[500:520, 600:610] += 1500  # a warm spot: a constant frame is refused as a stuck sensor
    assert decode_png(encode_png(scene)).shape == (1024, 1280), "a 1280x1024 core is read (and reduced to detect)"


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
    cv2.imwrite(str(tif), ck() + np.arange(80, dtype=np.uint16))
    assert load_frame_file(tif).shape == (64, 80)
    npy = tmp_path / "b.npy"
    np.save(npy, np.full((64, 80), -5.0, np.float32) + np.arange(80, dtype=np.float32) * 0.01)
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


# --------------------------------------------------------------------------- every bad frame named


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _png(ihdr: bytes, idat: bytes | None, *, first: bytes = b"") -> bytes:
    """A PNG whose chunks are intact (lengths and CRCs right) around the given contents."""
    data = b"\x89PNG\r\n\x1a\n" + first + _chunk(b"IHDR", ihdr)
    if idat is not None:
        data += _chunk(b"IDAT", idat)
    return data + _chunk(b"IEND", b"")


def _rows(frame: np.ndarray, filter_byte: int = 0) -> bytes:
    return b"".join(bytes([filter_byte]) + row.astype(">u2").tobytes() for row in frame)


IHDR_80x64 = struct.pack(">IIBBBBB", 80, 64, 16, 0, 0, 0, 0)


def test_corrupt_image_data_inside_intact_chunks() -> None:
    rows = _rows(ck())
    packed = zlib.compress(rows)
    cases = {
        "not a valid zlib stream": _png(IHDR_80x64, packed[: len(packed) // 2]),
        "holds 5152 of the 10304 bytes": _png(IHDR_80x64, zlib.compress(rows[: len(rows) // 2])),
        "unknown row filter": _png(IHDR_80x64, zlib.compress(_rows(ck(), filter_byte=7))),
        "IDAT chunk missing": _png(IHDR_80x64, None),
        "IHDR must be the first chunk": _png(IHDR_80x64, packed, first=_chunk(b"tEXt", b"k\x00v")),
        "unknown compression, filter or interlace": _png(struct.pack(">IIBBBBB", 80, 64, 16, 0, 0, 0, 5), packed),
    }
    for expected, data in cases.items():
        with pytest.raises(FrameError) as exc:
            decode_png(data)
        assert expected in reason(exc), reason(exc)


def test_stuck_and_saturated_frames() -> None:
    for frame, expected in ((np.zeros((64, 80), np.uint16), "all zero"),
                            (np.full((64, 80), 65535, np.uint16), "saturated"),
                            (ck(), "constant at 263.15 K")):
        with pytest.raises(FrameError) as exc:
            decode_png(encode_png(frame))
        assert expected in reason(exc)
    half = ck() + np.arange(80, dtype=np.uint16)
    half[:32] = 65535
    with pytest.raises(FrameError) as exc:
        decode_png(encode_png(half))
    assert "saturated (50 % of pixels" in reason(exc)


def test_a_hot_exhaust_is_a_scene_most_pixels_that_hot_are_not() -> None:
    frame = ck() + np.arange(80, dtype=np.uint16)
    frame[10:13, 10:13] = 45000  # 450 K exhaust pipe: 9 of 5120 pixels
    assert float(decode_png(encode_png(frame)).max()) == pytest.approx(450.0 - 273.15, abs=0.01)
    frame[:20] = 45000
    with pytest.raises(FrameError) as exc:
        decode_png(encode_png(frame))
    assert "31 % of pixels above 400 K" in reason(exc)


def test_npy_in_kelvin_is_named(tmp_path: Path) -> None:
    npy = tmp_path / "k.npy"
    np.save(npy, np.linspace(250.0, 270.0, 64 * 80).reshape(64, 80))
    with pytest.raises(FrameError) as exc:
        load_frame_file(npy)
    assert "look like kelvin" in reason(exc)


def test_more_bad_metadata_is_named() -> None:
    cases = {
        "alt_m is not finite": drone_meta(alt_m=10**400),
        "lat/lon is 0, 0": drone_meta(lat=0.0, lon=0.0),
        "expected a year 2000..2099": drone_meta(captured_at="1970-01-01T00:00:00Z"),
        "missing captured_at": drone_meta(captured_at=None),
        "camera_id must be 1-200 printable": drone_meta(camera_id="c" * 201),
        "width must be an integer": drone_meta(width=640.5),
        "hfov_deg=180.0 outside": drone_meta(hfov_deg=180),
        "hfov_deg=0.0 outside": drone_meta(hfov_deg=0),
        "pitch_deg=-95.0 outside": drone_meta(pitch_deg=-95.0),
        "yaw_deg=400.0 outside": drone_meta(yaw_deg=400.0),
        "missing yaw_deg": drone_meta(yaw_deg=None),
    }
    for expected, d in cases.items():
        with pytest.raises(FrameError) as exc:
            parse_meta(d)
        assert expected in reason(exc), reason(exc)
    assert parse_meta(drone_meta(width=640.0)).width == 640


def test_fixed_camera_survey_must_span_an_area_and_agree() -> None:
    base = {"camera_id": "f1", "kind": "fixed", "captured_at": "2025-01-15T02:00:00Z"}
    on_a_line = [[0, 0, 45.75, 126.64], [10, 10, 45.7501, 126.6401], [20, 20, 45.7502, 126.6402],
                 [30, 30, 45.7503, 126.6403]]
    one_spot = [[0, 400, 45.75, 126.64], [600, 400, 45.75, 126.64], [0, 500, 45.75, 126.64], [600, 500, 45.75, 126.64]]
    good = [[0, 300, 45.7505, 126.6395], [640, 300, 45.7505, 126.6405], [0, 500, 45.75, 126.6399],
            [640, 500, 45.75, 126.6401], [320, 400, 45.7502, 126.64]]  # a 60 m survey, 4 m off a plane
    off = [*good, [160, 450, 45.7502, 126.6399]]  # one more point 20 m from where the others put it
    far = [*good[:4], [320, 400, 45.76, 126.65]]  # a kilometre off: no plane has all five
    for pts, expected in ((on_a_line, "pixels are (nearly) on one line"), (one_spot, "one spot"),
                          (off, "disagree with each other"), (far, "ground_points")):
        with pytest.raises(FrameError) as exc:
            parse_meta({**base, "ground_points": pts})
        assert expected in reason(exc), reason(exc)
    assert parse_meta({**base, "ground_points": good}).has_pose


def test_metadata_that_does_not_fit_the_image() -> None:
    frame = np.zeros((512, 640), np.float32)
    for d, expected in ((drone_meta(pitch_deg=40.0), "leaves no ground in view"),
                        (drone_meta(fx=500.0, fy=500.0, cx=-5000.0, cy=256.0, hfov_deg=None), "principal point"),
                        (drone_meta(fx=0.001, fy=0.001, cx=320.0, cy=256.0, hfov_deg=None), "field of view"),
                        (drone_meta(width=320, height=256), "image is 640x512 but metadata says 320x256")):
        with pytest.raises(FrameError) as exc:
            check_meta_size(parse_meta(d), frame)
        assert expected in reason(exc), reason(exc)
        # the thermal agent calls the detector without check_meta_size: it refuses too
        with pytest.raises(FrameError):
            detect(frame + 1.0, parse_meta(d))


def test_random_frames_and_poses_raise_nothing_but_frame_errors() -> None:
    rng = np.random.default_rng(3)
    for k in range(60):
        w, h = int(rng.integers(8, 200)), int(rng.integers(8, 160))
        frame = (rng.uniform(-40.0, 40.0, (h, w)) if k % 2 else np.full((h, w), -20.0)).astype(np.float32)
        frame[h // 3 : h // 2, w // 3 : w // 2] += float(rng.uniform(0.0, 120.0))
        d = drone_meta(alt_m=float(rng.uniform(1.0, 500.0)), yaw_deg=float(rng.uniform(-360.0, 360.0)),
                       pitch_deg=float(rng.uniform(-90.0, 30.0)), roll_deg=float(rng.uniform(-30.0, 30.0)),
                       hfov_deg=float(rng.uniform(5.0, 120.0)), ambient_c=float(rng.uniform(-40.0, 5.0)))
        try:
            detect(frame, parse_meta(d))
            decode_png(encode_png(celsius_to_centikelvin(frame)))
        except FrameError:
            pass


@pytest.mark.parametrize("first_filter", [b"\x00", b"\x09"])
def test_png_image_data_that_inflates_past_the_image_is_refused_unread(first_filter: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """50 kB of zlib holding 50 MB of zeros in a 640x512 PNG: libpng inflated all of it (2.5 s per 500 MB), and a bad
    row filter made the refusal's explanation inflate it all again into memory (1 GB for a 500 kB record)."""
    import thermal.frames as frames

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    stream = packer.compress(first_filter) + b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(50)) + packer.flush()
    png = (frames.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 640, 512, 16, 0, 0, 0, 0)) + chunk(b"IDAT", stream)
           + chunk(b"IEND", b""))
    monkeypatch.setattr(frames, "_imdecode", lambda data: pytest.fail("decoded"))
    with pytest.raises(FrameError, match="inflates past the 655872 bytes a 640x512 image holds"):
        frames.decode_image(png)
    if first_filter == b"\x09":  # the explanation of a refusal reads no more than the image holds either
        assert frames._why_undecodable(frames._png_header(png)) == "corrupt PNG (unknown row filter in the image data)"


def test_a_npy_header_declaring_no_frame_is_refused_before_it_is_allocated(tmp_path: Path) -> None:
    # A 1 kB .npy whose header says (200000, 200000) float64: numpy allocated 298 GiB first, MemoryError stopped `patrol detect`.
    def npy(descr: str, shape: str) -> Path:
        header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
        header = header.ljust(118) + "\n"
        path = tmp_path / f"f{len(list(tmp_path.iterdir()))}.npy"
        path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 1000)
        return path

    for descr, shape, why in (("<f8", "(200000, 200000)", "larger than"), ("<f4", "(64, 80, 3)", "single-channel"),
                              ("<i8", "(64, 80)", "float degrees"), ("<f4", "(0, 80)", "empty")):
        with pytest.raises(FrameError, match=why):
            load_frame_file(npy(descr, shape))
    with pytest.raises(FrameError, match="NPY could not be read"):
        (tmp_path / "junk.npy").write_bytes(b"not numpy")
        load_frame_file(tmp_path / "junk.npy")


def _tiff(order: str, width: int, height: int, big: bool = False) -> bytes:
    """A TIFF whose first directory declares width x height 16-bit grey, and one tiny strip (the image data is missing)."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 16), (259, 3, 1), (262, 3, 1), (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, 16)]
    if big:
        head = (b"II" if order == "<" else b"MM") + struct.pack(order + "HHHQ", 43, 8, 0, 16)
        entries = b"".join(struct.pack(order + "HHQ", t, 16 if k == 4 else k, 1) + struct.pack(order + ("Q" if k == 4 else "H6x"), v) for t, k, v in tags)
        return head + struct.pack(order + "Q", len(tags)) + entries + struct.pack(order + "Q", 0)
    head = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8)
    entries = b"".join(struct.pack(order + "HHI", t, k, 1) + struct.pack(order + ("I" if k == 4 else "H2x"), v) for t, k, v in tags)
    return head + struct.pack(order + "H", len(tags)) + entries + struct.pack(order + "I", 0)


def test_a_tiff_declaring_a_huge_image_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    """A 130-byte TIFF declaring 20000x20000 made cv2 allocate 800 MB before it could be refused; 60000x60000 raised
    cv2.error (CV_IO_MAX_IMAGE_PIXELS) and stopped `patrol detect` with a traceback."""
    for n, (order, width, height, big) in enumerate((("<", 60000, 60000, False), (">", 20000, 20000, False), ("<", 60000, 60000, True),
                                                     (">", 70000, 8, True))):
        path = tmp_path / f"f{n}.tif"
        path.write_bytes(_tiff(order, width, height, big))
        with pytest.raises(FrameError, match=f"frame is {width}x{height}, larger than"):
            load_frame_file(path)
    path.write_bytes(_tiff("<", 80, 64)[:20])  # its directory cut short
    with pytest.raises(FrameError, match="no image width and length"):
        load_frame_file(path)
    tif = tmp_path / "ok.tif"
    cv2.imwrite(str(tif), ck() + np.arange(80, dtype=np.uint16))
    assert load_frame_file(tif).shape == (64, 80)

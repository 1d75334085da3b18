"""Radiometric frames and their metadata, validated at the door.

A frame that is corrupt or physically implausible must be refused with a
clear reason (FrameError) rather than produce phantom people on the map, so
every check lives here and the detector can trust what it gets.

Radiometric frames: 16-bit grayscale, centi-kelvin ("TLinear"), or .npy float
degrees Celsius; in memory float32 degrees Celsius.

Non-radiometric frames (most drone live feeds and recordings): 8-bit grey JPEG,
PNG or TIFF after automatic gain control, white-hot or black-hot. Grey levels
rank temperatures within one frame only, so they are never turned into
degrees: `ThermalImage.pixels` holds grey levels 0..255 with warm bright (a
black-hot frame is inverted here) and `radiometric` is False.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import FrameError, RecordError
from core.records import parse_time
from core.validate import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NotFinite,
    finite,
    is_finite_number,
    on_earth,
    plausible_year,
    whole,
)
from thermal.cameras import MAX_FRAME_SIDE, FrameMeta, check_homography

MIN_K = 200.0
MAX_K = 400.0
# Exhausts, lamps and fires read above MAX_K; a few such pixels are a scene, many are a
# saturated sensor or another unit (raw counts, centi-Celsius).
HOT_MAX_FRACTION = 0.02
SATURATED = 65535
KELVIN = 273.15
KINDS = ("drone", "fixed")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# survey points of a fixed camera must span an area, in the image and on the ground
MIN_SURVEY_AREA_PX = 100.0
MIN_SURVEY_AREA_M2 = 1.0
MAX_ID_CHARS = 200
POLARITIES = ("white-hot", "black-hot")
JPEG_SOI, JPEG_EOI, JPEG_SOS = b"\xff\xd8", b"\xff\xd9", b"\xff\xda"
# Start-of-frame markers (baseline, progressive, lossless, arithmetic; not DHT C4, JPG C8, DAC CC) and markers without a length.
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
GREY_MAX_CHANNEL_DIFF = 3.0  # mean |R-G|, |G-B| of a grey frame saved as colour (JPEG noise)
GREY_MIN_LEVELS = 4  # fewer distinct grey levels is a blank or stuck feed, not a scene
POLARITY_BLUR = 15  # median filter (px) that removes people, leaving the scene they stand out from


@dataclass(frozen=True)
class ThermalImage:
    """A decoded frame as the detector takes it.

    Radiometric: `pixels` are float32 °C. Otherwise grey levels 0..255 as
    float32 with warm bright whatever the source's polarity (kept in
    `polarity`, as given by the sidecar or detected).
    """

    pixels: np.ndarray
    radiometric: bool
    polarity: str | None = None

def _num(d: dict[str, Any], key: str, *, required: bool = False, lo: float | None = None,
         hi: float | None = None, positive: bool = False) -> float | None:
    """A finite real number (bools and strings refused) within bounds."""
    if key not in d or d[key] is None:
        if required:
            raise FrameError(f"metadata: missing {key}")
        return None
    value = d[key]
    try:
        x = finite(value)
    except TypeError:
        raise FrameError(f"metadata: {key} must be a number, got {type(value).__name__}") from None
    except NotFinite as exc:
        raise FrameError(f"metadata: {key} is {exc}") from None
    if positive and x <= 0:
        raise FrameError(f"metadata: {key} must be > 0, got {x}")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise FrameError(f"metadata: {key}={x} outside [{lo}, {hi}]")
    return x


def _int(d: dict[str, Any], key: str, hi: int) -> int | None:
    """A whole number 1..hi (640.0 is read as 640, as JSON writers may emit it)."""
    if key not in d or d[key] is None:
        return None
    value = whole(d[key], 1, hi)
    if value is None:
        raise FrameError(f"metadata: {key} must be an integer in 1..{hi}, got {d[key]!r:.40}")
    return value


def parse_meta(d: dict[str, Any]) -> FrameMeta:
    """Validate a sidecar / message metadata dict; FrameError names the field."""
    if not isinstance(d, dict):
        raise FrameError(f"metadata: expected an object, got {type(d).__name__}")
    camera_id = d.get("camera_id")
    if not isinstance(camera_id, str) or not camera_id.strip():
        raise FrameError("metadata: camera_id must be a non-empty string")
    if len(camera_id) > MAX_ID_CHARS or not camera_id.isprintable():
        raise FrameError(f"metadata: camera_id must be 1-{MAX_ID_CHARS} printable characters")
    kind = d.get("kind")
    if kind not in KINDS:
        raise FrameError(f"metadata: kind must be one of {KINDS}, got {kind!r:.40}")
    if "captured_at" not in d or d["captured_at"] is None:
        raise FrameError("metadata: missing captured_at")
    try:
        captured_at = parse_time(d.get("captured_at"), "captured_at")
    except FrameError:
        raise
    except RecordError as exc:
        raise FrameError(f"metadata: {exc.reason}") from exc
    if not plausible_year(captured_at):
        raise FrameError(f"metadata: captured_at {captured_at.isoformat()} is implausible "
                         f"(expected a year {EARLIEST_YEAR}..{LATEST_YEAR})")
    fields: dict[str, Any] = {
        "ambient_c": _num(d, "ambient_c", lo=-80.0, hi=60.0),
        "width": _int(d, "width", MAX_FRAME_SIDE),
        "height": _int(d, "height", MAX_FRAME_SIDE),
        "hfov_deg": _num(d, "hfov_deg", lo=1.0, hi=170.0),
        "polarity": _polarity(d.get("polarity")),
    }
    intr = {k: _num(d, k) for k in ("fx", "fy", "cx", "cy")}
    given = [k for k, v in intr.items() if v is not None]
    if given and len(given) != 4:
        raise FrameError(f"metadata: intrinsics need all of fx, fy, cx, cy (got {', '.join(given)})")
    if given and min(intr["fx"] or 0.0, intr["fy"] or 0.0) <= 0:
        raise FrameError("metadata: fx and fy must be > 0")
    fields.update(intr)
    for key in ("pos_sigma_m", "alt_sigma_m", "att_sigma_deg", "survey_sigma_m"):
        v = _num(d, key, lo=0.0, hi=1000.0)
        if v is not None:
            fields[key] = v
    if kind == "drone":
        fields["lat"] = _num(d, "lat", required=True, lo=-90.0, hi=90.0)
        fields["lon"] = _num(d, "lon", required=True, lo=-180.0, hi=180.0)
        fields["alt_m"] = _num(d, "alt_m", required=True, positive=True, hi=10_000.0)
        fields["yaw_deg"] = _num(d, "yaw_deg", required=True, lo=-360.0, hi=360.0)
        fields["pitch_deg"] = _num(d, "pitch_deg", required=True, lo=-90.0, hi=90.0)
        fields["roll_deg"] = _num(d, "roll_deg", lo=-180.0, hi=180.0) or 0.0
        if fields["lat"] == 0.0 and fields["lon"] == 0.0:
            raise FrameError("metadata: lat/lon is 0, 0 (a GNSS receiver without a fix)")
        if fields["hfov_deg"] is None and not given:
            raise FrameError("metadata: a drone frame needs intrinsics: hfov_deg or fx, fy, cx, cy")
    else:
        fields["ground_points"] = _ground_points(d.get("ground_points"))
    meta = FrameMeta(camera_id=camera_id, kind=kind, captured_at=captured_at, **fields)
    if kind == "fixed":
        check_homography(meta)
    return meta


def frame_name(d: dict[str, Any], meta: FrameMeta) -> str:
    """The frame a detection came from: the record's own `frame_id`, else `<camera_id>@<captured_at iso>`.

    Detections of the thermal-frames topic had an empty `frame`: nothing led back from an alert to the image it saw.
    """
    given = d.get("frame_id")
    if given is None or given == "":
        return f"{meta.camera_id}@{meta.captured_at.isoformat()}"
    if not isinstance(given, str) or len(given) > MAX_ID_CHARS or not given.isprintable() or not given.strip():
        raise FrameError(f"metadata: frame_id must be 1-{MAX_ID_CHARS} printable characters")
    return given


def _polarity(raw: Any) -> str | None:
    """`white-hot` / `black-hot` for 8-bit frames; absent means detect it from the image."""
    if raw is None:
        return None
    if raw not in POLARITIES:
        raise FrameError(f"metadata: polarity must be one of {POLARITIES}, got {raw!r:.40}")
    return str(raw)


def _ground_points(raw: Any) -> tuple[tuple[float, float, float, float], ...]:
    """At least four [u, v, lat, lon] survey points, distinct and finite."""
    if not isinstance(raw, list | tuple):
        raise FrameError("metadata: a fixed camera needs ground_points: a list of [u, v, lat, lon]")
    if len(raw) < 4:
        raise FrameError(f"metadata: a fixed camera needs at least 4 ground_points, got {len(raw)}")
    out: list[tuple[float, float, float, float]] = []
    for i, p in enumerate(raw):
        if not isinstance(p, list | tuple) or len(p) != 4:
            raise FrameError(f"metadata: ground_points[{i}] must be [u, v, lat, lon]")
        vals = []
        for x in p:
            if not is_finite_number(x):
                raise FrameError(f"metadata: ground_points[{i}] has a non-numeric value {x!r}")
            vals.append(float(x))
        u, v, lat, lon = vals
        if not on_earth(lat, lon):
            raise FrameError(f"metadata: ground_points[{i}] lat/lon out of range")
        out.append((u, v, lat, lon))
    if len({(p[0], p[1]) for p in out}) < 4:
        raise FrameError("metadata: ground_points need at least 4 distinct pixels")
    pixels = np.array([(p[0], p[1]) for p in out], np.float32)
    lat0 = math.radians(out[0][2])
    metres = np.array([((p[3] - out[0][3]) * 111_320.0 * math.cos(lat0), (p[2] - out[0][2]) * 110_540.0)
                       for p in out], np.float32)
    if cv2.contourArea(cv2.convexHull(pixels)) < MIN_SURVEY_AREA_PX:
        raise FrameError("metadata: ground_points pixels are (nearly) on one line: no homography")
    if cv2.contourArea(cv2.convexHull(metres)) < MIN_SURVEY_AREA_M2:
        raise FrameError("metadata: ground_points lat/lon are (nearly) on one line or one spot: no homography")
    return tuple(out)


# --------------------------------------------------------------------------- pixels


def _check_shape(shape: tuple[int, ...]) -> None:
    if len(shape) != 2:
        raise FrameError(f"frame must be single-channel 2-D, got shape {shape}")
    h, w = shape
    if h == 0 or w == 0:
        raise FrameError("frame is empty (0 pixels)")
    if w > MAX_FRAME_SIDE or h > MAX_FRAME_SIDE:
        raise FrameError(f"frame is {w}x{h}, larger than {MAX_FRAME_SIDE}x{MAX_FRAME_SIDE}")
    if w < 8 or h < 8:
        raise FrameError(f"frame is {w}x{h}, too small to be a thermal image")


def _check_range(lo: float, hi: float, n_hot: int, n: int, unit: str, scale: float) -> None:
    """Every pixel at least MIN_K; above MAX_K only a few (hot exhausts, lamps), never most."""
    if lo < MIN_K * scale - (KELVIN if unit == "°C" else 0.0) or n_hot > HOT_MAX_FRACTION * n:
        shown = f"{lo / scale:.2f}..{hi / scale:.2f} {unit}"
        extra = "" if n_hot <= HOT_MAX_FRACTION * n else f" ({100.0 * n_hot / n:.0f} % of pixels above {MAX_K:.0f} K)"
        raise FrameError(f"pixel values {shown} outside the plausible {MIN_K:.0f}-{MAX_K:.0f} K{extra}")


def centikelvin_to_c(raw: np.ndarray) -> np.ndarray:
    """Validate a uint16 centi-kelvin array and convert it to float32 Celsius."""
    if raw.dtype != np.uint16:
        raise FrameError(f"frame must be 16-bit centi-kelvin, got dtype {raw.dtype}")
    _check_shape(raw.shape)
    lo, hi = int(raw.min()), int(raw.max())
    if lo == hi:
        what = "saturated" if hi == SATURATED else ("all zero" if hi == 0 else f"constant at {hi / 100:.2f} K")
        raise FrameError(f"frame is {what}: a stuck sensor, closed shutter or empty readout, not a scene")
    n_hot = int(np.count_nonzero(raw > MAX_K * 100)) if hi > MAX_K * 100 else 0
    if hi == SATURATED and n_hot > HOT_MAX_FRACTION * raw.size:
        raise FrameError(f"frame is saturated ({100.0 * n_hot / raw.size:.0f} % of pixels at or above "
                         f"{MAX_K:.0f} K, max {SATURATED})")
    _check_range(lo, hi, n_hot, raw.size, "K", 100.0)
    out = raw.astype(np.float32)
    out *= np.float32(0.01)
    out -= np.float32(KELVIN)
    return out


def validate_celsius(frame_c: np.ndarray) -> np.ndarray:
    """Validate a float Celsius array (e.g. from .npy); returns float32."""
    if frame_c.dtype.kind != "f":
        raise FrameError(f"a .npy frame must hold float degrees Celsius, got dtype {frame_c.dtype}")
    _check_shape(frame_c.shape)
    arr = np.asarray(frame_c, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise FrameError("frame has non-finite values (NaN/inf)")
    lo, hi = float(arr.min()), float(arr.max())
    if lo == hi:
        raise FrameError(f"frame is constant at {hi:.2f} °C: a stuck sensor or closed shutter, not a scene")
    if lo >= MIN_K - 10.0 and hi <= MAX_K:
        raise FrameError(f"pixel values {lo:.2f}..{hi:.2f} look like kelvin; a .npy frame holds degrees Celsius")
    n_hot = int(np.count_nonzero(arr > MAX_K - KELVIN)) if hi > MAX_K - KELVIN else 0
    _check_range(lo, hi, n_hot, arr.size, "°C", 1.0)
    return arr


@dataclass(frozen=True)
class _PngInfo:
    width: int
    height: int
    depth: int
    colour: int
    interlace: int
    idat: tuple[bytes, ...]


def _png_header(data: bytes) -> _PngInfo:
    """Walk the PNG chunks: header fields and the image data chunks.

    cv2.imdecode silently returns a partly grey image for a truncated file, so
    the chunk lengths and CRCs are checked here and IEND must be reached.
    """
    if not data:
        raise FrameError("PNG is empty (0 bytes)")
    if not data.startswith(PNG_SIGNATURE):
        raise FrameError("not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    header: tuple[int, int, int, int, int] | None = None
    idat: list[bytes] = []
    n = len(data)
    while True:
        if pos + 8 > n:
            raise FrameError("truncated PNG (no IEND chunk)")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 8 + length + 4
        if end > n:
            raise FrameError(f"truncated PNG (chunk {ctype!r} cut short)")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise FrameError(f"corrupt PNG (CRC mismatch in chunk {ctype!r})")
        if (ctype == b"IHDR") != (header is None):
            raise FrameError("corrupt PNG (IHDR must be the first chunk, and only one)")
        if ctype == b"IHDR":
            if length != 13:
                raise FrameError("corrupt PNG (bad IHDR)")
            w, h, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
            if compression != 0 or filtering != 0 or interlace not in (0, 1):
                raise FrameError("corrupt PNG (unknown compression, filter or interlace method in IHDR)")
            header = (w, h, depth, colour, interlace)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos = end
    if header is None:
        raise FrameError("corrupt PNG (no IHDR)")
    return _PngInfo(*header, idat=tuple(idat))


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+alpha, RGBA


def _refuse_excess_data(info: _PngInfo) -> None:
    """Refuse image data that inflates past what the header's image holds, before cv2 sees it.

    libpng inflates every byte of a stream even past the image's end: half a
    megabyte of zlib holding 500 MB of zeros kept the decoder busy 2.5 s.
    """
    channels = _PNG_CHANNELS.get(info.colour, 4)
    holds = info.height * (1 + (info.width * info.depth * channels + 7) // 8)
    if info.interlace:
        holds += 8 * info.height + 8  # Adam7: a filter byte and a partial byte per row of each pass
    try:
        inflated = zlib.decompressobj().decompress(b"".join(info.idat), holds + 1)
    except zlib.error:
        return  # cv2 refuses it, and _why_undecodable says why
    if len(inflated) > holds:
        raise FrameError(f"corrupt PNG (image data inflates past the {holds} bytes a {info.width}x{info.height} image holds)")


def _why_undecodable(info: _PngInfo) -> str:
    """Name what is wrong with image data whose chunks are intact (cv2 only says no)."""
    if not info.idat:
        return "corrupt PNG (no image data: IDAT chunk missing)"
    row = 1 + 2 * info.width
    need = info.height * row
    limit = need + 8 * info.height + 8  # no more than the image can hold: half a megabyte of zlib may inflate to half a gigabyte
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(info.idat), limit)
    except zlib.error as exc:
        return f"corrupt PNG (image data is not a valid zlib stream: {exc})"
    if not inflater.eof and len(raw) < limit:
        return "corrupt PNG (image data is not a valid zlib stream: incomplete or truncated stream)"
    if info.interlace == 0:
        if len(raw) < need:
            return (f"corrupt PNG (image data holds {len(raw)} of the {need} bytes a "
                    f"{info.width}x{info.height} 16-bit image needs)")
        if any(raw[i] > 4 for i in range(0, need, row)):
            return "corrupt PNG (unknown row filter in the image data)"
    return "PNG could not be decoded"


def _imdecode(data: bytes) -> np.ndarray | None:
    """cv2's decoder, None when it refuses (it raises on some corrupt data, returns None on other)."""
    try:
        return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return None


def decode_png(data: bytes) -> np.ndarray:
    """16-bit grayscale centi-kelvin PNG bytes -> float32 °C, validated."""
    return centikelvin_to_c(_png16(data))


def _png16(data: bytes) -> np.ndarray:
    """16-bit grayscale PNG bytes -> their uint16 values, validated as a PNG."""
    info = _png_header(data)
    if info.depth != 16:
        raise FrameError(f"PNG is {info.depth}-bit; a radiometric frame must be 16-bit centi-kelvin")
    if info.colour != 0:
        raise FrameError(f"PNG colour type {info.colour}; a radiometric frame must be single-channel grayscale")
    _check_shape((info.height, info.width))
    _refuse_excess_data(info)
    raw = _imdecode(data)
    if raw is None or raw.shape != (info.height, info.width):
        raise FrameError(_why_undecodable(info))
    return np.asarray(raw)


COUNTS_GAIN_PERCENTILES = (0.5, 99.9)  # the gain control that reads sensor counts as an 8-bit frame
COUNTS_MIN_SPREAD = 16  # counts between those percentiles: less is a blank or stuck readout


def sixteen_bit_image(raw: np.ndarray, polarity: str | None, what: str) -> ThermalImage:
    """A 16-bit frame: centi-kelvin when its values are temperatures, else raw sensor counts.

    An uncalibrated core (a Boson's or Tau's 14-bit output saved as TIFF or
    PNG) writes counts, 7 000-9 000 for a winter scene, which read as 70-90 K:
    such a frame was refused whole. Counts rank warmth like an 8-bit frame's
    grey levels, so it is read as one after gain control (white-hot unless
    the sidecar says otherwise), and its detections carry no temperature.
    """
    try:
        return ThermalImage(centikelvin_to_c(raw), radiometric=True)
    except FrameError as exc:
        if not exc.reason.startswith("pixel values"):  # stuck, saturated, empty: no scene in any unit
            raise
        implausible = exc.reason
    lo, hi = (float(v) for v in np.percentile(raw, COUNTS_GAIN_PERCENTILES))
    if hi - lo < COUNTS_MIN_SPREAD:
        raise FrameError(f"{implausible}, and as sensor counts it spans only {hi - lo:.0f} levels: no scene")
    grey = np.clip((raw.astype(np.float32) - lo) * np.float32(255.0 / (hi - lo)), 0.0, 255.0).astype(np.uint8)
    return grey_image(grey, polarity or "white-hot", f"{what} (16-bit sensor counts)")


def encode_png(frame_ck: np.ndarray) -> bytes:
    """uint16 centi-kelvin array -> PNG bytes (for simulators and tests)."""
    ok, buf = cv2.imencode(".png", frame_ck)
    if not ok:
        raise FrameError("PNG encoding failed")
    return buf.tobytes()


def celsius_to_centikelvin(frame_c: np.ndarray) -> np.ndarray:
    """float °C -> uint16 centi-kelvin, rounded and clipped to the 16-bit range."""
    return np.clip(np.rint((frame_c.astype(np.float64) + KELVIN) * 100.0), 0, 65535).astype(np.uint16)


def detect_polarity(grey: np.ndarray) -> str:
    """White-hot or black-hot from the image alone: people, lamps and engines are small warm
    things, so the strongest small departures from the median-filtered scene point to warm.
    A heuristic; a sidecar's `polarity` overrides it."""
    scene = cv2.medianBlur(grey, POLARITY_BLUR)
    residual = grey.astype(np.int16) - scene.astype(np.int16)
    bright, dark = np.percentile(residual, [99.9, 0.1])
    return "white-hot" if bright >= -dark else "black-hot"


def grey_image(raw: np.ndarray, polarity: str | None = None, what: str = "image") -> ThermalImage:
    """Validate an 8-bit frame (grey, or grey stored as colour) -> ThermalImage with warm bright."""
    if raw.dtype != np.uint8:
        raise FrameError(f"{what} is {raw.dtype}; a non-radiometric frame must be 8-bit grey")
    if raw.ndim == 3:
        if raw.shape[2] not in (3, 4):
            raise FrameError(f"{what} has {raw.shape[2]} channels; expected grey")
        b, g, r = (raw[:, :, i].astype(np.int16) for i in range(3))
        diff = float(max(np.abs(b - g).mean(), np.abs(g - r).mean()))
        if diff > GREY_MAX_CHANNEL_DIFF:
            raise FrameError(f"{what} is in false colour (a palette, channels differ by {diff:.0f} levels): "
                             "the detector needs grey white-hot or black-hot frames")
        raw = np.ascontiguousarray(raw[:, :, 1])
    _check_shape(raw.shape)
    levels = int(np.count_nonzero(np.bincount(raw.ravel(), minlength=256)))
    if levels < GREY_MIN_LEVELS:
        raise FrameError(f"{what} has only {levels} grey level(s): a blank, stuck or saturated feed, not a scene")
    pol = polarity or detect_polarity(raw)
    grey = raw if pol == "white-hot" else cv2.bitwise_not(raw)
    return ThermalImage(grey.astype(np.float32), radiometric=False, polarity=pol)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(height, width) from the JPEG's frame header, read before decoding: a few kilobytes may declare 30000x30000,
    and cv2 would allocate (and fill with grey) the whole image before its size could be refused."""
    pos, n = len(JPEG_SOI), len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise FrameError("corrupt JPEG (a marker was expected)")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if length < 8 or pos + 9 > n:
                raise FrameError("corrupt JPEG (frame header cut short)")
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return height, width
        if marker == JPEG_SOS[1] or length < 2:
            break
        pos += 2 + length
    raise FrameError("corrupt JPEG (no frame header before the image data)")


def _decode_jpeg(data: bytes, polarity: str | None) -> ThermalImage:
    """8-bit JPEG bytes -> ThermalImage; a truncated file is refused (cv2 would fill it with grey)."""
    if not data:
        raise FrameError("JPEG is empty (0 bytes)")
    if not data.startswith(JPEG_SOI):
        raise FrameError("not a JPEG file (bad signature)")
    sos = data.rfind(JPEG_SOS)
    if sos < 0 or data.rfind(JPEG_EOI) < sos:
        raise FrameError("truncated JPEG (no end-of-image marker after the image data)")
    _check_shape(_jpeg_size(data))
    raw = _imdecode(data)
    if raw is None:
        raise FrameError("JPEG could not be decoded (corrupt image data)")
    return grey_image(raw, polarity, "JPEG")


def _decode_png_any(data: bytes, polarity: str | None) -> ThermalImage:
    """PNG bytes: 16-bit grey is radiometric (centi-kelvin), 8-bit is an AGC frame."""
    info = _png_header(data)
    if info.depth == 16:
        return sixteen_bit_image(_png16(data), polarity, "PNG")
    if info.depth != 8:
        raise FrameError(f"PNG is {info.depth}-bit; want 16-bit centi-kelvin or 8-bit grey")
    _check_shape((info.height, info.width))
    _refuse_excess_data(info)
    raw = _imdecode(data)
    if raw is None or raw.shape[:2] != (info.height, info.width):
        raise FrameError("PNG could not be decoded (corrupt image data)")
    return grey_image(raw, polarity, "PNG")


def decode_image(data: bytes, polarity: str | None = None) -> ThermalImage:
    """Frame bytes of any accepted kind (16-bit or 8-bit PNG, JPEG), told apart by their signature."""
    if data.startswith(JPEG_SOI):
        return _decode_jpeg(data, polarity)
    if data.startswith(PNG_SIGNATURE) or not data:
        return _decode_png_any(data, polarity)
    raise FrameError("not a PNG or JPEG frame (unknown signature)")


_TIFF_FIELD = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8: the types an image size is written in


def _tiff_size(data: bytes) -> tuple[int, int]:
    """(height, width) of a TIFF's first image from its first directory, read before decoding: a 200-byte file
    declaring 20000x20000 made cv2 allocate 800 MB before the size could be refused (60000x60000 raised cv2.error)."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 16:
        raise FrameError("not a TIFF file (bad signature)")
    (version,) = struct.unpack(order + "H", data[2:4])
    big = version == 43  # BigTIFF: 64-bit offsets and counts
    if version not in (42, 43):
        raise FrameError(f"not a TIFF file (version {version})")
    head, entry, offset = (order + "Q", 20, struct.unpack(order + "Q", data[8:16])[0]) if big else \
        (order + "H", 12, struct.unpack(order + "I", data[4:8])[0])
    if offset + struct.calcsize(head) > len(data):
        raise FrameError("truncated TIFF (no image directory)")
    (count,) = struct.unpack_from(head, data, offset)
    pos = offset + struct.calcsize(head)
    size: dict[int, int] = {}
    for i in range(min(count, (len(data) - pos) // entry)):
        tag, kind = struct.unpack_from(order + "HH", data, pos + i * entry)
        if tag in (256, 257) and kind in _TIFF_FIELD:  # ImageWidth, ImageLength: the value sits in the entry
            size[tag] = struct.unpack_from(order + _TIFF_FIELD[kind], data, pos + i * entry + (12 if big else 8))[0]
    if len(size) != 2:
        raise FrameError("corrupt TIFF (no image width and length in its first directory)")
    return size[257], size[256]


# The largest file read whole: a frame (a 4096x4096 16-bit TIFF is 32 MiB uncompressed), a JSON sidecar, a flight's
# SRT (an hour at 30 subtitles a second is about 30 MiB). Read without a bound, a file of gigabytes in the input folder
# was a MemoryError traceback, or the kernel's OOM killer, where it should be one file refused by name.
MAX_FRAME_FILE_BYTES = 128 * 1024 * 1024
MAX_SIDECAR_BYTES = 16 * 1024 * 1024
MAX_SRT_BYTES = 256 * 1024 * 1024


def read_bounded(p: Path, what: str, limit: int) -> bytes:
    """The bytes of `p`, refused (FrameError naming it) when larger than `limit`, before anything is read."""
    size = p.stat().st_size
    if size > limit:
        raise FrameError(f"{what} {p.name} is {size} bytes, over the {limit // (1024 * 1024)} MiB a {what} may have")
    return p.read_bytes()


def _read_tiff(p: Path, polarity: str | None) -> ThermalImage:
    data = read_bounded(p, "frame", MAX_FRAME_FILE_BYTES)
    if not data:
        raise FrameError("TIFF is empty (0 bytes)")
    _check_shape(_tiff_size(data))
    raw = _imdecode(data)
    if raw is None:
        raise FrameError("TIFF could not be decoded (corrupt or truncated)")
    if raw.dtype == np.uint8:
        return grey_image(raw, polarity, "TIFF")
    if raw.dtype != np.uint16:
        raise FrameError(f"TIFF is {raw.dtype}; want 16-bit centi-kelvin or 8-bit grey")
    return sixteen_bit_image(raw, polarity, "TIFF")


def _npy_header(p: Path) -> None:
    """Refuse a .npy whose header declares no frame, before numpy allocates what it declares: a 1 kB file saying
    (200000, 200000) float64 raised MemoryError (298 GiB) and stopped `patrol detect`."""
    try:
        with p.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            reader = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if reader is None:
                raise FrameError(f"NPY format version {version} is not supported (want 1.0 or 2.0)")
            shape, _fortran, dtype = reader(fh)
    except (ValueError, EOFError) as exc:
        raise FrameError(f"NPY could not be read: {exc}") from exc
    if dtype.kind != "f":
        raise FrameError(f"a .npy frame must hold float degrees Celsius, got dtype {dtype}")
    _check_shape(tuple(shape))


def _read_npy(p: Path) -> ThermalImage:
    _npy_header(p)
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FrameError(f"NPY could not be read: {exc}") from exc
    return ThermalImage(validate_celsius(arr), radiometric=True)


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".npy")


def load_image_file(path: Path | str, polarity: str | None = None) -> ThermalImage:
    """Read any accepted frame file: .png (16-bit centi-kelvin or 8-bit grey), .jpg/.jpeg (8-bit),
    .tif/.tiff (16- or 8-bit), .npy (float °C). FrameError says why a file cannot be used."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise FrameError(f"unsupported frame file type {suffix!r} (want {', '.join(IMAGE_SUFFIXES)})")
    try:
        if suffix in (".tif", ".tiff"):
            return _read_tiff(p, polarity)
        if suffix == ".npy":
            return _read_npy(p)
        data = read_bounded(p, "frame", MAX_FRAME_FILE_BYTES)
        if suffix == ".png" and not data.startswith(PNG_SIGNATURE) and data:
            raise FrameError("not a PNG file (bad signature)")
        if suffix != ".png" and not data.startswith(JPEG_SOI) and data:
            raise FrameError("not a JPEG file (bad signature)")
        return _decode_png_any(data, polarity) if suffix == ".png" else _decode_jpeg(data, polarity)
    except OSError as exc:
        raise FrameError(f"cannot read {p.name}: {exc.strerror or exc}") from exc


def load_frame_file(path: Path | str) -> np.ndarray:
    """Read a radiometric frame file (.png/.tif/.tiff centi-kelvin, .npy float °C) -> float32 °C."""
    img = load_image_file(path)
    if not img.radiometric:
        raise FrameError(f"{Path(path).name} is an 8-bit frame; a radiometric frame must be 16-bit centi-kelvin")
    return img.pixels

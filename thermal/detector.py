"""Find people in radiometric frames, in physical units, fast.

Pipeline (about 1-2 ms for 640x512 on one core):
1. Background: the frame (halved) averaged into 16x16-pixel cells, then a grey-level
   opening (removes warm things smaller than ~7 cells) and a light blur; this
   follows vignetting, warm facades and snow/asphalt patches but not people.
2. Candidates (on the half-resolution copy): pixels warmer than background by max(2.5 °C, 6 noise sigma),
   grouped by connectedComponentsWithStats. Clothing is a few to 15 °C above
   ambient, so 2.5 °C keeps even well-insulated sleepers.
3. Each candidate is measured only inside its bbox: peak and mean
   temperature, local background from a ring around it, size along its
   principal axes converted to metres with the camera model (metres per
   pixel across the line of sight and the depression angle), hot-core size
   and uniformity.
4. A fuzzy score multiplies memberships, each a physical argument:
   - a person's surface never exceeds skin temperature (~35 °C, 40 with
     margin); engines, exhausts and lamps do;
   - a person's projected size lies in the envelope of standing (1.5-1.9 m
     tall, 0.4-0.6 m wide), sitting (~1 m) and lying (1.5-1.9 x 0.4-0.6 m,
     foreshortened along the range by sin(depression));
   - a person is not uniform: a small hot face/hands over cooler clothing,
     while vents, manholes and windows are uniform plates;
   - skin-temperature areas are small (a face is ~0.2 m); a vent or window at
     the same temperature is a plate of 0.5 m or more;
   - dogs are 0.6-1 m long and ~0.3 m wide, fur only a few degrees above ambient,
     without a skin-temperature spot: a blob without skin must be longer than a
     dog, or shaped as a dog's body cannot be (compact and >= ~0.55 m across, as a
     hooded person sitting or seen from above; or upright and as long as a
     standing person in an oblique view).
   Sizes in metres are blur-corrected (MEAS_EXCESS_PX) before these tests.
Without a pose (pixel-only mode) the size membership falls back to relative
bounds: a person covers 3 px to 35 % of the image's short side.
"""

from __future__ import annotations

import functools
import hashlib
import math
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from geo.georef import BeyondHorizonError, Camera, make_camera
from pipeline.errors import FrameError
from pipeline.records import Detection
from thermal.frames import FrameMeta

CELL = 8  # background cell, pixels of the half-resolution copy (16 full-resolution pixels)
HALF_RES_FACTOR = 0.8  # averaging 2x2 lowers a small blob's contrast; be a little more lenient
BG_KERNEL = 7  # opening size in cells: warm things up to ~7 cells are not background
MIN_DELTA_C = 2.5  # clothing is at least a few °C above its surroundings
NOISE_K = 6.0
MIN_AREA_PX = 3
MAX_CANDIDATES = 64
SKIN_MAX_C = 40.0  # nothing on a person is hotter than skin (35 °C) plus margin
SKIN_MIN_C = 24.0  # a visible face or hand, blurred by the optics
SCORE_MIN = 0.5
# a blob's moment extent exceeds the object by ~2 px: the +1 px pixel footprint and
# the optics blur (~0.7 px sigma on each edge) at the half-contrast level
MEAS_EXCESS_PX = 2.0
# a dog (0.6-1 m body, ~0.3 m wide, head ~0.17 m beyond it) is seen at most this long, with
# the moment extent's ~15 % overestimate and a margin
DOG_MAX_M = (1.25, 1.5)
DOG_COMPACT_ASPECT = (1.15, 1.35)  # a dog is >= ~1.6:1 (0.6-1 m x 0.3 m, side-on 1 x 0.6 m)
DOG_COMPACT_MIN_M = (0.55, 0.7)  # a seated or standing person is >= ~0.5 m across
# centroid heights (m) used to put a person's visible centre above the feet
CENTROID_HEIGHT_M = {"standing": 0.9, "sitting": 0.45, "lying": 0.15, "unknown": 0.4}

_K3 = np.ones((3, 3), np.uint8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BG_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (BG_KERNEL, BG_KERNEL))


@functools.lru_cache(maxsize=64)
def _camera(meta: FrameMeta, width: int, height: int) -> Camera | None:
    """Camera model for a frame; None when the metadata cannot georeference."""
    if not meta.has_pose:
        return None
    try:
        return make_camera(meta, width, height)
    except FrameError:
        return None


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 below lo, 1 above hi, linear between."""
    if hi <= lo:
        return 1.0 if x >= hi else 0.0
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def _band(x: float, lo0: float, lo1: float, hi1: float, hi0: float) -> float:
    """Trapezoid membership: 0 outside [lo0, hi0], 1 inside [lo1, hi1]."""
    return min(_ramp(x, lo0, lo1), 1.0 - _ramp(x, hi1, hi0))


def background(frame_c: np.ndarray) -> np.ndarray:
    """Smooth background temperature at full resolution."""
    h, w = frame_c.shape
    sw, sh = max(2, w // CELL), max(2, h // CELL)
    small = cv2.resize(frame_c, (sw, sh), interpolation=cv2.INTER_AREA)
    k = min(BG_KERNEL, sw, sh) | 1
    kernel = _BG_KERNEL if k == BG_KERNEL else cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    bg = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    bg = cv2.blur(bg, (3, 3))
    return np.asarray(cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR))


def noise_sigma(frame_c: np.ndarray) -> float:
    """Temporal+pattern noise from horizontal neighbour differences (robust MAD)."""
    sub = frame_c[::16, ::4]
    d = np.abs(sub[:, 1:] - sub[:, :-1]).ravel()
    return float(np.median(d)) * 1.4826 / math.sqrt(2.0)


def detection_id(camera_id: str, captured_at: str, bbox: tuple[int, int, int, int]) -> str:
    """Deterministic id: the same frame always yields the same ids (replays, retries)."""
    key = f"{camera_id}|{captured_at}|{bbox[0]},{bbox[1]},{bbox[2]},{bbox[3]}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def _metres(extent_px: float, m_per_px: float) -> float:
    """Blur-corrected size in metres of a moment extent (never below half of it)."""
    return max(extent_px - MEAS_EXCESS_PX, 0.5 * extent_px) * m_per_px


def _size_score(major_m: float, minor_m: float, sin_dep: float, vertical: bool) -> tuple[float, str]:
    """Membership of a blob's size in the person envelope, and the likeliest posture.

    Sizes are metres across the line of sight, already corrected for blur
    (see MEAS_EXCESS_PX); moment extents still overestimate box-like shapes by
    ~15 %. Upright bodies are seen as height * cos(depression) plus their
    footprint * sin(depression); footprints on the ground shrink along the range
    by sin(depression).
    """
    s = max(0.05, min(1.0, sin_dep))
    c = math.sqrt(max(0.0, 1.0 - s * s))
    # standing: 1.5-1.9 m tall on a 0.4-0.6 m footprint; from overhead a compact ~0.5 x 0.6 m blob
    st_lo, st_hi = 1.5 * c + 0.4 * s, 1.9 * c + 0.6 * s
    stand = min(_band(major_m, 0.7 * st_lo - 0.1, 0.85 * st_lo, 1.2 * st_hi + 0.15, 1.45 * st_hi + 0.35),
                _band(minor_m, 0.12, 0.25, 0.8, 1.05))
    # lying: 1.5-1.9 x 0.4-0.6 m on the ground, any orientation
    lie = min(_band(major_m, 0.6, 0.95, 2.2, 2.7), _band(minor_m, 0.15 * s, 0.25 * s, 0.8, 1.05),
              _ramp(major_m / max(minor_m, 1e-3), 1.3, 1.8))
    # sitting / curled up: head 0.85-1.05 m up over a 0.45-0.95 m footprint (legs, bag), 0.45-0.7 m wide
    si_lo, si_hi = 0.85 * c + 0.45 * s, 1.05 * c + 0.95 * s
    sit = min(_band(major_m, 0.7 * si_lo - 0.05, 0.85 * si_lo, 1.2 * si_hi + 0.15, 1.45 * si_hi + 0.35),
              _band(minor_m, 0.15, 0.3, 0.95, 1.25))
    if vertical and c > 0.4:
        lie *= 0.7
    else:
        stand *= 0.85 if c > 0.5 else 1.0
    best = max((stand, "standing"), (lie, "lying"), (sit, "sitting"))
    return best


def _features(frame_c: np.ndarray, bg_half: np.ndarray, delta: float, x: int, y: int, bw: int,
              bh: int) -> dict[str, float] | None:
    """Temperatures and shape of one candidate, at full resolution inside its bbox only.

    The blob is re-thresholded locally against the background; the local
    background is the mean of the non-warm pixels of a ring around it. Size
    is measured at half the clothing contrast (like a full width at half
    maximum) so optics blur and the detection threshold do not inflate it.
    """
    h, w = frame_c.shape
    pad = max(3, max(bw, bh) // 2)
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
    hx0, hy0 = x0 // 2, y0 // 2
    hx1, hy1 = min(bg_half.shape[1], (x1 + 1) // 2), min(bg_half.shape[0], (y1 + 1) // 2)
    if hx1 <= hx0 or hy1 <= hy0:
        return None
    bgp = cv2.resize(bg_half[hy0:hy1, hx0:hx1], ((hx1 - hx0) * 2, (hy1 - hy0) * 2),
                     interpolation=cv2.INTER_LINEAR)[y0 - 2 * hy0 : y1 - 2 * hy0, x0 - 2 * hx0 : x1 - 2 * hx0]
    roi_pad = frame_c[y0:y1, x0:x1]
    if bgp.shape != roi_pad.shape:
        return None
    warm = cv2.compare(cv2.subtract(roi_pad, bgp), delta, cv2.CMP_GT)  # type: ignore[call-overload]
    ring = cv2.bitwise_not(warm)
    if cv2.countNonZero(ring) < 4:
        return None
    bg = cv2.mean(roi_pad, ring)[0]
    roi = frame_c[y : y + bh, x : x + bw]
    m = np.ascontiguousarray(warm[y - y0 : y - y0 + bh, x - x0 : x - x0 + bw])
    sel = m > 0
    vals = roi[sel]
    if vals.size < MIN_AREA_PX:
        return None
    tx, ty, tw, th = cv2.boundingRect(m)
    t_max = float(vals.max())
    t_mean = float(vals.mean())
    contrast = t_max - bg
    if contrast <= 0:
        return None
    cool = vals[vals < bg + 0.6 * contrast]
    level = float(cool.mean()) if cool.size >= 3 else t_mean
    size_m = (roi >= bg + 0.5 * (level - bg)) & sel
    if np.count_nonzero(size_m) < 2:
        size_m = sel
    mo = cv2.moments(size_m.view(np.uint8), binaryImage=True)
    cx, cy = mo["m10"] / mo["m00"], mo["m01"] / mo["m00"]
    mu20, mu02, mu11 = mo["mu20"] / mo["m00"], mo["mu02"] / mo["m00"], mo["mu11"] / mo["m00"]
    common = math.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    l1 = (mu20 + mu02) / 2 + common
    l2 = (mu20 + mu02) / 2 - common
    # full extents of an equivalent uniform ellipse; +1 px for the pixel footprint
    major = 4.0 * math.sqrt(max(l1, 0.0)) + 1.0
    minor = 4.0 * math.sqrt(max(l2, 0.0)) + 1.0
    angle = 0.5 * math.atan2(2 * mu11, mu20 - mu02)  # of the major axis, from the image x axis
    vertical = abs(math.cos(angle)) < 0.5 and major > 1.4 * minor
    # uniformity: how far the hottest spot stands above the blob's interior
    interior = cv2.erode(m, _K3) if min(bw, bh) >= 4 else m
    core_vals = roi[interior > 0]
    core = float(core_vals.mean()) if core_vals.size >= 3 else t_mean
    hot_ratio = (t_max - core) / contrast
    hot_px = int(np.count_nonzero(vals >= bg + 0.75 * contrast))
    return {"bg": bg, "t_max": t_max, "t_mean": t_mean, "contrast": contrast, "cx": x + cx, "cy": y + cy,
            "major": major, "minor": minor, "vertical": float(vertical), "hot_ratio": hot_ratio,
            "hot_px": float(hot_px), "area": float(vals.size),
            "bx": float(x + tx), "by": float(y + ty), "bw": float(tw), "bh": float(th)}


def _score(f: dict[str, float], m_per_px: float | None, sin_dep: float, short_side: int,
           ambient: float | None) -> tuple[float, str]:
    """Fuzzy person score 0..1 and posture from the physical memberships."""
    t_max, contrast = f["t_max"], f["contrast"]
    if t_max > SKIN_MAX_C:
        return 0.0, "unknown"  # engine, exhaust, lamp: hotter than any skin
    warm = _ramp(contrast, MIN_DELTA_C, 5.0)
    if ambient is not None:
        warm = min(warm, _ramp(t_max - ambient, 2.0, 4.0))
    skin = _ramp(t_max, SKIN_MIN_C - 4.0, SKIN_MIN_C + 2.0)
    vertical = f["vertical"] > 0.5
    if m_per_px is not None:
        major_m, minor_m = _metres(f["major"], m_per_px), _metres(f["minor"], m_per_px)
        size, posture = _size_score(major_m, minor_m, sin_dep, vertical)
        hot_m = math.sqrt(f["hot_px"]) * m_per_px
        # skin-hot plate bigger than a face/hands: vent, manhole, window
        plate = _ramp(hot_m, 0.35, 0.6) * skin
        # no skin-temperature spot and no longer than a dog (0.6-1 m plus head; moment extents
        # overestimate a box by ~15 %): a dog, or a hooded person we cannot tell from one ...
        dog = (1.0 - skin) * (1.0 - _ramp(major_m, *DOG_MAX_M))
        # ... unless the shape is one a dog's body (~0.3 m wide, ~0.6 m high, horizontal) cannot
        # make: a wide compact blob (sitting / standing seen from above, >= 0.5 m across every
        # way), or an upright body seen obliquely (image-vertical, as long as a standing person)
        c = math.sqrt(max(0.0, 1.0 - min(1.0, sin_dep) ** 2))
        aspect = major_m / max(minor_m, 1e-3)
        compact = (1.0 - _ramp(aspect, DOG_COMPACT_ASPECT[0], DOG_COMPACT_ASPECT[1])) * \
            _ramp(minor_m, DOG_COMPACT_MIN_M[0], DOG_COMPACT_MIN_M[1])
        st_lo = 1.5 * c + 0.4 * sin_dep
        upright = _ramp(major_m, 0.85 * st_lo, st_lo) if vertical and c > 0.4 else 0.0
        dog *= 1.0 - max(compact, upright)
    else:
        major_px = f["major"]
        size = _band(major_px, 2.0, 3.0, 0.35 * short_side, 0.5 * short_side)
        aspect = major_px / max(f["minor"], 1e-3)
        posture = "unknown"
        if aspect > 2.0 and major_px > 6:
            posture = "standing" if vertical else "lying"
        plate = _ramp(f["hot_px"], 30.0, 80.0) * skin
        dog = 0.0
    # uniform blob: vent/manhole/window (face-over-clothing gives hot_ratio >~0.3)
    uniform = 1.0 - _ramp(f["hot_ratio"], 0.08, 0.2) if f["area"] >= 12 else 0.0
    temp_like = 0.55 + 0.45 * skin  # no visible skin (hood, sleeping bag): still a candidate, on size alone
    score = warm * size * temp_like * (1.0 - 0.9 * plate) * (1.0 - 0.85 * uniform) * (1.0 - 0.7 * dog)
    return float(min(1.0, max(0.0, score))), posture


def detect(frame_c: np.ndarray, meta: FrameMeta | None, frame_name: str | None = None, *,
           captured_at: datetime | None = None) -> list[Detection]:
    """People in one frame (float32 °C); lat/lon/error_m filled when the pose allows.

    Without metadata (pixel-only mode) the camera id is the frame name and the
    time is `captured_at` or, failing that, the Unix epoch (UTC).
    """
    if frame_c.ndim != 2 or frame_c.size == 0:
        raise FrameError(f"frame must be a non-empty 2-D array, got shape {frame_c.shape}")
    if frame_c.dtype != np.float32:
        frame_c = frame_c.astype(np.float32)
    h, w = frame_c.shape
    if h < 8 or w < 8:
        raise FrameError(f"frame {w}x{h} is too small")
    # candidates on a half-resolution copy (4x fewer pixels); analysis at full resolution
    half = cv2.resize(frame_c, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    bg_half = background(half)
    delta = max(MIN_DELTA_C, NOISE_K * noise_sigma(frame_c))
    mask = cv2.compare(cv2.subtract(half, bg_half), HALF_RES_FACTOR * delta, cv2.CMP_GT)  # type: ignore[call-overload]
    # external contours are ~20x faster than connectedComponentsWithStats here
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    cam = _camera(meta, w, h) if meta is not None else None
    ambient = meta.ambient_c if meta is not None else None
    camera_id = meta.camera_id if meta is not None else (frame_name or "unknown")
    when = meta.captured_at if meta is not None else (captured_at or EPOCH)
    at_iso = when.isoformat()
    boxes = []
    for c in contours:
        bx, by, bbw, bbh = cv2.boundingRect(c)
        x0, y0 = max(0, 2 * bx - 1), max(0, 2 * by - 1)
        boxes.append((x0, y0, min(w, 2 * (bx + bbw) + 1) - x0, min(h, 2 * (by + bbh) + 1) - y0))
    order = sorted(range(len(contours)), key=lambda i: -boxes[i][2] * boxes[i][3])
    out: list[Detection] = []
    short = min(h, w)
    for i in order[:MAX_CANDIDATES]:
        x, y, bw, bh = boxes[i]
        if bw * bh < 4 * MIN_AREA_PX:
            break
        if bw > 0.6 * w or bh > 0.6 * h:
            continue
        f = _features(frame_c, bg_half, delta, x, y, bw, bh)
        if f is None:
            continue
        m_per_px: float | None = None
        sin_dep = 1.0
        if cam is not None:
            try:
                m_per_px, sin_dep = cam.scale_at(f["cx"], f["cy"])
            except FrameError:
                continue  # above the horizon: sky, not a person on the ground
        score, posture = _score(f, m_per_px, sin_dep, short, ambient)
        if score < SCORE_MIN:
            continue
        bbox = (int(f["bx"]), int(f["by"]), int(f["bw"]), int(f["bh"]))
        lat = lon = err = None
        if cam is not None:
            lat, lon, err = _locate(cam, f, bbox, posture)
        out.append(Detection(
            detection_id=detection_id(camera_id, at_iso, bbox), camera_id=camera_id, captured_at=when,
            bbox=bbox, posture=posture, t_max_c=round(f["t_max"], 2), t_mean_c=round(f["t_mean"], 2),
            score=round(score, 3), lat=lat, lon=lon, error_m=err, frame=frame_name,
        ))
    out.sort(key=lambda d: (d.bbox[1], d.bbox[0]))
    return out


def _locate(cam: Camera, f: dict[str, float], bbox: tuple[int, int, int, int],
            posture: str) -> tuple[float | None, float | None, float | None]:
    """Ground position of a person: centroid ray at the body's centroid height (drones),
    feet or body centre on the ground plane (homography cameras)."""
    u, v = f["cx"], f["cy"]
    height = CENTROID_HEIGHT_M.get(posture, 0.4)
    try:
        if cam.__class__.__name__ == "HomographyCamera" and posture in ("standing", "sitting"):
            v = bbox[1] + bbox[3] - (0.5 if posture == "standing" else 0.25 * bbox[3])
            height = 0.0
        lat, lon = cam.pixel_to_ground(u, v, height)
        err = cam.error_m(u, v)
    except (BeyondHorizonError, FrameError):
        return None, None, None
    return round(lat, 7), round(lon, 7), round(err, 2)


def baseline_detect(frame_c: np.ndarray, meta: FrameMeta | None = None) -> list[dict[str, Any]]:
    """Bare OpenCV baseline for the benchmark: global threshold + connected components.

    Threshold = frame median + 5 °C; blobs of at least 12 pixels are "people".
    """
    thr = float(np.median(frame_c[::4, ::4])) + 5.0
    mask = cv2.compare(frame_c, thr, cv2.CMP_GT)  # type: ignore[call-overload]
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area >= 12:
            out.append({"bbox": [x, y, bw, bh], "score": 1.0})
    return out

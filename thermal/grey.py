"""Find people in 8-bit (non-radiometric) frames: contrast, shape and expected size, no degrees.

After automatic gain control grey levels only rank temperatures within one
frame, so nothing here is in °C and detections carry no temperature.

1. Candidates: the frame (warm bright) minus its smooth background
   (`local_background`: a grey-level opening sized from the expected person)
   above a threshold relative to the scene: max(GREY_MIN_DELTA levels, 4 noise
   sigma, GREY_SPREAD_FRAC of the scene's spread p99.5 - p50). Connected
   components of at least 3 pixels, at most a few expected people wide; blobs
   bigger than a person are searched again at THRESHOLD_STEPS higher levels
   (only their region), so people in groups or on warm ground come apart.
2. Features per candidate, all relative to the scene or to the expected size
   of a person at the candidate's ground sample distance (from the camera
   model; DEFAULT_PERSON_PX without a pose): size, shape, contrast, uniformity
   (`GreyFeatures`), its appearance: a PATCH x PATCH sample of the frame
   above background over PATCH_SPAN expected person widths, divided by its peak,
   and its context among the frame's candidates (`context_features`).
3. A learned classifier (gradient-boosted trees trained on the HIT-UAV train
   split with tools/train_thermal.py; see the model file's `meta`) scores each
   candidate, with an early exit for the plainly negative; the trees ship as
   JSON and run in numpy, so the runtime needs nothing beyond numpy and OpenCV.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import FrameError
from thermal.cameras import Camera
from thermal.scene import noise_sigma

GREY_MIN_DELTA = 15.0  # grey levels: JPEG noise and texture stay below this
GREY_SPREAD_FRAC = 0.3
GREY_NOISE_K = 4.0
MIN_AREA_PX = 3
MAX_PERSON_WIDTHS = 8.0  # a candidate wider than this many expected person widths is a building or a road
MAX_GREY_CANDIDATES = 800  # cluttered day frames hold more than 600: people among them were cut
SPLIT_RESERVE = 200  # of those, kept for the higher levels: the base level alone fills the cap in cluttered frames
THRESHOLD_STEPS = (1.0, 1.7, 2.8, 4.5)  # multiples of the base threshold: groups split at the higher ones
SPLIT_PERSON_WIDTHS = 1.5  # a blob bigger than this is searched again at the next threshold step
GRID = 7  # camera rays per side for the expected-size map
PERSON_WIDTH_M = 0.5
BG_PERSON_WIDTHS = 4.0
DEFAULT_PERSON_PX = 8.0  # a person's width without a pose: 60-130 m with a 640-pixel thermal core
BOX_PAD_PX = 1  # detections' boxes cover the blob's blur, as people label them
MODEL_PATH = Path(__file__).parent / "grey_person.model.json"


@dataclass(frozen=True)
class GreyFeatures:
    """What the classifier sees of one candidate; sizes in expected person widths, levels in scene spreads."""

    person_px: float  # expected width of a person here (px)
    sin_dep: float  # sine of the depression angle (1 overhead, 0 on the horizon; 1 without a pose)
    width: float
    height: float
    area: float
    major: float
    minor: float
    fill: float  # area / bbox area
    aspect: float  # major / minor
    peak: float  # peak above background, in scene spreads
    mean: float  # mean above background, in scene spreads
    integral: float  # summed contrast / expected person area, in spreads
    peak_thr: float  # peak / threshold
    level: float  # absolute grey level of the peak (0..1): saturated lamps and engines sit at 1
    ground: float  # local background relative to the frame median, in spreads
    core: float  # (peak - interior mean) / peak: a uniform plate is near 0
    spread: float  # the scene's spread p99.5 - p50 (0..1)
    median: float  # the scene's median grey level (0..1): sun-warmed day ground sits high, night ground low


SHAPE_NAMES = tuple(f.name for f in fields(GreyFeatures))
PATCH = 9  # the appearance patch: PATCH x PATCH samples ...
PATCH_SPAN = 3.2  # ... over this many expected person widths around the candidate's centre
PATCH_NAMES = tuple(f"p{j}{i}" for j in range(PATCH) for i in range(PATCH))
CONTEXT_NAMES = ("holds", "held", "near", "crowd")  # see context_features
FEATURE_NAMES = SHAPE_NAMES + PATCH_NAMES + CONTEXT_NAMES
NEAR_PERSON_WIDTHS = 3.0
_OFFSETS = np.linspace(-PATCH_SPAN / 2, PATCH_SPAN / 2, PATCH)
_PERSON_PX = SHAPE_NAMES.index("person_px")
_OWN_WIDTH = len(SHAPE_NAMES) + len(PATCH_NAMES)  # a candidate's own columns, before its context


@dataclass(frozen=True)
class GreyCandidate:
    """A candidate's box and centre (pixels) with its feature row (FEATURE_NAMES order: its own
    shape and patch, then its context among the frame's candidates)."""

    bbox: tuple[int, int, int, int]
    cx: float
    cy: float
    row: np.ndarray

    @property
    def features(self) -> GreyFeatures:
        """The named shape and contrast features (the patch is in `row` only)."""
        return GreyFeatures(*(float(v) for v in self.row[:len(SHAPE_NAMES)]))


def person_px(cam: Camera | None, u: float, v: float) -> tuple[float, float]:
    """(expected person width in px, sin of depression) at a pixel; the default without a pose."""
    if cam is None:
        return DEFAULT_PERSON_PX, 1.0
    try:
        m_per_px, sin_dep = cam.scale_at(u, v)
    except FrameError:
        return 0.0, 0.0  # above the horizon
    return PERSON_WIDTH_M / max(m_per_px, 1e-6), sin_dep


def local_background(grey: np.ndarray, e_px: float) -> np.ndarray:
    """The frame without anything narrower than a few people: a grey-level opening whose square
    kernel is BG_PERSON_WIDTHS expected person widths (at the frame centre), lightly smoothed.

    An opening only picks values of the frame, so a float frame holding 8-bit levels is opened
    as 8-bit (the same result, several times faster) and smoothed in its own type."""
    k = int(min(max(BG_PERSON_WIDTHS * e_px, 7), 61)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    levels = grey.astype(np.uint8)
    src = levels if grey.dtype == np.uint8 or np.array_equal(levels, grey) else grey
    opened = cv2.morphologyEx(src, cv2.MORPH_OPEN, kernel).astype(grey.dtype, copy=False)
    return np.asarray(cv2.blur(opened, (3, 3)))


def _scene(grey: np.ndarray) -> tuple[float, float, float]:
    """(median, spread, threshold) of a frame in grey levels."""
    sub = grey[::4, ::4]
    p50, p995 = (float(v) for v in np.percentile(sub, [50, 99.5]))
    spread = max(p995 - p50, GREY_MIN_DELTA)
    thr = max(GREY_MIN_DELTA, GREY_NOISE_K * noise_sigma(grey), GREY_SPREAD_FRAC * spread)
    return p50, spread, thr


def person_px_map(cam: Camera | None, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected person width (px) and sin(depression) on a GRID x GRID lattice over the frame
    (corners included), from the camera model: a few dozen rays per frame, read back by
    `grid_at` only where there are candidates. 0 width above the horizon."""
    if cam is None:
        return np.full((GRID, GRID), DEFAULT_PERSON_PX), np.ones((GRID, GRID))
    us, vs = np.meshgrid(np.linspace(0, w - 1, GRID), np.linspace(0, h - 1, GRID))
    m_per_px, sin_dep = cam.scales_at(us.ravel(), vs.ravel())
    below = ~np.isnan(m_per_px)  # as person_px, pixel by pixel
    e = np.where(below, PERSON_WIDTH_M / np.maximum(np.where(below, m_per_px, 1.0), 1e-6), 0.0)
    return e.reshape(GRID, GRID), np.where(below, sin_dep, 0.0).reshape(GRID, GRID)


def grid_at(grid: np.ndarray, w: int, h: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear reading of a person_px_map lattice at pixels (u, v)."""
    return _grid_read(grid, _grid_weights(w, h, u, v))


_GridWeights = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _grid_weights(w: int, h: int, u: np.ndarray, v: np.ndarray) -> _GridWeights:
    """Where pixels (u, v) fall among the lattice's cells (column, row, fractions): several
    lattices of the same frame are read at the same pixels with one computation of these."""
    gu = np.minimum(np.maximum(np.asarray(u, np.float64) * (GRID - 1) / max(w - 1, 1), 0), GRID - 1)
    gv = np.minimum(np.maximum(np.asarray(v, np.float64) * (GRID - 1) / max(h - 1, 1), 0), GRID - 1)
    i0, j0 = np.minimum(gu.astype(np.int64), GRID - 2), np.minimum(gv.astype(np.int64), GRID - 2)
    return i0, j0, gu - i0, gv - j0


def _grid_read(grid: np.ndarray, weights: _GridWeights) -> np.ndarray:
    i0, j0, fu, fv = weights
    top = grid[j0, i0] * (1 - fu) + grid[j0, i0 + 1] * fu
    bottom = grid[j0 + 1, i0] * (1 - fu) + grid[j0 + 1, i0 + 1] * fu
    return np.asarray(top * (1 - fv) + bottom * fv)


def grey_candidates(grey: np.ndarray, cam: Camera | None) -> list[GreyCandidate]:
    """Warm blobs of an 8-bit frame (warm bright) with their features, at THRESHOLD_STEPS levels
    so that people walking together or next to a warm wall also come apart as candidates."""
    return candidate_table(grey, cam).candidates()


@dataclass(frozen=True)
class CandidateTable:
    """A frame's candidates as arrays, in grey_candidates' order: a frame has hundreds, and few of
    them reach the classifier's threshold, so records are built only for those (`candidates`)."""

    boxes: np.ndarray  # (n, 4) int64: x, y, w, h (px)
    centres: np.ndarray  # (n, 2) float64: cx, cy (px)
    rows: np.ndarray  # (n, FEATURE_NAMES) float64 (own columns only inside _components)

    def __len__(self) -> int:
        return len(self.rows)

    def candidates(self, idx: np.ndarray | None = None) -> list[GreyCandidate]:
        """The records of rows `idx` (all rows without it), in table order."""
        sel = np.arange(len(self.rows)) if idx is None else np.asarray(idx, np.int64)
        return [GreyCandidate((x, y, bw, bh), cx, cy, r) for (x, y, bw, bh), (cx, cy), r in
                zip(self.boxes[sel].tolist(), self.centres[sel].tolist(), self.rows[sel], strict=True)]


def candidate_table(grey: np.ndarray, cam: Camera | None) -> CandidateTable:
    """grey_candidates as a CandidateTable (see there)."""
    h, w = grey.shape
    e_map, sd_map = person_px_map(cam, w, h)
    e_centre = float(grid_at(e_map, w, h, np.array([w / 2.0]), np.array([h / 2.0]))[0])
    bg = local_background(grey, e_centre or DEFAULT_PERSON_PX)
    top = cv2.subtract(grey, bg)
    median, spread, thr = _scene(grey)
    rel = cv2.blur(top if top.dtype == np.float32 else np.subtract(grey, bg, dtype=np.float32), (3, 3))
    scene = _Scene(grey, top, bg, rel, e_map, sd_map, median, spread, thr)
    parts: list[CandidateTable] = []
    room = MAX_GREY_CANDIDATES
    within: _Region | None = None
    for k, step in enumerate(THRESHOLD_STEPS):
        reserve = SPLIT_RESERVE if k == 0 else 0
        found, within = _components(scene, thr * step, within, room - reserve, reserve > 0)
        parts.append(found)
        room -= len(found)
        if room <= 0 or within is None:
            break  # nothing bigger than one person left to split at a higher level
    boxes, centres, own = (np.concatenate([getattr(t, f.name) for t in parts]) for f in fields(CandidateTable))
    return CandidateTable(boxes, centres, np.column_stack([own, context_features(boxes, centres, own[:, _PERSON_PX])]))


@dataclass(frozen=True)
class _Scene:
    grey: np.ndarray
    top: np.ndarray  # grey above the local background
    bg: np.ndarray
    rel: np.ndarray  # grey minus background, signed and lightly blurred: the patches' source
    e_map: np.ndarray  # expected person width (person_px_map lattice)
    sd_map: np.ndarray  # sin(depression) (person_px_map lattice)
    median: float
    spread: float
    thr: float  # the base threshold


_NO_CANDIDATES = CandidateTable(np.zeros((0, 4), np.int64), np.zeros((0, 2)), np.zeros((0, _OWN_WIDTH)))


_Region = tuple[tuple[int, int, int, int], np.ndarray]  # a frame rectangle (x, y, w, h) and a 0/255 mask of it


def _components(sc: _Scene, level: float, within: _Region | None,
                room: int, reserved: bool = False) -> tuple[CandidateTable, _Region | None]:
    """Connected blobs of `top > level` (only inside the `within` region, when given) that could be
    a person, the `room` most contrasted of them measured all at once, and the region of blobs
    bigger than one person (to search again at a higher level: only there, so each blob is
    measured once per level it splits at; None when there is no room left for their parts)."""
    h, w = sc.grey.shape
    (wx, wy, ww, wh), inside = within if within is not None else ((0, 0, w, h), None)
    mask = cv2.compare(sc.top[wy:wy + wh, wx:wx + ww], level, cv2.CMP_GT)  # type: ignore[call-overload]
    if inside is not None:  # only the region of the blobs to split: labelling costs by the pixel
        mask = cv2.bitwise_and(mask, inside)
    _, _, pts, lab, stats, centroids = _label(mask, MIN_AREA_PX)
    n = len(stats)
    if not n:
        return _NO_CANDIDATES, None
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    stats[:, 0] += wx
    stats[:, 1] += wy
    centroids += (wx, wy)
    cell = _grid_weights(w, h, centroids[:, 0], centroids[:, 1])
    e = _grid_read(sc.e_map, cell)
    side = np.maximum(bw, bh)
    e2 = np.maximum(e, 2.0)
    ok = (e > 0) & (side <= MAX_PERSON_WIDTHS * e2)
    n_ok = int(np.count_nonzero(ok))
    big = _region(pts, (side > SPLIT_PERSON_WIDTHS * e2)[lab], (wx, wy)) if n_ok < room or reserved else None
    if not n_ok:
        return _NO_CANDIDATES, big
    keep = ok[lab]
    pts, lab = pts[keep], lab[keep]
    xs, ys = pts[:, 0].astype(np.int64) + wx, pts[:, 1].astype(np.int64) + wy
    flat = ys * w + xs  # flat pixel indices: a take is cheaper than 2-D fancy indexing
    tv = sc.top.ravel().take(flat).astype(np.float64)
    peak = np.zeros(n)
    np.maximum.at(peak, lab, tv)
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(-peak[idx], kind="stable")][:room]  # the most contrasted first: the cap keeps them
    if len(idx) < n_ok:  # measure only the blobs the cap keeps
        chosen = np.zeros(n, bool)
        chosen[idx] = True
        keep = chosen[lab]
        xs, ys, flat, lab, tv = xs[keep], ys[keep], flat[keep], lab[keep], tv[keep]
    gmax = np.zeros(n)
    np.maximum.at(gmax, lab, sc.grey.ravel().take(flat).astype(np.float64))
    total = np.bincount(lab, weights=tv, minlength=n)
    fx, fy = xs.astype(np.float64), ys.astype(np.float64)
    sx, sy = np.bincount(lab, fx, n), np.bincount(lab, fy, n)
    sxx, syy, sxy = np.bincount(lab, fx * fx, n), np.bincount(lab, fy * fy, n), np.bincount(lab, fx * fy, n)
    low = tv < 0.6 * peak[lab]  # a face over clothing has many; a uniform plate few
    low_sum, low_n = np.bincount(lab[low], tv[low], n), np.bincount(lab[low], minlength=n)
    a = area[idx]
    mu20 = sxx[idx] / a - (sx[idx] / a) ** 2
    mu02 = syy[idx] / a - (sy[idx] / a) ** 2
    mu11 = sxy[idx] / a - (sx[idx] / a) * (sy[idx] / a)
    common = np.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    major = 4.0 * np.sqrt(np.maximum((mu20 + mu02) / 2 + common, 0.0)) + 1.0
    minor = 4.0 * np.sqrt(np.maximum((mu20 + mu02) / 2 - common, 0.0)) + 1.0
    pk = peak[idx]
    core = np.where(low_n[idx] > 0, low_sum[idx] / np.maximum(low_n[idx], 1), pk)
    ei = e[idx]
    centres = centroids[idx]
    cu = np.minimum(np.maximum(np.rint(centres[:, 0]).astype(np.int64), 0), w - 1)
    cv = np.minimum(np.maximum(np.rint(centres[:, 1]).astype(np.int64), 0), h - 1)
    bwi, bhi = bw[idx], bh[idx]
    rows = np.empty((len(idx), _OWN_WIDTH))
    cols = {
        "person_px": ei, "sin_dep": _grid_read(sc.sd_map, cell)[idx],
        "width": bwi / ei, "height": bhi / ei, "area": a / (ei * ei), "major": major / ei,
        "minor": minor / ei, "fill": a / (bwi * bhi), "aspect": major / minor, "peak": pk / sc.spread,
        "mean": total[idx] / a / sc.spread, "integral": total[idx] / sc.spread / (ei * ei),
        "peak_thr": pk / sc.thr, "level": gmax[idx] / 255.0,
        "ground": (sc.bg[cv, cu] - sc.median) / sc.spread, "core": (pk - core) / np.maximum(pk, 1e-6),
        "spread": sc.spread / 255.0, "median": sc.median / 255.0,
    }
    for k, name in enumerate(SHAPE_NAMES):
        rows[:, k] = cols[name]
    rows[:, len(SHAPE_NAMES):] = _patches(sc, centres, ei, pk)
    # boxes padded by BOX_PAD_PX, all at once
    x, y = stats[idx, 0], stats[idx, 1]
    x0, y0 = np.maximum(x - BOX_PAD_PX, 0), np.maximum(y - BOX_PAD_PX, 0)
    boxes = np.column_stack([x0, y0, np.minimum(x + bwi + BOX_PAD_PX, w) - x0,
                             np.minimum(y + bhi + BOX_PAD_PX, h) - y0]).astype(np.int64)
    return CandidateTable(boxes, centres, rows), big


def _label(mask: np.ndarray, min_area: int = 1) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                         np.ndarray]:
    """The labelling of cv2.connectedComponentsWithStats (count with the background, labels) and,
    for the blobs of at least `min_area` pixels only, in label order, their stats and centroids,
    their pixels (x, y; row order) and each pixel's index into those blobs. The statistics come from
    bincounts over the pixels: OpenCV's cost 5x the labelling itself on a frame of JPEG noise,
    more than the bare baseline's whole detection, and most of those blobs are a pixel or two."""
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    found = cv2.findNonZero(mask)  # (x, y) in row order, like np.nonzero, a few times faster
    pts = np.zeros((0, 2), np.int32) if found is None else found.reshape(-1, 2)
    lab = labels.ravel().take(pts[:, 1].astype(np.int64) * mask.shape[1] + pts[:, 0])
    area = np.bincount(lab, minlength=n)  # the background (0) holds no pixel of the mask
    ids = np.flatnonzero(area >= max(min_area, 1))
    m = len(ids)
    if m < n - 1:  # small blobs dropped: the others renumbered in order
        index = np.full(n, -1, np.int64)
        index[ids] = np.arange(m)
        lab = index[lab]
        keep = lab >= 0
        pts, lab = pts[keep], lab[keep]
    else:
        lab = lab.astype(np.int64) - 1
    x, y = pts[:, 0], pts[:, 1]
    lo = np.full((2, m), max(mask.shape), np.int32)
    hi = np.zeros((2, m), np.int32)
    for k, c in enumerate((x, y)):
        np.minimum.at(lo[k], lab, c)
        np.maximum.at(hi[k], lab, c)
    count = area[ids]
    stats = np.column_stack([lo[0], lo[1], hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, count]).astype(np.int32)
    centroids = np.column_stack([np.bincount(lab, x, m) / count, np.bincount(lab, y, m) / count]).reshape(m, 2)
    return n, labels, pts, lab, stats, centroids


def _region(pts: np.ndarray, sel: np.ndarray, origin: tuple[int, int]) -> _Region | None:
    """The rectangle and mask of the pixels `pts[sel]` (window pixels from `origin`), or None when
    there are none: the blobs bigger than a person (a warm road or field at the base level may hold
    people that stand out only above it), painted from their pixel lists."""
    if not sel.any():
        return None
    xs, ys = pts[sel, 0], pts[sel, 1]
    x0, y0 = int(xs.min()), int(ys.min())
    rect = (origin[0] + x0, origin[1] + y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
    mask = np.zeros((rect[3], rect[2]), np.uint8)
    mask[ys - y0, xs - x0] = 255
    return rect, mask


def _patches(sc: _Scene, centres: np.ndarray, e: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """Appearance around each candidate, learned rather than hand-described: PATCH x PATCH samples
    of the frame above its local background (lightly blurred) over PATCH_SPAN expected person
    widths, divided by the candidate's peak, so a person looks alike at any altitude and gain."""
    h, w = sc.rel.shape
    step = e[:, None] * _OFFSETS[None, :]
    us = np.minimum(np.maximum(np.rint(centres[:, 0:1] + step), 0), w - 1).astype(np.int64)
    vs = np.minimum(np.maximum(np.rint(centres[:, 1:2] + step), 0), h - 1).astype(np.int64)
    vals = sc.rel.ravel().take(vs[:, :, None] * w + us[:, None, :])  # (n, rows, cols)
    return np.asarray(vals.reshape(len(e), -1) / np.maximum(peak, 1.0)[:, None], np.float64)


def feature_matrix(cands: list[GreyCandidate]) -> np.ndarray:
    """Candidates' features as rows (FEATURE_NAMES order), float64."""
    if not cands:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.stack([c.row for c in cands])


def context_features(boxes: np.ndarray, centres: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Where each candidate sits among the frame's others (CONTEXT_NAMES columns), from all the frame's
    candidates' boxes (x, y, w, h), centres and expected person widths: how many candidates' centres
    its box holds (a group or warm ground that splits at higher levels), how many boxes hold its
    centre (a part of such a blob), how many others lie within NEAR_PERSON_WIDTHS expected widths
    outside it (texture: roofs, fields, vehicles' parts) and the log count of the frame's candidates
    (clutter). A blob alone looks alike in a busy and a quiet scene; these tell them apart.

    Only pairs within reach of each other across the frame's width are compared (`_pairs_within`):
    a cluttered frame has hundreds of candidates, and most pairs of them are far apart."""
    box = np.asarray(boxes, np.float32)  # float32: the same sums and comparisons for every pair
    x0, y0 = box[:, 0], box[:, 1]
    x1, y1 = x0 + box[:, 2], y0 + box[:, 3]
    cx, cy = np.asarray(centres[:, 0], np.float32), np.asarray(centres[:, 1], np.float32)
    r = np.float32(NEAR_PERSON_WIDTHS) * np.maximum(e, 1.0).astype(np.float32)
    i, j = _pairs_within((cx, np.minimum(x0, cx - r), np.maximum(x1, cx + r)),
                         (cy, np.minimum(y0, cy - r), np.maximum(y1, cy + r)))
    holds = (x0[i] <= cx[j]) & (cx[j] <= x1[i]) & (y0[i] <= cy[j]) & (cy[j] <= y1[i])  # i holds j's centre
    held = (x0[j] <= cx[i]) & (cx[i] <= x1[j]) & (y0[j] <= cy[i]) & (cy[i] <= y1[j])  # j holds i's centre
    dx, dy = cx[i] - cx[j], cy[i] - cy[j]  # squared distances: no root
    near = (dx * dx + dy * dy < r[i] * r[i]) & ~(holds | held)
    n = len(box)
    crowd = np.full(n, np.log1p(n))
    return np.column_stack([np.bincount(i[holds], minlength=n), np.bincount(j[holds], minlength=n),
                            np.bincount(i[near], minlength=n), crowd]).astype(np.float64)


_Reach = tuple[np.ndarray, np.ndarray, np.ndarray]  # positions along one axis, and each one's reach (low, high)


def _pairs_within(across: _Reach, down: _Reach) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i != j, with j's position within i's reach (low, high; a pixel's margin
    for rounding) across and down the frame, as two index arrays: the pairs a per-candidate reach
    can join, without the others. Found across the frame by sorting, then kept if also down it."""
    x, lo, hi = across
    order = np.argsort(x, kind="stable")
    start = np.searchsorted(x[order], lo - 1, "left")
    count = np.searchsorted(x[order], hi + 1, "right") - start
    i = np.repeat(np.arange(len(x)), count)
    j = order[np.arange(len(i)) - np.repeat(np.cumsum(count) - count - start, count)]  # start[i] + rank in i's run
    y, ylo, yhi = down
    yj = y[j]
    keep = (i != j) & (yj >= (ylo - 1)[i]) & (yj <= (yhi + 1)[i])
    return i[keep], j[keep]


@dataclass(frozen=True)
class TreeModel:
    """Gradient-boosted regression trees on the log-odds scale, as exported by the training script.

    Each tree is four flat arrays (feature, threshold, left, right; a leaf has
    feature -1 and its value in threshold).
    """

    features: tuple[str, ...]
    init: float
    rate: float
    trees: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    threshold: float
    meta: dict[str, Any]
    cascade: tuple[int, float] | None = None  # (first n trees, minimum log-odds to go on)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TreeModel:
        trees = tuple((np.asarray(t["feature"], np.int64), np.asarray(t["threshold"], np.float64),
                       np.asarray(t["left"], np.int64), np.asarray(t["right"], np.int64)) for t in d["trees"])
        cascade = d.get("cascade")
        return cls(tuple(d["features"]), float(d["init"]), float(d["rate"]), trees, float(d["threshold"]),
                   dict(d.get("meta", {})), (int(cascade[0]), float(cascade[1])) if cascade else None)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "init": self.init, "rate": self.rate, "threshold": self.threshold,
                "meta": self.meta, "cascade": list(self.cascade) if self.cascade else None,
                "trees": [{"feature": f.tolist(), "threshold": t.tolist(), "left": lft.tolist(), "right": r.tolist()}
                          for f, t, lft, r in self.trees]}

    @functools.cached_property
    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """All trees padded into (trees, nodes) arrays, and the deepest path: predict walks every
        tree at once, one level per step, instead of tree after tree. Nodes are renumbered so that
        a node's left child sits just before its right one, and a leaf (or padding) leads to itself
        (its threshold NaN, which no value is at or below): a step is then `right - (x <= t)`.
        Arrays: right child << _FEATURE_BITS | feature (0 at leaves), threshold, leaf value (0 inside)."""
        m = max(len(f) for f, _, _, _ in self.trees)
        shape = (len(self.trees), m)
        feat, thr = np.zeros(shape, np.int64), np.full(shape, np.nan)
        value, right = np.zeros(shape), np.broadcast_to(np.arange(m), shape).copy()
        for k, (f, t, lft, r) in enumerate(self.trees):
            old, new, kid = (np.array(c, np.int64).reshape(-1) for c in zip(*_renumbered(f.tolist(), lft.tolist(),
                                                                                           r.tolist()), strict=True))
            leaf = kid < 0
            value[k, new[leaf]] = t[old[leaf]]
            inner, at = old[~leaf], new[~leaf]
            feat[k, at], thr[k, at], right[k, at] = f[inner], t[inner], kid[~leaf]
        if len(self.features) > 1 << _FEATURE_BITS:
            raise FrameError(f"grey person model: {len(self.features)} features, at most {1 << _FEATURE_BITS}")
        return (right << _FEATURE_BITS) | feat, thr, value, _max_depth(self.trees)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of a person per row of `x` (columns in `features` order). With a cascade
        (first n trees, minimum log-odds), rows that score below the minimum after the first n
        trees stop there: most candidates are plainly not people, and this keeps the stage cheap."""
        if len(x) == 0:
            return np.zeros(0)
        node, thr, value, depth = self._stacked
        first = self.cascade[0] if self.cascade else len(node)
        score = self.init + self.rate * _walk(node[:first], thr[:first], value[:first], depth, x)
        if first < len(node):
            go_on = score >= self.cascade[1]  # type: ignore[index]
            if go_on.any():
                score[go_on] += self.rate * _walk(node[first:], thr[first:], value[first:], depth, x[go_on])
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(score, -50.0, 50.0))))


_FEATURE_BITS = 16  # a node's feature in the low bits of its packed entry, its right child above


def _renumbered(feat: list[int], left: list[int], right: list[int]) -> list[tuple[int, int, int]]:
    """A tree's nodes in breadth-first order, siblings side by side: (old index, new index, new
    index of the right child or -1 for a leaf)."""
    order, out = [0], []
    for new, old in enumerate(order):  # the list grows as it is read
        if feat[old] < 0:
            out.append((old, new, -1))
        else:
            order.extend((left[old], right[old]))
            out.append((old, new, len(order) - 1))
    return out


def _walk(node: np.ndarray, thr: np.ndarray, value: np.ndarray, depth: int, x: np.ndarray) -> np.ndarray:
    """Sum over trees of each row's leaf value: every tree at once, one level per step.

    Nodes are addressed as flat indices into the (trees, nodes) arrays, siblings side by side and
    leaves leading to themselves (see TreeModel._stacked), so each step is three flat takes (the
    packed right child and feature, the row's value, the threshold), a comparison and a
    subtraction: no 2-D indexing, no branch. Every row starts at the roots: the first step reads
    the roots' features as columns. Indices are in range by construction: takes clip, not check.
    """
    n_trees, m = node.shape
    base = (np.arange(n_trees, dtype=np.int64) * m)[:, None]
    packed = (node + (base << _FEATURE_BITS)).ravel()  # right children as flat indices
    low = (1 << _FEATURE_BITS) - 1
    tf = thr.ravel()
    xf = np.ascontiguousarray(x, np.float64).ravel()
    row = (np.arange(len(x), dtype=np.int64) * x.shape[1])[None, :]
    root = packed[base[:, 0]]
    at = (root >> _FEATURE_BITS)[:, None] - (xf.reshape(x.shape).take(root & low, axis=1).T <= thr[:, :1])
    for _ in range(depth - 1):
        p = packed.take(at, mode="clip")
        at = (p >> _FEATURE_BITS) - (xf.take(row + (p & low), mode="clip") <= tf.take(at, mode="clip"))
    return np.asarray(value.ravel().take(at, mode="clip").sum(axis=0))


def _max_depth(trees: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]) -> int:
    """The deepest leaf of any tree (iterative walk from each root)."""
    deepest = 0
    for feat, _, left, right in trees:
        stack = [(0, 0)]
        while stack:
            node, d = stack.pop()
            if feat[node] < 0:
                deepest = max(deepest, d)
            else:
                stack.extend(((int(left[node]), d + 1), (int(right[node]), d + 1)))
    return deepest


@functools.lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TreeModel:
    """The shipped person classifier for 8-bit frames."""
    try:
        model = TreeModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FrameError(f"grey person model {path}: {exc}") from exc
    if model.features != FEATURE_NAMES:
        raise FrameError(f"grey person model {path} was trained on other features: retrain it")
    return model


def grey_posture(f: GreyFeatures) -> str:
    """Posture from shape alone: a blob much longer than a person is wide lies when seen from
    above and stands when seen obliquely; compact blobs say nothing."""
    if f.major < 2.2 or f.aspect < 1.8:
        return "unknown"
    return "lying" if f.sin_dep > 0.7 else "standing"


def keep_best(cands: list[GreyCandidate], p: np.ndarray, threshold: float) -> list[tuple[GreyCandidate, float]]:
    """Candidates at or above the threshold, one per person: the same blob is a candidate at each
    threshold level, so a lower-scored one whose centre lies in a kept box (or the reverse) goes."""
    order = sorted((i for i in range(len(cands)) if p[i] >= threshold), key=lambda i: (-p[i], i))
    kept: list[tuple[GreyCandidate, float]] = []
    for i in order:
        c = cands[i]
        if any(_centre_in(c, k) or _centre_in(k, c) for k, _ in kept):
            continue
        kept.append((c, float(p[i])))
    return kept


def _centre_in(a: GreyCandidate, b: GreyCandidate) -> bool:
    x, y, w, h = b.bbox
    return x <= a.cx <= x + w and y <= a.cy <= y + h

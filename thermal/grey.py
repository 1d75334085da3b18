"""Find people in 8-bit (non-radiometric) frames: contrast, shape and expected size, no degrees.

After automatic gain control grey levels only rank temperatures within one
frame, so nothing here is in °C and detections carry no temperature.

1. Candidates: the frame (warm bright) minus its smooth background
   (`detector.background`: cells, grey-level opening) above a threshold
   relative to the scene: max(GREY_MIN_DELTA levels, 4 noise sigma,
   GREY_SPREAD_FRAC of the scene's spread p99.5 - p50). Connected components
   of at least 3 pixels, at most a few expected people wide.
2. Features per candidate (`GreyFeatures`), all relative to the scene or to
   the expected size of a person at the candidate's ground sample distance
   (from the camera model; DEFAULT_PERSON_PX without a pose): size, shape,
   contrast, uniformity.
3. A learned classifier (gradient-boosted trees over these features, trained
   on the HIT-UAV train split: see tools/train_thermal.py and
   the model file's `meta`) scores each candidate; the trees ship as JSON and
   run in numpy, so the runtime needs nothing beyond numpy and OpenCV.
"""

from __future__ import annotations

import functools
import json
from dataclasses import astuple, dataclass, fields
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
MAX_GREY_CANDIDATES = 600
THRESHOLD_STEPS = (1.0, 1.7, 2.8)  # multiples of the base threshold: groups split at the higher ones
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


FEATURE_NAMES = tuple(f.name for f in fields(GreyFeatures))


@dataclass(frozen=True)
class GreyCandidate:
    """A candidate's box and centre (pixels) with its features."""

    bbox: tuple[int, int, int, int]
    cx: float
    cy: float
    features: GreyFeatures


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
    kernel is BG_PERSON_WIDTHS expected person widths (at the frame centre), lightly smoothed."""
    k = int(min(max(BG_PERSON_WIDTHS * e_px, 7), 61)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    return np.asarray(cv2.blur(cv2.morphologyEx(grey, cv2.MORPH_OPEN, kernel), (3, 3)))


def _scene(grey: np.ndarray) -> tuple[float, float, float]:
    """(median, spread, threshold) of a frame in grey levels."""
    sub = grey[::4, ::4]
    p50, p995 = (float(v) for v in np.percentile(sub, [50, 99.5]))
    spread = max(p995 - p50, GREY_MIN_DELTA)
    thr = max(GREY_MIN_DELTA, GREY_NOISE_K * noise_sigma(grey), GREY_SPREAD_FRAC * spread)
    return p50, spread, thr


def person_px_map(cam: Camera | None, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected person width (px) and sin(depression) over the frame, from a coarse grid of the
    camera model (cheap: a few dozen rays per frame); 0 width above the horizon."""
    if cam is None:
        return np.full((h, w), DEFAULT_PERSON_PX, np.float32), np.ones((h, w), np.float32)
    us, vs = np.linspace(0, w - 1, GRID), np.linspace(0, h - 1, GRID)
    e = np.zeros((GRID, GRID), np.float32)
    sd = np.zeros((GRID, GRID), np.float32)
    for j, v in enumerate(vs):
        for i, u in enumerate(us):
            e[j, i], sd[j, i] = person_px(cam, float(u), float(v))
    size = (w, h)
    return cv2.resize(e, size, interpolation=cv2.INTER_LINEAR), cv2.resize(sd, size, interpolation=cv2.INTER_LINEAR)


def grey_candidates(grey: np.ndarray, cam: Camera | None) -> list[GreyCandidate]:
    """Warm blobs of an 8-bit frame (warm bright) with their features, at THRESHOLD_STEPS levels
    so that people walking together or next to a warm wall also come apart as candidates."""
    h, w = grey.shape
    e_map, sd_map = person_px_map(cam, w, h)
    bg = local_background(grey, float(e_map[h // 2, w // 2]) or DEFAULT_PERSON_PX)
    top = cv2.subtract(grey, bg)
    median, spread, thr = _scene(grey)
    scene = _Scene(grey, top, bg, e_map, sd_map, median, spread, thr)
    out: list[GreyCandidate] = []
    for step in THRESHOLD_STEPS:
        found, big = _components(scene, thr * step, (0, 0, w, h))
        out.extend(found)
        if len(out) >= MAX_GREY_CANDIDATES or not big:
            break  # nothing bigger than one person left to split at a higher level
    return out[:MAX_GREY_CANDIDATES]


@dataclass(frozen=True)
class _Scene:
    grey: np.ndarray
    top: np.ndarray  # grey above the local background
    bg: np.ndarray
    e_map: np.ndarray  # expected person width per pixel
    sd_map: np.ndarray  # sin(depression) per pixel
    median: float
    spread: float
    thr: float  # the base threshold


Window = tuple[int, int, int, int]  # x0, y0, x1, y1


def _components(sc: _Scene, level: float, window: Window) -> tuple[list[GreyCandidate], list[Window]]:
    """Connected blobs of `top > level` inside a window that could be a person, measured all at
    once, and the windows of blobs bigger than one person (to search at a higher level)."""
    h, w = sc.grey.shape
    wx, wy, wx1, wy1 = window
    mask = cv2.compare(sc.top[wy:wy1, wx:wx1], level, cv2.CMP_GT)  # type: ignore[call-overload]
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return [], []
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    bw, bh = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    stats[:, 0] += wx
    stats[:, 1] += wy
    centroids = np.add(centroids, (wx, wy))
    cu = np.clip(np.rint(centroids[:, 0]).astype(np.int64), 0, w - 1)
    cv = np.clip(np.rint(centroids[:, 1]).astype(np.int64), 0, h - 1)
    e = sc.e_map[cv, cu].astype(np.float64)
    side = np.maximum(bw, bh)
    ok = (area >= MIN_AREA_PX) & (e > 0) & (side <= MAX_PERSON_WIDTHS * np.maximum(e, 2.0))
    ok[0] = False
    split = (area >= MIN_AREA_PX) & (side > SPLIT_PERSON_WIDTHS * np.maximum(e, 2.0)) & (side < min(w, h) // 2)
    split[0] = False
    big = [(int(stats[i, 0]), int(stats[i, 1]), int(stats[i, 0] + bw[i]), int(stats[i, 1] + bh[i]))
           for i in np.nonzero(split)[0]]
    if not ok.any():
        return [], big
    ys, xs = np.nonzero(mask)
    lab = labels[ys, xs]
    ys, xs = ys + wy, xs + wx
    keep = ok[lab]
    ys, xs, lab = ys[keep], xs[keep], lab[keep]
    tv = sc.top[ys, xs].astype(np.float64)
    gv = sc.grey[ys, xs].astype(np.float64)
    # per-blob maxima: sort by value, the last write per label wins
    order = np.argsort(tv, kind="stable")
    peak = np.zeros(n)
    peak[lab[order]] = tv[order]
    gmax = np.zeros(n)
    order_g = np.argsort(gv, kind="stable")
    gmax[lab[order_g]] = gv[order_g]
    total = np.bincount(lab, weights=tv, minlength=n)
    fx, fy = xs.astype(np.float64), ys.astype(np.float64)
    sx, sy = np.bincount(lab, fx, n), np.bincount(lab, fy, n)
    sxx, syy, sxy = np.bincount(lab, fx * fx, n), np.bincount(lab, fy * fy, n), np.bincount(lab, fx * fy, n)
    low = tv < 0.6 * peak[lab]  # a face over clothing has many; a uniform plate few
    low_sum, low_n = np.bincount(lab[low], tv[low], n), np.bincount(lab[low], minlength=n)
    idx = np.nonzero(ok)[0]
    idx = idx[np.argsort(-peak[idx], kind="stable")]  # the most contrasted first: the cap keeps them
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
    cols = {
        "person_px": ei, "sin_dep": sc.sd_map[cv[idx], cu[idx]].astype(np.float64),
        "width": bw[idx] / ei, "height": bh[idx] / ei, "area": a / (ei * ei), "major": major / ei,
        "minor": minor / ei, "fill": a / (bw[idx] * bh[idx]), "aspect": major / minor, "peak": pk / sc.spread,
        "mean": total[idx] / a / sc.spread, "integral": total[idx] / sc.spread / (ei * ei),
        "peak_thr": pk / sc.thr, "level": gmax[idx] / 255.0,
        "ground": (sc.bg[cv[idx], cu[idx]] - sc.median) / sc.spread, "core": (pk - core) / np.maximum(pk, 1e-6),
        "spread": np.full(len(idx), sc.spread / 255.0),
    }
    rows = np.column_stack([cols[name] for name in FEATURE_NAMES]).tolist()
    p = BOX_PAD_PX
    out = []
    for k, i in enumerate(idx):
        x, y = int(stats[i, 0]), int(stats[i, 1])
        x0, y0 = max(0, x - p), max(0, y - p)
        box = (x0, y0, min(w, x + int(bw[i]) + p) - x0, min(h, y + int(bh[i]) + p) - y0)
        out.append(GreyCandidate(box, float(centroids[i, 0]), float(centroids[i, 1]), GreyFeatures(*rows[k])))
    return out, big


def feature_matrix(cands: list[GreyCandidate]) -> np.ndarray:
    """Candidates' features as rows (FEATURE_NAMES order), float64."""
    if not cands:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.array([astuple(c.features) for c in cands], dtype=np.float64)


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

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TreeModel:
        trees = tuple((np.asarray(t["feature"], np.int64), np.asarray(t["threshold"], np.float64),
                       np.asarray(t["left"], np.int64), np.asarray(t["right"], np.int64)) for t in d["trees"])
        return cls(tuple(d["features"]), float(d["init"]), float(d["rate"]), trees, float(d["threshold"]),
                   dict(d.get("meta", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "init": self.init, "rate": self.rate, "threshold": self.threshold,
                "meta": self.meta,
                "trees": [{"feature": f.tolist(), "threshold": t.tolist(), "left": lft.tolist(), "right": r.tolist()}
                          for f, t, lft, r in self.trees]}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of a person per row of `x` (columns in `features` order)."""
        score = np.full(len(x), self.init)
        rows = np.arange(len(x))
        for feat, thr, left, right in self.trees:
            node = np.zeros(len(x), np.int64)
            while True:
                f = feat[node]
                inner = f >= 0
                if not inner.any():
                    break
                go_left = x[rows, np.where(inner, f, 0)] <= thr[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
            score += self.rate * thr[node]
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(score, -50.0, 50.0))))


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


def score_candidates(cands: list[GreyCandidate], model: TreeModel | None = None) -> np.ndarray:
    """Person probability of each candidate."""
    if not cands:
        return np.zeros(0)
    return (model or load_model()).predict(feature_matrix(cands))


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

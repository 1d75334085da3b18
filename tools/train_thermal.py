"""Train the person classifier of 8-bit frames (thermal/grey.py) on real labelled frames.

Data: HIT-UAV (Suo et al., "HIT-UAV: A high-altitude infrared thermal dataset
for Unmanned Aerial Vehicle-based object detection", Scientific Data 10, 227,
2023; CC BY 4.0; GitHub suojiashun/HIT-UAV-Infrared-Thermal-Dataset): 2,898
white-hot 640x512 frames from 60-130 m, camera 30-90 degrees below the
horizon, day and night, with Person/Car/Bicycle/OtherVehicle/DontCare boxes.
Only its `train` split trains and its `val` split picks the decision threshold
and prints the validation table; `prepare-hituav` refuses the `test` split.
`--augment N` also trains on N copies of each train frame as another camera
would give it (`draw_camera`: gain control, contrast, offset, gamma, noise,
fixed-pattern stripes, blur, a coarser core, JPEG quality, black-hot; seeded).
`--cv K` picks the threshold on train instead, out of fold over K folds grouped
by flight (the name's day/night, altitude and angle: HIT-UAV's consecutive
frames are near copies, and val shares train's flights), so that val only
checks; its table, on stderr, is the figure for flights never seen, followed by
each night flight's out-of-fold people, candidate share and P/R (`flight_report`).

    python -m tools.train_thermal prepare-hituav HIT_UAV_DIR train /tmp/hit/train
    python -m tools.train_thermal prepare-hituav HIT_UAV_DIR val /tmp/hit/val
    python -m tools.train_thermal train /tmp/hit/train /tmp/hit/val --synthetic 300 --augment 1 --cv 3  # needs scikit-learn (extra `train`)
    python -m tools.train_thermal prepare-hituav HIT_UAV_DIR test /tmp/hit/test --evaluation  # bench only

HIT-UAV gives no position, so the prepared sidecars carry a placeholder
position (the generator's base) with the file name's altitude and camera
angle and an assumed field of view (HIT_UAV_HFOV_DEG): enough for the
ground sample distance, which is all the classifier takes from the pose.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from simulators.thermal.generator import generate_frame
from simulators.thermal.handmade import to_8bit
from thermal.detector import camera_for
from thermal.frames import POLARITIES, ThermalImage, centikelvin_to_c, decode_image, grey_image, parse_meta
from thermal.grey import (
    FEATURE_NAMES,
    MAX_GREY_CANDIDATES,
    MODEL_PATH,
    PATCH,
    SHAPE_NAMES,
    SPLIT_RESERVE,
    THRESHOLD_STEPS,
    GreyCandidate,
    TreeModel,
    candidate_table,
    feature_matrix,
    grey_candidates,
    keep_best,
)
from tools.bench_thermal import match_real, prf
from tools.real_frames import Box, RealFrame, iter_real

HIT_UAV_HFOV_DEG = 25.0  # DJI Zenmuse XT2 with its 25 mm lens (640x512, 17 um pixels)
HIT_UAV_PERSON, HIT_UAV_DONTCARE = 0, 4
PLACEHOLDER_LAT, PLACEHOLDER_LON = 45.7560, 126.6420
SPLITS = ("train", "val")
TEST_SPLIT = "test"
TREES, RATE = 500, 0.1  # 300 trees before the augmented copies doubled the rows
DEPTH, LEAVES = 6, 31  # 31 leaves: scikit-learn's default; depth 4 or 3 did no better out of fold (README)
NEGATIVE_SHARE = 0.25
SYNTHETIC_SEED = 7077
AUGMENT_SEED = 8088
CASCADE_SHARE, CASCADE_LOSS = 0.1, 0.003
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.2, 0.86, 0.02))  # the decision thresholds tried
GOAL_PRECISION = 0.8  # issue 15: recall >= 0.8 at precision >= 0.8 on night frames


def prepare_hituav(src: Path, split: str, out: Path, evaluation: bool = False) -> int:
    """Write a HIT-UAV split as a labelled folder (tools/real_frames.py format); returns the frame count.
    The `test` split only with `evaluation` (for `patrol bench thermal --real`): its folder is
    marked, and `train` refuses it."""
    if split not in SPLITS and not (evaluation and split == TEST_SPLIT):
        raise SystemExit(f"split {split!r} refused: only {SPLITS} train or tune (test is for evaluation only)")
    doc = json.loads((src / "normal_json" / "annotations" / f"{split}.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    images = {im["id"]: im for im in doc["images"]}
    boxes: dict[int, dict[str, list[list[int]]]] = {i: {"people": [], "ignore": []} for i in images}
    for a in doc.get("annotation", doc.get("annotations", [])):
        key = {HIT_UAV_PERSON: "people", HIT_UAV_DONTCARE: "ignore"}.get(a["category_id"])
        if key:
            boxes[a["image_id"]][key].append([int(v) for v in a["bbox"]])
    frames: dict[str, Any] = {}
    for iid, im in sorted(images.items()):
        name = im["filename"]
        night, alt, angle = name.split("_")[:3]
        target = out / name
        if not target.exists():
            os.symlink((src / "normal_json" / split / name).resolve(), target)
        d = str(im.get("date_captured", "20210101"))
        meta = {"camera_id": "hit-uav", "kind": "drone", "captured_at": f"{d[:4]}-{d[4:6]}-{d[6:8]}T12:00:00+00:00",
                "lat": PLACEHOLDER_LAT, "lon": PLACEHOLDER_LON, "alt_m": float(alt), "yaw_deg": 0.0,
                "pitch_deg": -float(angle), "hfov_deg": HIT_UAV_HFOV_DEG, "width": im["width"],
                "height": im["height"], "polarity": "white-hot"}
        target.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
        frames[name] = {**boxes[iid], "tags": ["night" if night == "1" else "day"]}
    (out / "labels.json").write_text(json.dumps({"source": f"HIT-UAV {split} (CC BY 4.0)", "split": split,
                                                 "frames": frames}),
                                     encoding="utf-8")
    return len(frames)


def synthetic_frames(n: int, seed: int = SYNTHETIC_SEED) -> Iterator[RealFrame]:
    """Generator frames (simulators/thermal/generator.py, seeds apart from the bench's) as 8-bit
    video frames, white-hot and black-hot alternately: the real frames' 60-130 m do not cover the
    lower flights and fixed cameras the product also sees."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        ck, meta, truth = generate_frame(rng)
        pol = POLARITIES[k % 2]
        image = decode_image(to_8bit(centikelvin_to_c(ck), pol), pol)
        people = tuple(tuple(t["bbox"]) for t in truth if t["label"] == "person" and not t.get("partial"))
        ignore = tuple(tuple(t["bbox"]) for t in truth if t.get("partial"))
        yield RealFrame(f"synthetic-{k}", image, parse_meta(meta), people, ignore, ("synthetic",))


@dataclass(frozen=True)
class Camera8:
    """How another camera's 8-bit video could render the same scene: what the photometric
    augmentation draws per frame (`draw_camera`) and `other_camera` applies."""

    lo_pct: float = 0.0  # gain control: these percentiles of the frame stretched over 0..255 ...
    hi_pct: float = 100.0
    contrast: float = 1.0  # ... then this contrast about the median ...
    offset: float = 0.0  # ... this offset (levels) ...
    gamma: float = 1.0  # ... and this gamma
    noise: float = 0.0  # sensor noise sigma (levels)
    stripes: float = 0.0  # fixed-pattern column offsets, sigma (levels)
    blur: float = 0.0  # optics blur sigma (px; 0 none)
    scale: float = 1.0  # sampled at this fraction of the resolution and back (a coarser core)
    jpeg: int = 0  # re-encoded at this JPEG quality (0: not)
    black_hot: bool = False


def draw_camera(rng: np.random.Generator) -> Camera8:
    """A random other camera: gain control and gamma always, the rest some of the time."""
    return Camera8(
        lo_pct=float(rng.uniform(0.0, 3.0)), hi_pct=float(rng.uniform(99.0, 100.0)),
        contrast=float(np.exp(rng.uniform(np.log(0.5), np.log(1.4)))), offset=float(rng.uniform(-25.0, 25.0)),
        gamma=float(np.exp(rng.uniform(np.log(0.6), np.log(1.7)))),
        noise=float(rng.uniform(0.0, 6.0)) if rng.random() < 0.5 else 0.0,
        stripes=float(rng.uniform(0.0, 4.0)) if rng.random() < 0.3 else 0.0,
        blur=float(rng.uniform(0.5, 1.2)) if rng.random() < 0.3 else 0.0,
        scale=float(rng.uniform(0.5, 0.85)) if rng.random() < 0.25 else 1.0,
        jpeg=int(rng.integers(35, 96)) if rng.random() < 0.6 else 0,
        black_hot=bool(rng.random() < 0.5))


def other_camera(grey: np.ndarray, cam: Camera8, rng: np.random.Generator) -> ThermalImage:
    """An 8-bit frame (warm bright levels) as `cam` would give it, decoded as the product decodes
    its frames (black-hot inverted back, by the given polarity)."""
    g = np.asarray(grey, np.float32)
    lo, hi = np.percentile(g, [cam.lo_pct, cam.hi_pct])
    g = (g - lo) / max(float(hi - lo), 1.0)
    med = float(np.median(g))
    g = np.clip(med + cam.contrast * (g - med) + cam.offset / 255.0, 0.0, 1.0) ** cam.gamma * 255.0
    h, w = g.shape
    if cam.scale < 1.0:
        small = cv2.resize(g, (max(8, round(w * cam.scale)), max(8, round(h * cam.scale))),
                           interpolation=cv2.INTER_AREA)
        g = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if cam.blur > 0:
        g = cv2.GaussianBlur(g, (0, 0), cam.blur)
    if cam.noise > 0:
        g = g + rng.normal(0.0, cam.noise, g.shape).astype(np.float32)
    if cam.stripes > 0:
        g = g + rng.normal(0.0, cam.stripes, (1, w)).astype(np.float32)
    raw = np.clip(np.rint(g), 0, 255).astype(np.uint8)
    pol = POLARITIES[1] if cam.black_hot else POLARITIES[0]
    if cam.black_hot:
        raw = cv2.bitwise_not(raw)
    if cam.jpeg:
        ok, buf = cv2.imencode(".jpg", raw, [cv2.IMWRITE_JPEG_QUALITY, cam.jpeg])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return decode_image(buf.tobytes(), pol)
    return grey_image(raw, pol)


def augmented(frames: Iterable[RealFrame], seed: int = AUGMENT_SEED) -> Iterator[RealFrame]:
    """Each frame as a random other camera would give it (`draw_camera`; seeded, so a rerun draws
    the same): the classifier learns people under other gain control, gamma, noise, resolution."""
    rng = np.random.default_rng(seed)
    for fr in frames:
        image = other_camera(fr.image.pixels, draw_camera(rng), rng)
        yield RealFrame(f"{fr.name}#aug", image, fr.meta, fr.people, fr.ignore, (*fr.tags, "augmented"))


def _camera(fr: RealFrame) -> Any:
    h, w = fr.image.pixels.shape
    return camera_for(fr.meta, w, h) if fr.meta is not None else None


def frame_candidates(fr: RealFrame) -> list[GreyCandidate]:
    """Candidates of one labelled 8-bit frame."""
    return grey_candidates(fr.image.pixels, _camera(fr))


def candidate_labels(cands: list[GreyCandidate], people: tuple[Box, ...], ignore: tuple[Box, ...]) -> np.ndarray:
    """1 person, 0 not, -1 ignore (inside a DontCare box, or a second candidate on one person)."""
    y = np.zeros(len(cands), np.int64)
    for i, _j in match_real([c.bbox for c in cands], list(people)):
        y[i] = 1
    for i, c in enumerate(cands):
        if y[i] == 1:
            continue
        if any(_inside(c.cx, c.cy, b) for b in (*ignore, *people)):
            y[i] = -1
    return y


def _inside(u: float, v: float, b: Box) -> bool:
    return b[0] <= u <= b[0] + b[2] and b[1] <= v <= b[1] + b[3]


def flight(name: str) -> str:
    """The flight a HIT-UAV frame comes from, as far as its name tells (day or night, altitude,
    camera angle: `1_60_30_0_00123.jpg`): consecutive frames of one flight are near copies, so
    cross-validation keeps a flight's frames, and their augmented copies, in one fold."""
    parts = name.split("#")[0].split("_")
    return "_".join(parts[:3]) if len(parts) >= 5 else name.split("#")[0]


def dataset(frames: Iterable[RealFrame], negatives: float = NEGATIVE_SHARE,
            groups: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and labels of the candidates of labelled frames (ignored ones left out), with
    every person and a fixed, seeded share of the rest (there are hundreds per frame); each row's
    flight is appended to `groups` when given."""
    rng = np.random.default_rng(0)
    xs, ys = [], []
    for fr in frames:
        cands = frame_candidates(fr)
        y = candidate_labels(cands, fr.people, fr.ignore)
        keep = (y == 1) | ((y == 0) & (rng.random(len(y)) < negatives))
        xs.append(feature_matrix(cands)[keep])
        ys.append(y[keep])
        if groups is not None:
            groups.extend([flight(fr.name)] * int(keep.sum()))
    return np.concatenate(xs), np.concatenate(ys)


def mirrored(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows plus every person's mirror image (appearance patch flipped left-right; the shape
    and context features do not change): a person facing the other way is still a person."""
    pos = x[y == 1].copy()
    cols = slice(len(SHAPE_NAMES), len(SHAPE_NAMES) + PATCH * PATCH)
    pos[:, cols] = pos[:, cols].reshape(len(pos), PATCH, PATCH)[:, :, ::-1].reshape(len(pos), -1)
    return np.concatenate([x, pos]), np.concatenate([y, np.ones(len(pos), y.dtype)])


def export(gbm: Any, threshold: float, meta: dict[str, Any]) -> TreeModel:
    """A fitted sklearn HistGradientBoostingClassifier as our numpy tree model (leaf values
    already carry the learning rate, so the model's rate is 1)."""
    trees = []
    for (pred,) in gbm._predictors:
        nodes = pred.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append((np.where(leaf, -1, nodes["feature_idx"]).astype(np.int64),
                      np.where(leaf, nodes["value"], nodes["num_threshold"]).astype(np.float64),
                      nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)))
    init = float(np.ravel(gbm._baseline_prediction)[0])
    return TreeModel(FEATURE_NAMES, init, 1.0, tuple(trees), threshold, meta)


def with_cascade(model: TreeModel, positives: np.ndarray) -> TreeModel:
    """The model with an early exit after its first CASCADE_SHARE of trees, at the log-odds that
    all but CASCADE_LOSS of the training people pass (the rest of the trees only see those)."""
    first = max(1, int(len(model.trees) * CASCADE_SHARE))
    partial = TreeModel(model.features, model.init, model.rate, model.trees[:first], 0.5, {})
    p = np.clip(partial.predict(positives), 1e-12, 1 - 1e-12)
    floor = float(np.quantile(np.log(p / (1 - p)), CASCADE_LOSS))
    return TreeModel(model.features, model.init, model.rate, model.trees, model.threshold, model.meta,
                     (first, round(floor, 4)))


@dataclass(frozen=True)
class Scored:
    """One labelled frame's candidates with their person probabilities (computed once per model);
    only the candidates at or above `floor` of score_frames are kept, and the frame without its image."""

    frame: RealFrame
    cands: list[GreyCandidate]
    p: np.ndarray
    proposed: int = 0  # labelled people some candidate matches (all candidates, before `floor`)


def people_proposed(boxes: np.ndarray, people: tuple[Box, ...]) -> int:
    """How many labelled people some candidate box matches (one-to-one, as match_real): the recall
    the candidate stage leaves the classifier. Only boxes that touch a person are matched (a frame
    has hundreds)."""
    if not people or not len(boxes):
        return 0
    b = np.asarray(boxes, np.float64)[:, None, :]
    t = np.asarray(people, np.float64)[None, :, :]
    touch = ((b[..., 0] < t[..., 0] + t[..., 2]) & (t[..., 0] < b[..., 0] + b[..., 2])
             & (b[..., 1] < t[..., 1] + t[..., 3]) & (t[..., 1] < b[..., 1] + b[..., 3])).any(axis=1)
    return len(match_real(b[touch, 0].astype(np.int64).tolist(), list(people)))


def score_frames(model: TreeModel, frames: Iterable[RealFrame], floor: float = 0.0) -> list[Scored]:
    out = []
    for fr in frames:
        table = candidate_table(fr.image.pixels, _camera(fr))
        p = model.predict(table.rows) if len(table) else np.zeros(0)
        keep = np.nonzero(p >= floor)[0]
        light = RealFrame(fr.name, _NO_IMAGE, fr.meta, fr.people, fr.ignore, fr.tags)
        out.append(Scored(light, table.candidates(keep), p[keep], people_proposed(table.boxes, fr.people)))
    return out


_NO_IMAGE = ThermalImage(np.zeros((1, 1), np.float32), radiometric=False)


def evaluate(scored: list[Scored], threshold: float) -> dict[str, int]:
    """tp/fp/fn of the detection rule (person probability >= threshold) on labelled frames."""
    tp = fp = fn = 0
    for sc in scored:
        kept = [c for c, _ in keep_best(sc.cands, sc.p, threshold)]
        pairs = match_real([c.bbox for c in kept], list(sc.frame.people))
        hit = {i for i, _ in pairs}
        fp += sum(1 for i, c in enumerate(kept)
                  if i not in hit and not any(_inside(c.cx, c.cy, b) for b in sc.frame.ignore))
        tp += len(pairs)
        fn += len(sc.frame.people) - len(pairs)
    return {"tp": tp, "fp": fp, "fn": fn}


def proposed(scored: list[Scored]) -> str:
    """How many labelled people some candidate matches (before the classifier): the recall the
    candidate stage leaves the classifier, whatever its threshold."""
    found = sum(sc.proposed for sc in scored)
    total = sum(len(sc.frame.people) for sc in scored)
    return f"{found / max(total, 1):.3f} ({found} of {total})"


def flight_report(scored: list[Scored], threshold: float) -> list[str]:
    """Per flight (`flight`) of out-of-fold scored frames: people, the share some candidate matches
    (the most any classifier could find) and precision/recall at `threshold`, worst recall first,
    then the totals: which flights a model never saw it fails on, and whether the candidate stage
    or the classifier loses them."""
    by: dict[str, list[Scored]] = {}
    for sc in scored:
        by.setdefault(flight(sc.frame.name), []).append(sc)

    def line(name: str, group: list[Scored]) -> tuple[float, str]:
        r = prf(**evaluate(group, threshold))
        people = r["tp"] + r["fn"]
        cand = f"{sum(sc.proposed for sc in group) / people:.3f}" if people else "  -  "
        return r["recall"] if people else 2.0, (f"  {name:12s} {len(group):4d} frames {people:5d} people  candidates "
                                               f"{cand}  P {r['precision']:.3f} R {r['recall']:.3f}  "
                                               f"(tp {r['tp']} fp {r['fp']} fn {r['fn']})")

    rows = sorted(line(name, group) for name, group in by.items())
    return [text for _, text in rows] + [line("all", scored)[1]]


def _refuse_test(folder: Path) -> None:
    """A folder prepared from a test split never trains or tunes."""
    try:
        split = json.loads((folder / "labels.json").read_text(encoding="utf-8")).get("split")
    except (OSError, ValueError, AttributeError):
        return  # iter_real reports a missing or bad labels file with its path
    if split == TEST_SPLIT:
        raise SystemExit(f"{folder} holds a test split: it is for evaluation only, never for training or tuning")


def pick_threshold(scored: list[Scored]) -> float:
    """The decision threshold on val night frames (the goal's condition): among those at precision
    >= GOAL_PRECISION, the one whose lower of precision and recall is highest (the widest margin on
    both sides of the goal, for frames val has not seen), else the best F1."""
    table = [(prf(**evaluate(scored, t)), t) for t in THRESHOLDS]
    for r, t in table:
        print(f"  threshold {t:.2f}: P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}", file=sys.stderr)
    good = [(min(r["precision"], r["recall"]), t) for r, t in table if r["precision"] >= GOAL_PRECISION]
    return max(good)[1] if good else max((r["f1"], t) for r, t in table)[1]


def fit(x: np.ndarray, y: np.ndarray, trees: int, depth: int = DEPTH, leaves: int = LEAVES) -> TreeModel:
    """Gradient-boosted trees on candidate rows (labels 1/0), exported with their cascade."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier  # training-only extra
    except ImportError:
        raise SystemExit("training needs scikit-learn: pip install -e '.[train]'") from None
    gbm = HistGradientBoostingClassifier(max_iter=trees, max_depth=depth, max_leaf_nodes=leaves,
                                         learning_rate=RATE,
                                         l2_regularization=1.0, early_stopping=False, random_state=0)
    # the negatives were sampled: weigh them back so probabilities stay those of all candidates
    gbm.fit(x, y, sample_weight=np.where(y == 1, 1.0, 1.0 / NEGATIVE_SHARE))
    return with_cascade(export(gbm, 0.5, {}), x[y == 1])


def folds_of(groups: np.ndarray, k: int) -> dict[str, int]:
    """Each flight's fold (seeded shuffle of the flights, dealt round-robin)."""
    names = sorted(set(groups.tolist()))
    order = np.random.default_rng(0).permutation(len(names))
    return {names[i]: n % k for n, i in enumerate(order.tolist())}


def _rows(x: np.ndarray, y: np.ndarray, flip: bool) -> tuple[np.ndarray, np.ndarray]:
    return mirrored(x, y) if flip else (x, y)


def cross_validated(train_dir: Path, every: int, k: int, x: np.ndarray, y: np.ndarray, g: np.ndarray,
                    extra: tuple[np.ndarray, np.ndarray], flip: bool, trees: int = TREES,
                    depth: int = DEPTH, leaves: int = LEAVES) -> list[Scored]:
    """Out-of-fold scores of the clean train frames: k models, each trained without one fold of
    flights (their augmented copies included; `extra` rows, synthetic, always in) and scoring
    that fold's frames."""
    fold = folds_of(g, k)
    row_fold = np.array([fold[v] for v in g.tolist()])
    out: list[Scored] = []
    for f in range(k):
        held = row_fold == f
        xt, yt = _rows(np.concatenate([x[~held], extra[0]]), np.concatenate([y[~held], extra[1]]), flip)
        model = fit(xt, yt, trees, depth, leaves)
        frames = (fr for fr in iter_real(train_dir, every=every) if fold.get(flight(fr.name)) == f)
        scored = score_frames(model, frames, THRESHOLDS[0])
        print(f"fold {f + 1}/{k}: {len(scored)} frames held out, {len(yt)} rows trained", file=sys.stderr)
        out.extend(scored)
    return out


def train(train_dir: Path, val_dir: Path, out: Path, cache: Path | None = None, every: int = 1,
          synthetic: int = 0, flip: bool = True, augment: int = 0, cv: int = 0,
          drop: tuple[str, ...] = (), trees: int = TREES, depth: int = DEPTH, leaves: int = LEAVES) -> None:
    for folder in (train_dir, val_dir):
        _refuse_test(folder)
    if unknown := [name for name in drop if name not in FEATURE_NAMES]:
        raise SystemExit(f"--drop: no such feature(s) {unknown}")
    data = dict(np.load(cache)) if cache is not None and cache.exists() else {}
    if "g" not in data:
        groups: list[str] = []
        data["x"], data["y"] = dataset(iter_real(train_dir, every=every), groups=groups)
        data["g"] = np.array(groups)
    if augment and ("ga" not in data or int(data["augment"]) != augment):
        groups = []
        parts = [dataset(augmented(iter_real(train_dir, every=every), AUGMENT_SEED + c), groups=groups)
                 for c in range(augment)]
        data["xa"], data["ya"] = (np.concatenate(a) for a in zip(*parts, strict=True))
        data["ga"], data["augment"] = np.array(groups), np.array(augment)
    if synthetic and ("xs" not in data or int(data["synthetic"]) != synthetic):
        data["xs"], data["ys"] = dataset(synthetic_frames(synthetic))
        data["synthetic"] = np.array(synthetic)
    if cache is not None:
        np.savez(cache, **data)
    x, y, g = data["x"], data["y"], data["g"]
    if augment:
        x, y, g = (np.concatenate([data[a], data[f"{a}a"]]) for a in ("x", "y", "g"))
    xs, ys = (data["xs"], data["ys"]) if synthetic else (x[:0], y[:0])
    if drop:  # a constant column: no tree splits on it
        unused = [FEATURE_NAMES.index(name) for name in drop]
        x, xs = x.copy(), xs.copy()
        x[:, unused] = 0.0
        xs[:, unused] = 0.0
    print(f"train: {len(y) + len(ys)} candidates, {int(y.sum() + ys.sum())} people (before mirroring)",
          file=sys.stderr)
    if cv:
        tuned = cross_validated(train_dir, every, cv, x, y, g, (xs, ys), flip, trees, depth, leaves)
        source = (f"HIT-UAV train split, {cv}-fold cross-validation grouped by flight (day/night, altitude, "
                  f"angle), night frames out of fold: at precision >= {GOAL_PRECISION}, the highest lower of "
                  "precision and recall")
    model = fit(*_rows(np.concatenate([x, xs]), np.concatenate([y, ys]), flip), trees, depth, leaves)
    val = score_frames(model, iter_real(val_dir))
    night = [sc for sc in val if "night" in sc.frame.tags]
    if not cv:
        tuned = night
        source = (f"HIT-UAV val split, night frames: at precision >= {GOAL_PRECISION}, the highest lower of "
                  "precision and recall")
    threshold = pick_threshold([sc for sc in tuned if "night" in sc.frame.tags])
    if cv:
        print(f"out of fold, night flights at threshold {threshold} (worst recall first):", file=sys.stderr)
        print("\n".join(flight_report([sc for sc in tuned if "night" in sc.frame.tags], threshold)), file=sys.stderr)
    rows = []
    day = [sc for sc in val if "day" in sc.frame.tags]
    for label, scored in (("val all", val), ("val night", night), ("val day", day)):
        r = prf(**evaluate(scored, threshold))
        rows.append(f"{label:10s} {len(scored):5d} frames  P {r['precision']:.3f}  R {r['recall']:.3f}  "
                    f"F1 {r['f1']:.3f}  (tp {r['tp']} fp {r['fp']} fn {r['fn']})  candidates {proposed(scored)}")
    meta = {"train_frames_every": every, "synthetic_frames": synthetic, "augmented_copies": augment,
            "augment_seed": AUGMENT_SEED, "cross_validation_folds": cv, "features_unused": list(drop), "mirrored_people": flip,
            "data": "HIT-UAV train split (CC BY 4.0, Suo et al. 2023, suojiashun/HIT-UAV-Infrared-Thermal-Dataset)",
            "threshold_from": source, "hfov_assumed_deg": HIT_UAV_HFOV_DEG,
            "candidate_levels": list(THRESHOLD_STEPS), "candidate_cap": MAX_GREY_CANDIDATES,
            "cap_reserved_for_higher_levels": SPLIT_RESERVE,
            "trees": trees, "depth": depth, **({"leaves": leaves} if leaves != LEAVES else {}), "rate": RATE, "cascade_after_trees": model.cascade,
            "validation": rows}
    model = TreeModel(model.features, model.init, model.rate, model.trees, threshold, meta, model.cascade)
    out.write_text(json.dumps(model.to_dict(), separators=(",", ":")), encoding="utf-8")
    print(f"threshold {threshold}; model written to {out}")
    print("\n".join(rows))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.train_thermal", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prepare-hituav", help="write a HIT-UAV split (train or val) as a labelled folder")
    pp.add_argument("src", type=Path)
    pp.add_argument("split")
    pp.add_argument("out", type=Path)
    pp.add_argument("--evaluation", action="store_true",
                    help="allow the test split, for `patrol bench thermal --real` only (train refuses it)")
    pt = sub.add_parser("train", help="train on a labelled folder, pick the threshold and validate on another")
    pt.add_argument("train_dir", type=Path)
    pt.add_argument("val_dir", type=Path)
    pt.add_argument("--out", type=Path, default=MODEL_PATH)
    pt.add_argument("--synthetic", type=int, default=0, help="also train on this many generator frames made 8-bit")
    pt.add_argument("--augment", type=int, default=0,
                    help="also train on this many copies of each train frame as other cameras would give it")
    pt.add_argument("--cv", type=int, default=0,
                    help="pick the threshold by this many folds of train grouped by flight (val then only checks)")
    pt.add_argument("--drop", default="", help="features the trees must not use (comma-separated names)")
    pt.add_argument("--trees", type=int, default=TREES, help=f"boosting rounds (default {TREES})")
    pt.add_argument("--depth", type=int, default=DEPTH, help=f"the trees' maximum depth (default {DEPTH})")
    pt.add_argument("--leaves", type=int, default=LEAVES, help=f"the trees' maximum leaves (default {LEAVES})")
    pt.add_argument("--every", type=int, default=1, help="train on every N-th frame only (faster)")
    pt.add_argument("--cache", type=Path, help="keep the training features here (and reuse them when present)")
    pt.add_argument("--no-flip", action="store_true", help="do not add mirrored people to the training rows")
    args = p.parse_args(argv)
    if args.cmd == "prepare-hituav":
        print(f"{prepare_hituav(args.src, args.split, args.out, args.evaluation)} frames written to {args.out}")
    else:
        train(args.train_dir, args.val_dir, args.out, args.cache, args.every, args.synthetic, not args.no_flip,
              args.augment, args.cv, tuple(n for n in args.drop.split(",") if n), args.trees,
              args.depth, args.leaves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

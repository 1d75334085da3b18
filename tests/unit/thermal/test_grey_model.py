"""The 8-bit person classifier's runtime: tree walking, the cascade's early exit, candidates' features."""

from __future__ import annotations

import numpy as np

from thermal.cameras import make_camera
from thermal.frames import parse_meta
from thermal.grey import (
    CONTEXT_NAMES,
    FEATURE_NAMES,
    GRID,
    NEAR_PERSON_WIDTHS,
    PATCH,
    SHAPE_NAMES,
    TreeModel,
    context_features,
    feature_matrix,
    grey_candidates,
    grid_at,
    load_model,
    person_px,
    person_px_map,
)

Tree = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _stump(feature: int, threshold: float, low: float, high: float) -> Tree:
    """One split: x[feature] <= threshold -> low, else high."""
    return (np.array([feature, -1, -1]), np.array([threshold, low, high]), np.array([1, -1, -1]),
            np.array([2, -1, -1]))


def _deep() -> Tree:
    """Two levels: x0 <= 0 then x1 <= 0."""
    return (np.array([0, 1, -1, -1, -1]), np.array([0.0, 0.0, 1.0, 2.0, 3.0]), np.array([1, 3, -1, -1, -1]),
            np.array([4, 2, -1, -1, -1]))


def _reference(model: TreeModel, x: np.ndarray) -> np.ndarray:
    """Tree after tree, row after row: what predict must equal."""
    out = []
    for row in x:
        s = model.init
        for feat, thr, left, right in model.trees:
            n = 0
            while feat[n] >= 0:
                n = left[n] if row[feat[n]] <= thr[n] else right[n]
            s += model.rate * thr[n]
        out.append(1.0 / (1.0 + np.exp(-s)))
    return np.array(out)


def test_all_trees_walked_at_once_equal_tree_after_tree() -> None:
    trees = (_stump(0, 0.5, -1.0, 1.0), _deep(), _stump(1, -0.2, 0.3, -0.4))
    model = TreeModel(("a", "b"), 0.1, 0.5, trees, 0.5, {})
    x = np.random.default_rng(1).normal(size=(40, 2))
    assert np.allclose(model.predict(x), _reference(model, x))
    assert model.predict(np.zeros((0, 2))).shape == (0,)


def test_cascade_stops_rows_below_its_floor_after_the_first_trees() -> None:
    trees = (_stump(0, 0.0, -5.0, 0.0), _stump(1, 0.0, 0.0, 10.0))
    full = TreeModel(("a", "b"), 0.0, 1.0, trees, 0.5, {})
    early = TreeModel(("a", "b"), 0.0, 1.0, trees, 0.5, {}, cascade=(1, -1.0))
    x = np.array([[-1.0, 1.0], [1.0, 1.0]])
    # the first row scores -5 after one tree: below the floor, the second tree (+10) is never added
    assert early.predict(x)[0] < 0.01 < 0.99 < full.predict(x)[0]
    assert np.isclose(early.predict(x)[1], full.predict(x)[1])


def test_model_round_trips_through_its_dict_with_the_cascade() -> None:
    model = TreeModel(("a", "b"), 0.2, 1.0, (_deep(),), 0.4, {"k": 1}, cascade=(1, -2.5))
    back = TreeModel.from_dict(model.to_dict())
    assert back.cascade == (1, -2.5) and back.threshold == 0.4 and back.meta == {"k": 1}
    x = np.random.default_rng(2).normal(size=(10, 2))
    assert np.allclose(back.predict(x), model.predict(x))


def test_shipped_model_is_trained_on_these_features_with_a_cascade() -> None:
    model = load_model()
    assert model.features == FEATURE_NAMES
    assert model.cascade is not None and 0 < model.cascade[0] < len(model.trees)
    assert "HIT-UAV" in model.meta["data"] and "test" not in model.meta["data"]


def test_grid_reads_corners_exactly_and_interpolates_between() -> None:
    grid = np.arange(49, dtype=np.float64).reshape(7, 7)
    u, v = np.array([0.0, 639.0, 319.5]), np.array([0.0, 511.0, 255.5])
    assert np.allclose(grid_at(grid, 640, 512, u, v), [0.0, 48.0, 24.0])


def test_a_warm_blob_gets_a_patch_that_peaks_at_its_centre() -> None:
    grey = np.full((120, 160), 60, np.uint8)
    grey[50:66, 70:78] = 200  # one person-sized warm blob (no pose: 8 px wide expected)
    cands = grey_candidates(grey, None)
    best = max(cands, key=lambda c: c.features.peak)
    patch = best.row[len(SHAPE_NAMES):len(SHAPE_NAMES) + PATCH * PATCH].reshape(PATCH, PATCH)
    assert patch[PATCH // 2, PATCH // 2] == patch.max() > 0.5
    assert abs(patch[0, 0]) < 0.1  # three person widths away: background
    assert 70 <= best.cx <= 78 and 50 <= best.cy <= 66


def test_context_counts_blobs_held_holding_and_near() -> None:
    grey = np.full((120, 200), 60, np.uint8)
    grey[40:60, 40:47] = 170  # two people side by side on a warm patch: one blob low, two higher up
    grey[40:60, 49:56] = 170
    grey[38:62, 38:58] = np.maximum(grey[38:62, 38:58], 110)
    grey[50:60, 150:158] = 200  # one person alone, seen from above (no second level)
    cands = grey_candidates(grey, None)
    ctx = dict(zip(CONTEXT_NAMES, feature_matrix(cands)[:, -len(CONTEXT_NAMES):].T, strict=True))
    alone = [i for i, c in enumerate(cands) if c.cx > 120]
    group = max(range(len(cands)), key=lambda i: cands[i].bbox[2] if cands[i].cx < 120 else 0)
    assert all(ctx["holds"][i] == 0 and ctx["near"][i] == 0 for i in alone)
    assert ctx["holds"][group] >= 2  # the warm patch holds both people's blobs
    held = [i for i, c in enumerate(cands) if c.cx < 120 and i != group]
    assert held and all(ctx["held"][i] >= 1 for i in held)
    assert np.allclose(ctx["crowd"], np.log1p(len(cands)))


def _context_all_pairs(boxes: np.ndarray, centres: np.ndarray, e: np.ndarray) -> np.ndarray:
    """context_features over every pair of candidates (n x n), as it was computed before pairs were
    limited to those within reach: what the limited form must equal."""
    box = np.asarray(boxes, np.float32)
    x0, y0 = box[:, 0:1], box[:, 1:2]
    cx, cy = np.asarray(centres[:, 0], np.float32), np.asarray(centres[:, 1], np.float32)
    holds = (x0 <= cx) & (cx <= x0 + box[:, 2:3]) & (y0 <= cy) & (cy <= y0 + box[:, 3:4])
    np.fill_diagonal(holds, False)
    dx, dy = cx[:, None] - cx, cy[:, None] - cy
    r = (np.float32(NEAR_PERSON_WIDTHS) * np.maximum(e, 1.0).astype(np.float32))[:, None]
    near = (dx * dx + dy * dy < r * r) & ~(holds | holds.T)
    np.fill_diagonal(near, False)
    return np.column_stack([np.count_nonzero(holds, axis=1), np.count_nonzero(holds, axis=0),
                            np.count_nonzero(near, axis=1), np.full(len(box), np.log1p(len(box)))])


def test_context_within_reach_equals_context_over_all_pairs() -> None:
    rng = np.random.default_rng(8)
    for n in (0, 1, 2, 40, 700):
        xy = rng.integers(0, 600, (n, 2))
        wh = rng.integers(1, 60, (n, 2))
        boxes = np.column_stack([xy, wh]).astype(np.int64)
        centres = xy + rng.random((n, 2)) * wh
        centres[::5] = np.floor(centres[::5])  # centres on pixel corners: some exactly on box edges
        centres[1::7] = boxes[1::7, :2] + boxes[1::7, 2:]  # ... and on far edges
        e = rng.choice([0.0, 0.5, 4.0, 8.0, 25.0], n)
        assert np.array_equal(context_features(boxes, centres, e), _context_all_pairs(boxes, centres, e))


def test_person_px_map_is_person_px_at_each_lattice_point() -> None:
    meta = parse_meta({"camera_id": "d1", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00",
                       "lat": 45.75, "lon": 126.64, "alt_m": 30.0, "yaw_deg": 20.0, "pitch_deg": -10.0,
                       "hfov_deg": 40.0, "width": 640, "height": 512})  # the top rows look at the sky
    cam = make_camera(meta)
    e, sd = person_px_map(cam, 640, 512)
    us, vs = np.linspace(0, 639, GRID), np.linspace(0, 511, GRID)
    expected = [[person_px(cam, float(u), float(v)) for u in us] for v in vs]
    assert np.array_equal(np.stack([e, sd], axis=-1), np.array(expected))
    assert e[0, 0] == 0.0 < e[-1, -1]  # above the horizon: no person size

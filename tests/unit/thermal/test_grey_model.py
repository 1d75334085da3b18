"""The 8-bit person classifier's runtime: tree walking, the cascade's early exit, candidates' features."""

from __future__ import annotations

import numpy as np

from thermal.grey import (
    CONTEXT_NAMES,
    FEATURE_NAMES,
    PATCH,
    SHAPE_NAMES,
    TreeModel,
    feature_matrix,
    grey_candidates,
    grid_at,
    load_model,
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

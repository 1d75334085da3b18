"""The 8-bit candidate stage's shortcuts give what the plain OpenCV calls give, so speeding it up
changes no detection (see README, "Thermal in the field")."""

from __future__ import annotations

import cv2
import numpy as np

from thermal.grey import (
    MAX_GREY_CANDIDATES,
    SHAPE_NAMES,
    SPLIT_RESERVE,
    _label,
    candidate_table,
    grey_candidates,
    local_background,
)


def test_labels_and_statistics_match_opencv_with_stats() -> None:
    rng = np.random.default_rng(4)
    mask = np.where(rng.random((97, 131)) < 0.35, 255, 0).astype(np.uint8)
    mask[:, 0] = 255  # a blob touching the border
    n, labels, pts, lab, stats, centroids = _label(mask)
    n_cv, labels_cv, stats_cv, centroids_cv = cv2.connectedComponentsWithStats(mask, connectivity=8)
    assert n == n_cv and np.array_equal(labels, labels_cv)
    assert np.array_equal(stats[1:], stats_cv[1:]) and np.array_equal(centroids[1:], centroids_cv[1:])
    assert stats[0, cv2.CC_STAT_AREA] == 0  # the background is no blob
    assert np.array_equal(labels[pts[:, 1], pts[:, 0]], lab) and len(lab) == np.count_nonzero(mask)


def test_an_empty_mask_has_no_blobs() -> None:
    n, _, pts, lab, _, _ = _label(np.zeros((16, 16), np.uint8))
    assert n == 1 and len(pts) == len(lab) == 0


def test_background_of_8bit_levels_in_float_is_the_float_opening() -> None:
    rng = np.random.default_rng(5)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (33, 33))  # BG_PERSON_WIDTHS x 8 px, odd
    levels = rng.integers(0, 256, (64, 80)).astype(np.float32)
    for grey in (levels, levels + 0.5):  # 8-bit levels (opened as 8-bit), and not
        expected = cv2.blur(cv2.morphologyEx(grey, cv2.MORPH_OPEN, kernel), (3, 3))
        assert np.array_equal(local_background(grey, 8.0), expected)


def test_the_cap_keeps_the_most_contrasted_blobs_and_the_table_matches_the_records() -> None:
    grey = np.full((200, 260), 40, np.uint8)
    rng = np.random.default_rng(6)
    base_cap = MAX_GREY_CANDIDATES - SPLIT_RESERVE  # the base level leaves room for the higher ones
    spots = [divmod(k, 43) for k in range(base_cap + 150)]  # more small warm blobs than the base level's cap
    for y, x in spots:
        grey[4 + 6 * y : 6 + 6 * y, 4 + 6 * x : 6 + 6 * x] = 120 + int(rng.integers(0, 120))
    table = candidate_table(grey, None)
    cands = grey_candidates(grey, None)
    assert len(table) == len(cands) == base_cap  # nothing to split: the reserve stays unused
    assert [c.bbox for c in cands] == [tuple(b) for b in table.boxes.tolist()]
    assert np.array_equal(np.stack([c.row for c in cands]), table.rows)
    peak = table.rows[:, SHAPE_NAMES.index("peak")] * table.rows[:, SHAPE_NAMES.index("spread")] * 255.0
    assert np.all(np.diff(peak) <= 0)  # most contrasted first
    top = cv2.subtract(grey.astype(np.float32), local_background(grey.astype(np.float32), 8.0))
    kept = {(int(b[0]) + 1, int(b[1]) + 1) for b in table.boxes}  # boxes are padded by a pixel
    left_out = [float(top[4 + 6 * y, 4 + 6 * x]) for y, x in spots if (4 + 6 * x, 4 + 6 * y) not in kept]
    assert len(left_out) == 150 and max(left_out) <= peak.min() + 1e-3  # none stronger left out


def test_a_frame_full_at_the_base_level_still_splits_its_big_blobs() -> None:
    grey = np.full((200, 260), 40, np.uint8)
    spots = [divmod(k, 43) for k in range(MAX_GREY_CANDIDATES + 150)]  # clutter beyond the cap
    for y, x in spots[:-60]:
        grey[4 + 6 * y : 6 + 6 * y, 4 + 6 * x : 6 + 6 * x] = 200
    grey[170:180, 100:140] = 120  # warm ground, wider than a person ...
    grey[173:176, 110:113] = 250  # ... with a person on it, found only above the ground
    grey[173:176, 125:128] = 250
    table = candidate_table(grey, None)
    cx, cy = table.centres[:, 0], table.centres[:, 1]
    assert MAX_GREY_CANDIDATES - SPLIT_RESERVE < len(table) <= MAX_GREY_CANDIDATES
    for u in (111.0, 126.0):
        assert np.any((np.abs(cx - u) < 1.0) & (np.abs(cy - 174.0) < 1.0))

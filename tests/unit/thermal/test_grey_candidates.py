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
    n_cv, labels_cv, stats_cv, centroids_cv = cv2.connectedComponentsWithStats(mask, connectivity=8)
    for min_area in (1, 3):  # every blob, and only those of at least 3 pixels (the rest are dropped)
        n, labels, pts, lab, stats, centroids = _label(mask, min_area)
        big = np.flatnonzero(stats_cv[:, cv2.CC_STAT_AREA] >= min_area)[1:]  # label 0 is the background
        assert n == n_cv and np.array_equal(labels, labels_cv)
        assert np.array_equal(stats, stats_cv[big]) and np.array_equal(centroids, centroids_cv[big])
        assert np.array_equal(big[lab], labels[pts[:, 1], pts[:, 0]])  # each pixel's blob, in label order
        assert len(lab) == np.count_nonzero(np.isin(labels_cv, big))
    assert len(big) < n_cv - 1  # some blobs were smaller than 3 pixels


def test_an_empty_mask_has_no_blobs() -> None:
    n, _, pts, lab, stats, _ = _label(np.zeros((16, 16), np.uint8))
    assert n == 1 and len(pts) == len(lab) == len(stats) == 0


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

"""Training data discipline: HIT-UAV splits prepared as labelled folders; the test split never trains."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from thermal.grey import FEATURE_NAMES, PATCH, SHAPE_NAMES
from tools.real_frames import iter_real
from tools.train_thermal import mirrored, prepare_hituav, train


def _hituav(root: Path, split: str) -> Path:
    """A two-frame data set in HIT-UAV's normal_json layout (night at 60 m/80 deg, day at 130 m/30 deg)."""
    (root / "normal_json" / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "normal_json" / split).mkdir(parents=True, exist_ok=True)
    names = ["1_60_80_0_00001.jpg", "0_130_30_0_00002.jpg"]
    for name in names:
        scene = np.random.default_rng(0).integers(30, 90, (512, 640)).astype(np.uint8)
        cv2.imwrite(str(root / "normal_json" / split / name), scene)
    doc = {"images": [{"id": i, "filename": n, "width": 640, "height": 512, "date_captured": "20211020"}
                      for i, n in enumerate(names)],
           "annotation": [{"image_id": 0, "category_id": 0, "bbox": [10, 20, 9, 17]},
                          {"image_id": 0, "category_id": 4, "bbox": [100, 100, 30, 30]},
                          {"image_id": 1, "category_id": 1, "bbox": [50, 50, 40, 20]}]}
    (root / "normal_json" / "annotations" / f"{split}.json").write_text(json.dumps(doc))
    return root


def test_a_split_becomes_labelled_frames_with_pose_from_the_name(tmp_path: Path) -> None:
    out = tmp_path / "val"
    assert prepare_hituav(_hituav(tmp_path / "hit", "val"), "val", out) == 2
    frames = {f.name: f for f in iter_real(out)}
    night = frames["1_60_80_0_00001.jpg"]
    assert night.people == ((10, 20, 9, 17),) and night.ignore == ((100, 100, 30, 30),) and night.tags == ("night",)
    assert night.meta is not None and night.meta.alt_m == 60.0 and night.meta.pitch_deg == -80.0
    assert frames["0_130_30_0_00002.jpg"].people == () and frames["0_130_30_0_00002.jpg"].tags == ("day",)


def test_the_test_split_is_for_evaluation_only(tmp_path: Path) -> None:
    src = _hituav(tmp_path / "hit", "test")
    with pytest.raises(SystemExit, match="evaluation only"):
        prepare_hituav(src, "test", tmp_path / "t")
    assert prepare_hituav(src, "test", tmp_path / "t", evaluation=True) == 2
    with pytest.raises(SystemExit, match="test split"):
        train(tmp_path / "t", tmp_path / "t", tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


def test_mirrored_people_flip_the_patch_only() -> None:
    n, end = len(SHAPE_NAMES), len(SHAPE_NAMES) + PATCH * PATCH
    x = np.zeros((2, len(FEATURE_NAMES)))
    x[:, :n] = 7.0
    x[:, end:] = 3.0  # context columns
    x[0, n:end] = np.tile(np.arange(PATCH, dtype=np.float64), PATCH)  # columns 0..8 in each row
    xs, ys = mirrored(x, np.array([1, 0]))
    assert len(xs) == 3 and ys.tolist() == [1, 0, 1]
    assert (xs[2, :n] == 7.0).all() and (xs[2, end:] == 3.0).all()
    assert xs[2, n:n + PATCH].tolist() == list(range(PATCH - 1, -1, -1))


def test_another_camera_keeps_warm_bright_and_draws_the_same_with_the_same_seed() -> None:
    from tools.train_thermal import Camera8, draw_camera, flight, other_camera

    grey = np.random.default_rng(1).integers(50, 70, (128, 160)).astype(np.uint8)
    grey[50:62, 70:76] = 200  # a warm person-sized blob
    for cam in (Camera8(black_hot=True), Camera8(gamma=1.5, contrast=0.6, noise=3.0, jpeg=50, scale=0.6)):
        img = other_camera(grey, cam, np.random.default_rng(0))
        assert img.pixels.shape == grey.shape and not img.radiometric
        assert img.pixels[52:60, 71:75].mean() > img.pixels[:40].mean() + 40  # still warm bright
    assert img.polarity == "white-hot"
    assert other_camera(grey, Camera8(black_hot=True), np.random.default_rng(0)).polarity == "black-hot"
    assert draw_camera(np.random.default_rng(5)) == draw_camera(np.random.default_rng(5))
    assert flight("1_60_30_0_03280.jpg#aug") == flight("1_60_30_0_03999.jpg") == "1_60_30"
    assert flight("synthetic-4") == "synthetic-4"


def test_folds_keep_each_flight_whole() -> None:
    from tools.train_thermal import folds_of

    groups = np.array(["1_60_30"] * 5 + ["0_100_40"] * 3 + ["1_130_90"] * 4 + ["1_70_60"])
    fold = folds_of(groups, 3)
    assert set(fold) == set(groups.tolist()) and set(fold.values()) == {0, 1, 2}
    assert folds_of(groups, 3) == fold  # seeded


def test_the_flight_report_tells_candidate_losses_from_classifier_losses() -> None:
    from thermal.frames import ThermalImage
    from thermal.grey import GreyCandidate
    from tools.real_frames import RealFrame
    from tools.train_thermal import Scored, flight_report, people_proposed

    people = ((10, 10, 8, 16), (100, 100, 8, 16), (300, 300, 8, 16))
    boxes = np.array([[9, 9, 10, 18], [99, 99, 10, 18], [200, 200, 6, 6], [400, 10, 5, 5]])
    assert people_proposed(boxes, people) == 2  # the third person has no candidate at all
    assert people_proposed(boxes[:0], people) == 0 and people_proposed(boxes, ()) == 0

    def scored(name: str, p: list[float], people: tuple[tuple[int, int, int, int], ...] = people) -> Scored:
        cands = [GreyCandidate(tuple(int(v) for v in b), b[0] + b[2] / 2, b[1] + b[3] / 2, np.zeros(1))
                 for b in boxes.tolist()]
        frame = RealFrame(name, ThermalImage(np.zeros((1, 1), np.float32), False), None, people, (), ("night",))
        return Scored(frame, cands, np.array(p), people_proposed(boxes, people))

    report = flight_report([scored("1_60_30_0_00001.jpg", [0.9, 0.1, 0.8, 0.0]),
                            scored("1_130_90_0_00002.jpg", [0.9, 0.9, 0.1, 0.0]),
                            scored("1_60_40_0_00003.jpg", [0.0, 0.0, 0.0, 0.9], ())], 0.5)
    assert report[0].split()[0] == "1_60_30"  # worst recall first: 1 of 3, and one false person
    assert "candidates 0.667" in report[0] and "P 0.500 R 0.333" in report[0]
    assert report[1].split()[0] == "1_130_90" and "P 1.000 R 0.667" in report[1]
    assert report[2].split()[0] == "1_60_40" and "candidates   -  " in report[2]  # no people: last
    assert report[3].split()[0] == "all" and "(tp 3 fp 2 fn 3)" in report[3]

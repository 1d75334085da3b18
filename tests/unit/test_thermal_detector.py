"""Detector: recall on generated scenes, decoy rejection, ids, pixel-only mode, baseline."""

from __future__ import annotations

import numpy as np

from geo.distance import haversine_m
from simulators.thermal.generator import generate_frame
from thermal.bench import match
from thermal.detector import baseline_detect, detect
from thermal.frames import centikelvin_to_c, parse_meta


def scene(seed: int, **kw: object):
    ck, meta, truth = generate_frame(seed, **kw)  # type: ignore[arg-type]
    return centikelvin_to_c(ck), parse_meta(meta), truth


def test_recall_on_people_scenes() -> None:
    found = total = 0
    for seed in range(12):
        frame, meta, truth = scene(seed, kind="drone", n_people=3, decoys=[], alt_m=40.0)
        full = [t for t in truth if not t.get("partial")]
        dets = detect(frame, meta)
        total += len(full)
        found += len(match([list(d.bbox) for d in dets], [t["bbox"] for t in full]))
    assert total >= 25
    assert found / total >= 0.75


def test_geolocation_at_40m_is_within_3m() -> None:
    errs = []
    for seed in range(8):
        frame, meta, truth = scene(100 + seed, kind="drone", n_people=3, decoys=[], alt_m=40.0)
        dets = detect(frame, meta)
        for i, j in match([list(d.bbox) for d in dets], [t["bbox"] for t in truth]):
            d = dets[i]
            assert d.lat is not None and d.lon is not None and d.error_m is not None
            errs.append(haversine_m(d.lat, d.lon, truth[j]["lat"], truth[j]["lon"]))
    assert errs and float(np.percentile(errs, 95)) <= 3.0


def test_decoy_only_scenes_yield_no_person() -> None:
    false = 0
    for seed in range(10):
        for kind, pitch in (("drone", -90.0), ("drone", -50.0)):
            frame, meta, truth = scene(200 + seed, kind=kind, pitch_deg=pitch, n_people=0,
                                       decoys=["engine", "lamp", "vent", "manhole"])
            assert truth == []
            false += len(detect(frame, meta))
    assert false == 0


def test_window_and_dog_scenes_mostly_rejected() -> None:
    false = checked = 0
    for seed in range(10):
        frame, meta, _ = scene(300 + seed, kind="drone", pitch_deg=-50.0, n_people=0, decoys=["window", "dog"])
        false += len(detect(frame, meta))
        checked += 1
    assert false <= 2, f"{false} false people in {checked} window/dog scenes"


def test_decoys_beat_the_baseline() -> None:
    det_fp = base_fp = 0
    for seed in range(6):
        frame, meta, _ = scene(400 + seed, n_people=0, decoys=["engine", "lamp", "vent", "manhole", "window"])
        det_fp += len(detect(frame, meta))
        base_fp += len(baseline_detect(frame, meta))
    assert base_fp >= 10 and det_fp <= base_fp // 5


def test_detection_fields_and_determinism() -> None:
    frame, meta, _ = scene(5, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    a, b = detect(frame, meta, "f5"), detect(frame, meta, "f5")
    assert a and a == b
    for d in a:
        assert d.camera_id == meta.camera_id and d.captured_at == meta.captured_at
        assert d.posture in ("standing", "sitting", "lying", "unknown")
        assert 0.0 <= d.score <= 1.0 and d.t_max_c >= d.t_mean_c
        assert d.frame == "f5" and len(d.detection_id) == 16
    assert len({d.detection_id for d in a}) == len(a)


def test_pixel_only_mode_has_no_position() -> None:
    frame, _, truth = scene(7, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    dets = detect(frame, None, "x")
    assert dets and all(d.lat is None and d.lon is None and d.error_m is None for d in dets)
    assert match([list(d.bbox) for d in dets], [t["bbox"] for t in truth])


def test_uniform_frame_is_empty() -> None:
    assert detect(np.full((512, 640), -12.0, np.float32), None) == []

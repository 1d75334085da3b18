"""Frame generator: existing seeds unchanged, stress options do what they say."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace

import numpy as np

from simulators.thermal.generator import Style, generate_frame
from thermal.detector import noise_sigma
from thermal.frames import centikelvin_to_c

# sha256 of frames, metadata and truth for a few seeds, as generated before the stress options
# existed: tests, the drill and the bench depend on these frames staying the same.
FINGERPRINT = "7d3410cad24bc856eb311d6e01ac8a225489c066811c96d2b404e262fee3a2e4"


def test_default_style_reproduces_existing_frames() -> None:
    h = hashlib.sha256()
    for seed, kw in ((0, {}), (1, {}), (2, {"kind": "fixed"}),
                     (3, {"kind": "drone", "n_people": 3, "decoys": ["dog", "vent"], "width": 320, "height": 256})):
        ck, meta, truth = generate_frame(seed, style=Style(), **kw)  # type: ignore[arg-type]
        h.update(ck.tobytes())
        h.update(json.dumps(meta, sort_keys=True).encode())
        h.update(json.dumps(truth, sort_keys=True).encode())
    assert h.hexdigest() == FINGERPRINT


def test_ambient_and_field_of_view_overrides() -> None:
    ck, meta, _ = generate_frame(4, kind="drone", ambient_c=-35.0, hfov_deg=57.0, n_people=0, decoys=[])
    assert meta["ambient_c"] == -35.0 and meta["hfov_deg"] == 57.0
    assert abs(float(np.median(centikelvin_to_c(ck))) + 35.0) < 5.0


def test_sky_is_cold_above_the_horizon() -> None:
    ck, meta, _ = generate_frame(5, kind="drone", pitch_deg=-10.0, n_people=0, decoys=[], style=replace(Style(), sky=True))
    frame = centikelvin_to_c(ck)
    assert float(frame[:5].mean()) < meta["ambient_c"] - 15.0 < float(frame[-5:].mean())


def test_noise_option_raises_measured_noise() -> None:
    quiet, _, _ = generate_frame(6, n_people=0, decoys=[])
    loud, _, _ = generate_frame(6, n_people=0, decoys=[], style=replace(Style(), netd_k=(0.3, 0.3)))
    assert noise_sigma(centikelvin_to_c(loud)) > 2 * noise_sigma(centikelvin_to_c(quiet))


def test_groups_stand_close_together() -> None:
    style = replace(Style(), people_spacing_m=0.9, cluster_m=2.0)
    _, _, truth = generate_frame(7, kind="drone", alt_m=30.0, pitch_deg=-90.0, n_people=4, decoys=[], style=style)
    assert len(truth) >= 2
    lat0 = math.radians(truth[0]["lat"])
    for a in truth:
        for b in truth:
            dy = (a["lat"] - b["lat"]) * 111_320.0
            dx = (a["lon"] - b["lon"]) * 111_320.0 * math.cos(lat0)
            assert math.hypot(dx, dy) <= 4.1  # all within 2 m of the first one placed


def test_occluders_hide_part_of_people() -> None:
    """Truth boxes cover visible pixels: a cold object in front makes them smaller."""
    kw = {"kind": "drone", "alt_m": 25.0, "pitch_deg": -45.0, "n_people": 1, "decoys": []}
    shrunk = 0
    for seed in range(8):
        _, _, open_truth = generate_frame(seed, **kw)  # type: ignore[arg-type]
        _, _, hid_truth = generate_frame(seed, style=replace(Style(), occlusion_p=1.0), **kw)  # type: ignore[arg-type]
        if open_truth and hid_truth:
            a, b = open_truth[0]["bbox"], hid_truth[0]["bbox"]
            shrunk += b[2] * b[3] < a[2] * a[3]
    assert shrunk >= 4


def test_postures_can_be_chosen_and_sleepers_covered_without_a_face() -> None:
    sitting = replace(Style(), postures=("sitting",))
    _, _, truth = generate_frame(21, kind="drone", alt_m=30.0, n_people=4, decoys=[], style=sitting)
    assert truth and {t["posture"] for t in truth} == {"sitting"}
    covered = replace(Style(), postures=("lying",), covered_p=1.0, skin_p=0.0)
    ck, meta, truth = generate_frame(22, kind="drone", alt_m=30.0, n_people=4, decoys=[], style=covered)
    frame = centikelvin_to_c(ck)
    assert truth and {t["posture"] for t in truth} == {"lying"}
    for t in truth:
        x, y, w, h = t["bbox"]
        body = frame[y:y + h, x:x + w]
        # through the insulation: a few K above ambient, never a face's 28-35 °C
        assert float(body.max()) < meta["ambient_c"] + 10.0 < 20.0
    bare = replace(Style(), postures=("lying",), skin_p=0.0)
    _, _, bare_truth = generate_frame(22, kind="drone", alt_m=30.0, n_people=4, decoys=[], style=bare)
    # a bag or blanket is bigger than the body inside it
    assert sum(t["bbox"][2] * t["bbox"][3] for t in truth) > sum(t["bbox"][2] * t["bbox"][3] for t in bare_truth)

"""Detector: recall on generated scenes, decoy rejection, ids, pixel-only mode, baseline."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

import thermal.detector as det
from geo.distance import haversine_m
from simulators.thermal.generator import Style, generate_frame
from simulators.thermal.handmade import H, W, _camera, _Canvas, _ellipse, _mask, _standing
from thermal.cameras import FrameMeta
from thermal.detector import _band_near, baseline_detect, detect
from thermal.frames import centikelvin_to_c, parse_meta
from tools.bench_thermal import match


def scene(seed: int, **kw: object):
    ck, meta, truth = generate_frame(seed, **kw)  # type: ignore[arg-type]
    return centikelvin_to_c(ck), parse_meta(meta), truth


def recall_and_false(seeds: range, **kw: object) -> tuple[float, int]:
    """Recall over whole (not border-cut) people and the number of false detections."""
    found = total = false = 0
    for seed in seeds:
        frame, meta, truth = scene(seed, **kw)
        dets = detect(frame, meta)
        pairs = match([list(d.bbox) for d in dets], [t["bbox"] for t in truth])
        total += sum(1 for t in truth if not t.get("partial"))
        found += sum(1 for _, j in pairs if not truth[j].get("partial"))
        false += len(dets) - len(pairs)
    return (found / total if total else 1.0), false


def nadir(alt_m: float, width: int = 640, height: int = 512, hfov: float = 45.0, ambient: float = -20.0) -> FrameMeta:
    return parse_meta({"camera_id": "t", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00",
                       "lat": 45.75, "lon": 126.64, "alt_m": alt_m, "yaw_deg": 0.0, "pitch_deg": -90.0,
                       "hfov_deg": hfov, "width": width, "height": height, "ambient_c": ambient})


def discs(ambient: float, objs: list[tuple[float, ...]], width: int = 640, height: int = 512,
          seed: int = 0) -> np.ndarray:
    """Snow at ambient - 1 with filled ellipses (u, v, semi-axis u px, [semi-axis v px,] °C), optics
    blur and sensor noise."""
    img = np.full((height, width), ambient - 1.0, np.float32)
    ss = 8
    for obj in objs:
        u, v, a, temp = obj[0], obj[1], obj[2], obj[-1]
        b = obj[3] if len(obj) == 5 else a
        m = np.zeros((height * ss, width * ss), np.float32)
        cv2.ellipse(m, (int(u * ss), int(v * ss)), (max(1, int(a * ss)), max(1, int(b * ss))), 0, 0, 360, 1.0, -1)
        cover = cv2.resize(m, (width, height), interpolation=cv2.INTER_AREA)
        img = img * (1 - cover) + temp * cover
    img = cv2.GaussianBlur(img, (0, 0), 0.9)
    return (img + np.random.default_rng(seed).normal(0, 0.06, img.shape)).astype(np.float32)


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


def test_small_lepton_class_frames() -> None:
    """160x120 frames: a person is a few pixels, so the search runs at full resolution and a
    blob's size is only known to about a pixel (was 25 of 34)."""
    rec, false = recall_and_false(range(500, 512), kind="drone", width=160, height=120, hfov_deg=57.0, alt_m=20.0,
                                  n_people=3, decoys=[])
    assert rec >= 0.85 and false <= 1


def test_far_people_in_oblique_views() -> None:
    """Far people at pitch -30 are a few pixels tall; their faces are blurred below skin
    temperature and must be unmixed (was 25 of 35)."""
    rec, false = recall_and_false(range(800, 812), kind="drone", pitch_deg=-30.0, n_people=3, decoys=[])
    assert rec >= 0.8 and false == 0


def test_blurred_face_of_a_far_person() -> None:
    """At 60 m a face covers a few pixels: its peak stays below skin temperature, yet far warmer
    than clothing could make it. The same narrow (dog-sized) body with a hood is not a person."""
    meta = nadir(60.0)
    mpp = 2 * 60.0 * math.tan(math.radians(22.5)) / 640
    u, v = 320.3, 255.8
    found = hooded = 0
    for seed in range(4):
        body = (u, v, 0.5 / mpp, 0.17 / mpp, -12.0)
        face = discs(-20.0, [body, (u + 0.38 / mpp, v, 0.1 / mpp, 32.0)], seed=seed)
        hood = discs(-20.0, [body, (u + 0.38 / mpp, v, 0.1 / mpp, -8.0)], seed=seed)
        dets = detect(face, meta)
        assert all(d.t_max_c < 20.0 for d in dets)
        found += len(dets)
        hooded += len(detect(hood, meta))
    assert found == 4 and hooded == 0


def test_hooded_people_and_side_on_dogs_at_oblique_views() -> None:
    """A hooded person standing in an oblique view is taller than any dog's silhouette; a dog
    broadside to the camera is long and low (hooded recall was 13 of 36, then 26, and 28 since the
    outline's pixel of doubt goes to the person, for 3 side-on dogs taken in 48 instead of 1)."""
    rec, false = recall_and_false(range(600, 612), kind="drone", pitch_deg=-35.0, n_people=3, decoys=[],
                                  style=replace(Style(), skin_p=0.0))
    assert rec >= 0.75 and false == 0
    rec, false = recall_and_false(range(700, 712), kind="drone", pitch_deg=-35.0, n_people=0, decoys=["dog"] * 4,
                                  style=replace(Style(), dog_side_on=True))
    assert false <= 3, f"{false} of 48 side-on dogs taken for people"


def test_faceless_sitters_a_little_larger_than_the_largest_dog_box_are_people() -> None:
    """Hooded people sitting, seen from 45-90 deg: many fit the largest dog's box to within a tenth
    (their ratio 1.0-1.1), which real dogs, smaller than the solid box, do not reach; at a ramp to
    1.2 recall was 0.65, and 0.76 while the outline's pixel of doubt went to the dog. Dogs at the
    same views are still refused (3 of 48 taken at most; 2 with that pixel given to the dog)."""
    rec, false = recall_and_false(range(800, 816), kind="drone", n_people=3, decoys=[],
                                  style=replace(Style(), skin_p=0.0, postures=("sitting",)))
    assert rec >= 0.8 and false == 0
    _, false = recall_and_false(range(900, 912), kind="drone", n_people=0, decoys=["dog"] * 4)
    assert false <= 3, f"{false} of 48 dogs taken for people"


def test_steam_manhole_warmer_than_clothing_is_not_a_person() -> None:
    """A 0.6 m manhole at 5-15 °C in a 1 m steam halo, at -30 °C: person-sized and not uniform,
    but a patch larger than a face that is warmer than clothing can be is no person."""
    meta = nadir(40.0, ambient=-30.0)
    mpp = 2 * 40.0 * math.tan(math.radians(22.5)) / 640
    for core in (5.0, 15.0):
        img = discs(-30.0, [(320, 256, 0.5 / mpp, -26.0), (320, 256, 0.3 / mpp, core)])
        assert detect(img, meta) == []


def test_size_known_to_a_pixel() -> None:
    assert _band_near(0.9, 0.0, 0.5, 1.0, 2.0, 2.5) < 1.0
    assert _band_near(0.9, 0.2, 0.5, 1.0, 2.0, 2.5) == 1.0
    assert _band_near(2.4, 0.3, 0.5, 1.0, 2.0, 2.5) > _band_near(2.4, 0.0, 0.5, 1.0, 2.0, 2.5)
    assert _band_near(3.0, 0.3, 0.5, 1.0, 2.0, 2.5) == 0.0


def test_people_lying_together_are_counted_by_their_faces() -> None:
    """Three sleepers side by side make one warm blob wider than anyone; their faces split it."""
    meta = nadir(30.0)
    mpp = 2 * 30.0 * math.tan(math.radians(22.5)) / 640
    bodies, faces = [], []
    for k in range(3):
        v = 256.0 + (k - 1) * 0.5 / mpp  # 0.5 m apart: shoulders touch
        bodies.append((320.0, v, 0.85 / mpp, 0.27 / mpp, -12.0))
        faces.append((320.0 + 0.7 / mpp, v, 0.1 / mpp, 31.0))
    dets = detect(discs(-20.0, [*bodies, *faces]), meta)
    assert len(dets) == 3
    rows = sorted(d.bbox[1] + d.bbox[3] / 2 for d in dets)
    assert all(abs(r - b[1]) < 0.25 / mpp for r, b in zip(rows, bodies, strict=True))
    # a hooded group is not split (no faces to count) and too big for one person
    assert detect(discs(-20.0, bodies), meta) == []


def test_groups_standing_close_together() -> None:
    """Generated groups within 2 m (was 26 of 45 found)."""
    rec, false = recall_and_false(range(900, 912), kind="drone", alt_m=40.0, n_people=4, decoys=[],
                                  style=replace(Style(), people_spacing_m=0.9, cluster_m=2.0))
    assert rec >= 0.72 and false <= 4


def test_a_weakly_warm_blanket_is_found_by_its_sharp_outline_and_warm_ground_is_not() -> None:
    """Same contrast (3 K over ground at ambient + 1) and size (1.9 x 1.0 m at 30 m): a blanket over
    a sleeper ends at an edge blurred only by the optics, ground warmed from below fades over metres."""
    meta = nadir(30.0, ambient=-15.0)  # ~0.039 m/px: 49 x 26 px
    blanket = discs(-13.0, [(320, 256, 24.5, 13.0, -11.0)])
    dets = detect(blanket, meta)
    assert [d.posture for d in dets] == ["lying"], dets
    yy, xx = np.mgrid[0:512, 0:640]
    bump = np.exp(-(((xx - 320) / 21.0) ** 2 + ((yy - 256) / 11.0) ** 2) / 2.0).astype(np.float32)
    ground = discs(-13.0, []) + 3.0 * bump
    assert detect(ground, meta) == []


def test_a_sleeping_bag_over_snow_colder_than_the_air_is_warm_enough() -> None:
    """At night snow radiates below the air temperature; an insulated bag's surface is only 1.5-5 K
    above the air (clothing 4-15 K). A body-shaped, sharp-edged bag 2 K above the air (hood end
    2.7 K) stands 5 K over the snow: a person. The same shape at 0.5 K above the air (a tarpaulin,
    a bin's lid at air temperature) is not."""
    meta = nadir(30.0, ambient=-15.0)  # ~0.039 m/px: 49 x 22 px
    for body, hood in ((-13.0, -12.3), (-12.8, -12.0)):
        bag = discs(-17.0, [(320, 256, 24.5, 11.0, body), (340, 256, 8.0, 8.0, hood)])  # snow at -18
        assert [d.posture for d in detect(bag, meta)] == ["lying"], (body, hood)
    assert detect(discs(-17.0, [(320, 256, 24.5, 11.0, -14.5), (340, 256, 8.0, 8.0, -14.0)]), meta) == []


def test_a_sleeping_bag_at_the_low_end_of_a_bags_warmth_is_warm_enough() -> None:
    """A bag's surface is 1.5-5 K above the air: one at 1.5 K (hood end 2 K) over snow 3 K colder than
    the air is warm enough in full (it was refused while a bag counted fully only from 3 K). Within
    1 K of the air (0.8 K, hood 1 K: a tarpaulin, a lid) it is not."""
    meta = nadir(30.0, ambient=-15.0)
    bag = discs(-17.0, [(320, 256, 24.5, 11.0, -13.5), (340, 256, 8.0, 8.0, -13.0)])  # snow at -18
    assert [d.posture for d in detect(bag, meta)] == ["lying"]
    assert detect(discs(-17.0, [(320, 256, 24.5, 11.0, -14.2), (340, 256, 8.0, 8.0, -14.0)]), meta) == []


def test_a_sleeping_bag_of_which_only_the_hood_end_stands_out_is_found_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ground 1 K above the air and a bag only 1.4 K over it (below the warmth threshold): only the
    warmer hood end (3 K over the ground) is a candidate, too small for a lying person. The body it
    ends is searched for at half the threshold, like a face's, and the whole bag is the person."""
    meta = nadir(30.0, ambient=-15.0)  # ~0.039 m/px: the bag 49 x 22 px, the hood 16 px
    for body, hood in ((-12.6, -11.0), (-12.3, -10.5)):
        bag = discs(-13.0, [(320, 256, 24.5, 11.0, body), (340, 256, 8.0, 8.0, hood)])  # ground at -14
        dets = detect(bag, meta)
        assert [d.posture for d in dets] == ["lying"], (body, hood, dets)
        assert dets[0].bbox[2] >= 45, dets  # the bag's box, not the hood's
    # the hood end alone is not enough without the rule
    monkeypatch.setattr(det, "_body_of_hood", lambda *a: None)
    bag = discs(-13.0, [(320, 256, 24.5, 11.0, -12.6), (340, 256, 8.0, 8.0, -11.0)])
    assert [d.bbox[2] >= 45 for d in detect(bag, meta)] in ([], [False])


def test_a_hood_end_does_not_grow_into_a_vent_or_its_steam() -> None:
    """A spot warmer than clothing can be (a vent at 25 °C on a -15 °C night) is no hood: its steam
    halo, however body-shaped, is not searched as its body."""
    meta = nadir(30.0, ambient=-15.0)
    yy, xx = np.mgrid[0:512, 0:640]
    steam = np.exp(-(((xx - 320) / 20.0) ** 2 + ((yy - 256) / 9.0) ** 2) / 2.0).astype(np.float32)
    vent = discs(-15.0, [(330, 256, 6.0, 6.0, 25.0)]) + 2.0 * steam
    assert [d for d in detect(vent, meta) if d.bbox[2] > 20] == []


def _street_person(clothing_k: float, face_c: float | None, seed: int = 3) -> tuple[np.ndarray, FrameMeta, tuple[int, int, int, int]]:
    """A standing person close to a street camera on a -20 °C night, painted by the hand-painted
    set's renderer (not the generator): clothing `clothing_k` above the ground, face at `face_c`."""
    rng = np.random.default_rng(seed)
    meta, cam = _camera(rng, 0, alt=4.0, pitch=-14.0, hfov=40.0, ambient=-20.0, fixed=True)
    canvas = _Canvas(rng, meta, cam, -20.0)
    _standing(canvas, W / 2, 0.85 * H, -20.0 + clothing_k, face_c)
    frame = cv2.GaussianBlur(canvas.img, (0, 0), 0.8) + rng.normal(0, 0.05, (H, W)).astype(np.float32)
    return frame.astype(np.float32), parse_meta(meta), canvas.people[0]


def test_a_face_over_clothing_as_cold_as_the_ground_is_found_with_its_body_once() -> None:
    """Thick clothing can be barely warmer than frozen ground (below the warmth threshold) while
    the face is at skin temperature: the body is searched for around the face at half the
    threshold, and the person is reported once, with the body's box."""
    frame, meta, truth = _street_person(1.8, 31.0)
    dets = detect(frame, meta)
    assert len(match([list(d.bbox) for d in dets], [list(truth)])) == 1
    assert len(dets) == 1 and dets[0].bbox[3] > 0.5 * truth[3]
    # without a face nothing stands out, and the ground's warmth alone is no person
    assert detect(*_street_person(1.8, None)[:2]) == []


def test_overlapping_candidates_of_one_person_give_one_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A face's body and a fragment of the same body can both be candidates: the best-scored is kept."""
    frame, meta, truth = _street_person(6.0, 31.0)
    found = det.candidates
    monkeypatch.setattr(det, "candidates", lambda *a: [*found(*a), *found(*a)])  # each one twice
    dets = detect(frame, meta)
    assert len(dets) == 1 and len(match([list(d.bbox) for d in dets], [list(truth)])) == 1


def _dusk(seed: int, paint: str, face_c: float) -> tuple[np.ndarray, FrameMeta, list[tuple[int, int, int, int]]]:
    """A +8 °C dusk seen by a drone at 43 m, pitch -40 (hand-painted set's renderer): a standing
    person in clothing at +12 °C with a face at `face_c`, a 0.7 m vent at `face_c`, or a dog
    heading away from the camera (0.32 m wide, its head on top at `face_c`)."""
    rng = np.random.default_rng(seed)
    meta, cam = _camera(rng, 0, alt=43.0, pitch=-40.0, hfov=40.0, ambient=8.0, fixed=False)
    c = _Canvas(rng, meta, cam, 8.0)
    u, v = W / 2, 0.6 * H
    k, s = c.px(u, v)
    if paint == "person":
        _standing(c, u, v, 12.0, face_c)
    elif paint == "vent":
        m = _mask()
        cv2.rectangle(m, (round(u - 0.35 * k), round(v - 0.35 * k * s)), (round(u + 0.35 * k), round(v + 0.35 * k * s)), 255, -1)
        c.paint(m, face_c)
    else:
        c.paint(_ellipse(_mask(), u, v - 0.6 * k, 0.16 * k, 0.6 * k, 0), 13.0)
        c.paint(_ellipse(_mask(), u, v - 1.08 * k, 0.08 * k, 0.08 * k, 0), face_c)
    frame = cv2.GaussianBlur(c.img, (0, 0), 0.8) + rng.normal(0, 0.05, (H, W)).astype(np.float32)
    return frame.astype(np.float32), parse_meta(meta), c.people


def test_a_dusk_face_below_skin_temperature_is_told_by_its_place_and_contrast() -> None:
    """At +8 °C a face at 43 m reads ~17 °C, below the skin threshold, and clothing could be as
    warm: the face is the small spot warmer than its own clothing at the top of an upright body
    (was 4 of 8: the narrower bodies fitted a dog's silhouette). A vent at the same temperature
    is still a plate, and a dog heading away (upright, its warm head on top) is narrower than
    anyone's shoulders."""
    for face_c in (17.0, 19.0):
        for seed in range(8):
            frame, meta, truth = _dusk(seed, "person", face_c)
            dets = detect(frame, meta)
            assert len(dets) == 1 and len(match([list(d.bbox) for d in dets], [list(t) for t in truth])) == 1
            assert dets[0].t_max_c is not None and dets[0].t_max_c < 20.0
            assert detect(*_dusk(seed, "vent", face_c)[:2]) == []
            assert detect(*_dusk(seed, "dog", face_c)[:2]) == []


def _lying_blob(major_m: float, minor_m: float, m_per_px: float, ambient: float, over_air: float,
                over_ground: float, edge: float) -> det.Blob:
    """A uniform, sharp-edged blob (no hot spot) whose long axis lies across the image."""
    major, minor = major_m / m_per_px + det.MEAS_EXCESS_PX, minor_m / m_per_px + det.MEAS_EXCESS_PX
    t = ambient + over_air
    bg = t - over_ground
    return det.Blob(bg=bg, t_max=t, t_mean=t - 0.3, contrast=t - bg, level=t - 0.5, cx=320.0, cy=256.0,
                    major=major, minor=minor, mu20=((major - 1) / 4) ** 2, mu02=((minor - 1) / 4) ** 2, mu11=0.0,
                    vertical=False, hot_ratio=0.05, hot_px=40, spot_px=60, spot_cx=320.0, spot_cy=256.0, over_px=0,
                    over_min_px=0.0, area=int(major * minor * 0.8), bx=312, by=252, bw=int(major), bh=int(minor),
                    edge=edge)


def test_a_sleeping_bag_seen_obliquely_is_warm_enough_when_its_size_fits_lying_too() -> None:
    """Seen obliquely (depression ~40 deg) a bag foreshortened along the range fits sitting as well as
    lying, and sitting wins the tie; its warmth (3 K above the air, 6 K over snow colder than the air,
    a sharp outline) is judged as a bag's as far as its size is a lying body's, not as clothing's."""
    ambient = -15.0
    blob = _lying_blob(1.4, 0.6, 0.1, ambient, over_air=3.0, over_ground=6.0, edge=0.6)
    m, posture = det._memberships(blob, 0.1, 0.65, 512, ambient)
    sizes = det._posture_sizes(1.4, 0.6, 0.65, False, det.SIZE_TOL_PX * 0.1)
    assert posture != "lying" and sizes["lying"] >= 0.99, (posture, sizes)
    assert m["warm"] >= 0.99, m  # as clothing's (2-4 K above the air) it would be 0.5
    # no warmer than the air by a bag's margin: not warm enough, whatever the shape
    cold = _lying_blob(1.4, 0.6, 0.1, ambient, over_air=1.0, over_ground=6.0, edge=0.6)
    assert det._memberships(cold, 0.1, 0.65, 512, ambient)[0]["warm"] == 0.0


def _shaped_blob(mask: np.ndarray) -> det.Blob:
    """A faceless blob measured on `mask` (its pixels from the frame's origin), up = image up."""
    cx, cy, mu20, mu02, mu11, major, minor, vertical = det._moments(mask)
    return det.Blob(bg=-20.0, t_max=-12.0, t_mean=-13.0, contrast=8.0, level=-13.0, cx=cx, cy=cy, major=major,
                    minor=minor, mu20=mu20, mu02=mu02, mu11=mu11, vertical=vertical, hot_ratio=0.2, hot_px=10,
                    spot_px=10, spot_cx=cx, spot_cy=cy, over_px=0, over_min_px=0.0, area=int(mask.sum()), bx=0, by=0,
                    bw=mask.shape[1], bh=mask.shape[0], shape=mask)


def test_a_rounded_blob_wider_than_any_dog_does_not_fit_one_by_its_moments_alone() -> None:
    """Seen from above at 1 cm/px (a close fixed camera), a body 1.1 x 0.42 m with a rounded
    outline: wider than the largest dog's 0.35 m. Its second moments (an ellipse's spread is 3/4 of
    a box's of the same width) nearly fit inside the dog's box silhouette; its widths, which a
    convex dog holding it would need to match in every direction, do not."""
    m_per_px = 0.01
    mask = np.zeros((140, 140), np.uint8)
    cv2.ellipse(mask, (70, 70), (55, 21), 0, 0, 360, 1, -1)
    blob = _shaped_blob(mask.astype(bool))
    by_moments = det._dog_ratio(replace(blob, shape=None), m_per_px, 1.0)
    both = det._dog_ratio(blob, m_per_px, 1.0)
    assert by_moments < det.DOG_FIT[1] < both, (by_moments, both)
    # a dog-sized one (1.0 x 0.3 m) still fits either way
    dog = np.zeros((140, 140), np.uint8)
    cv2.ellipse(dog, (70, 70), (50, 15), 0, 0, 360, 1, -1)
    assert det._dog_ratio(_shaped_blob(dog.astype(bool)), m_per_px, 1.0) <= 1.0


def test_a_faceless_top_a_pixel_wider_than_the_largest_dog_is_hardly_a_dog() -> None:
    """From straight above at 0.1 m/px (80 m up), a hooded person's top measures 8 x 6 px on the
    mask: about 0.6 x 0.4 m once the mask's blur excess is taken off, a pixel wider than the largest
    dog (0.35 m). The outline's pixel of doubt goes to the person: given to the dog, such a top
    fitted one (dog membership 0.66) and was refused with every faceless person at that scale
    (faceless recall 0.78 -> 0.90 on the generator's no-face frames, for 20 -> 28 dogs taken in
    640). A dog's top (0.9 x 0.3 m) still fits."""
    yy, xx = np.mgrid[:40, :40]
    top = (((yy - 19.5) / 3.0) ** 2 + ((xx - 19.5) / 4.0) ** 2) <= 1.0
    assert 1.0 - det._ramp(det._dog_ratio(_shaped_blob(top), 0.1, 1.0), *det.DOG_FIT) <= 0.2
    dog = np.zeros((40, 40), np.uint8)
    cv2.ellipse(dog, (20, 20), (9, 3), 30, 0, 360, 1, -1)
    assert det._dog_ratio(_shaped_blob(dog.astype(bool)), 0.05, 1.0) <= det.DOG_FIT[0]


def test_a_compact_faceless_blob_seen_from_above_is_no_dog_but_a_long_one_is() -> None:
    """From straight above a standing dog is long and narrow and a person compact (shoulders, hat, no face to
    see): independently rendered drone frames at nadir lost nearly every person to the dog rule. At 0.1 m/px a
    person's top (6 x 4 px) is no dog in nearly every placement on the pixel grid (12 headings, 9 sub-pixel
    offsets); a dog's (9 x 3 px) always is, and the same compact blob seen obliquely (a dog heading towards the
    camera looks compact) still may be."""
    def dogs(semi: tuple[float, float], mpp: float, sin_dep: float) -> np.ndarray:
        out = []
        for angle in range(0, 180, 15):
            for dx in (0, 5, 10):
                for dy in (0, 7, 13):
                    mask = np.zeros((40, 40), np.uint8)
                    cv2.ellipse(mask, (320 + dx, 320 + dy), (int(semi[0] * 16), int(semi[1] * 16)), angle, 0, 360, 1, -1, shift=4)
                    out.append(det._memberships(_shaped_blob(mask.astype(bool)), mpp, sin_dep, 512, -20.0)[0]["dog"])
        return np.array(out)

    assert (dogs((3.0, 2.0), 0.1, 1.0) < 0.5).mean() >= 0.9
    assert (dogs((4.5, 1.5), 0.1, 1.0) >= 0.9).all()
    assert (dogs((3.0, 2.0), 0.1, 0.6) >= 0.9).mean() >= 0.9


def test_a_uniform_straight_sided_window_is_a_slab_and_a_uniform_body_is_not() -> None:
    """A facade's window seen at a grazing angle (a warm parallelogram 8 x 30 px, 5 K over the wall, no warmer
    part) was as long for its width as a standing body and no warmer than clothing, so nothing refused it:
    independently rendered frames showed a false person on every lit window. A faceless body of the same
    size and uniformity (rounded, a head narrower than its shoulders) and a sleeping bag (an ellipse) are not
    slabs; nor is the window when a warmer part stands out in it."""
    window = np.zeros((40, 20), np.uint8)
    cv2.fillConvexPoly(window, np.array([[4, 6], [12, 2], [12, 32], [4, 36]], np.int32), 1)
    body = np.zeros((40, 20), np.uint8)
    cv2.ellipse(body, (8, 22), (4, 13), 0, 0, 360, 1, -1)
    cv2.circle(body, (8, 7), 3, 1, -1)
    bag = np.zeros((40, 20), np.uint8)
    cv2.ellipse(bag, (9, 19), (5, 15), 10, 0, 360, 1, -1)

    def uniform(mask: np.ndarray, hot_ratio: float = 0.05) -> float:
        blob = replace(_shaped_blob(mask.astype(bool)), hot_ratio=hot_ratio, contrast=5.0)
        return det._memberships(blob, 0.05, 0.5, 512, -15.0)[0]["uniform"]

    assert uniform(window) >= 0.99
    assert uniform(body) == 0.0 and uniform(bag) == 0.0
    assert uniform(window, hot_ratio=0.3) == 0.0
    # a thin diamond of a window (a receding facade at dusk): blur and the threshold blunt its sharp corners,
    # so its outline has six sides to the straight-side tolerance, yet it fills its four-sided polygon
    diamond = np.zeros((80, 40), np.float32)
    cv2.fillConvexPoly(diamond, np.array([[20, 4], [30, 30], [20, 72], [10, 46]], np.int32), 1.0)
    blunted = (cv2.GaussianBlur(diamond, (0, 0), 1.0) >= 0.5).astype(np.uint8)
    hull = cv2.convexHull(det._main_outline(_shaped_blob(blunted.astype(bool))))
    assert len(cv2.approxPolyDP(hull, det.QUAD_TOL_PX, True)) > 4
    assert uniform(blunted) >= 0.99


def test_flat_warmth_with_a_soft_outline_is_warm_ground_and_a_bag_is_not() -> None:
    """Straight down from 30 m at -15 °C: heat from a buried pipe or duct warms the snow above it evenly
    (+7 K) over an oval 1.6 x 0.5 m, fading over ~0.25 m all round (heat spreading through the snow), with
    no warmer part: its length and width fit a lying body, its outline is no quadrilateral, and it was taken
    for one (independently rendered clutter frames: warm pipes). Its outline falls a few times slower than
    an object's (_edge_sharpness below EDGE_SHARP), so it is warm ground. A sleeping bag as long, as flat
    and as warm, but with an object's edge, is still found."""
    meta = nadir(30.0, ambient=-15.0)
    k = 640 / (2 * 30.0 * math.tan(math.radians(22.5)))  # px per metre
    outside = np.full((512, 640), 255, np.uint8)
    cv2.ellipse(outside, (320, 256), (round(0.8 * k), round(0.25 * k)), 20, 0, 360, 0, -1)
    beyond_m = cv2.distanceTransform(outside, cv2.DIST_L2, 5) / k  # metres outside the oval
    ground = discs(-15.0, []) + 7.0 * np.exp(-0.5 * (beyond_m / 0.25) ** 2).astype(np.float32)
    blob = max((f for f, _, _ in det.candidates(ground, det.camera_for(meta, 640, 512), -15.0)), key=lambda c: c.area)
    assert blob.edge < det.EDGE_SHARP[0] and blob.hot_ratio < det.SLAB_HOT_RATIO[0] and det._quadrilateral(blob) == 0.0
    assert detect(ground, meta) == []
    bag = discs(-15.0, [(320, 256, 0.85 * k, 0.35 * k, -11.0)])
    assert len(detect(bag, meta)) == 1


def _oblique_30(ambient: float = -15.0) -> tuple[FrameMeta, float]:
    """A drone 30 m up looking 30 deg down (60 m along the axis), and its metres per pixel there."""
    meta = parse_meta({"camera_id": "t", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00", "lat": 45.75,
                       "lon": 126.64, "alt_m": 30.0, "yaw_deg": 0.0, "pitch_deg": -30.0, "hfov_deg": 45.0,
                       "width": 640, "height": 512, "ambient_c": ambient})
    return meta, 60.0 * 2 * math.tan(math.radians(22.5)) / 640


def _parallelogram(ambient: float, width_px: float, height_px: float, shear: float, temp: float) -> np.ndarray:
    """Snow at ambient - 1 with a uniform parallelogram at the centre (its sides sheared by `shear` of the
    height), optics blur and sensor noise, as discs() paints its ellipses."""
    ss = 8
    u, v, w, h = 320 * ss, 256 * ss, width_px * ss, height_px * ss
    m = np.zeros((512 * ss, 640 * ss), np.float32)
    pts = [[u - w / 2 + shear * h / 2, v - h / 2], [u + w / 2 + shear * h / 2, v - h / 2],
           [u + w / 2 - shear * h / 2, v + h / 2], [u - w / 2 - shear * h / 2, v + h / 2]]
    cv2.fillPoly(m, [np.array(pts, np.int32)], 1.0)
    cover = cv2.resize(m, (640, 512), interpolation=cv2.INTER_AREA)
    img = cv2.GaussianBlur((ambient - 1.0) * (1 - cover) + temp * cover, (0, 0), 0.9)
    return (img + np.random.default_rng(0).normal(0, 0.06, img.shape)).astype(np.float32)


def test_an_even_uniform_strip_is_a_window_and_a_faceless_body_as_long_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lit window on a facade seen at a grazing angle (independently rendered frames: most of the false
    people left): a uniform strip 0.25 x 1.4 m, sheared, 8 K above the air, as long for its width as a
    standing body, too thin for the quadrilateral test and no warmer than clothing. It is as wide at both
    ends as in the middle (_strip), which no body is, so it is a slab; a faceless standing body of the
    same size and warmth (a head narrower than its shoulders) is still a person."""
    meta, mpp = _oblique_30()
    window = _parallelogram(-15.0, 0.25 / mpp, 1.4 / mpp, 0.3, -7.0)
    blob = max((f for f, _, _ in det.candidates(window, det.camera_for(meta, 640, 512), -15.0)), key=lambda c: c.area)
    assert det._quadrilateral(blob) == 0.0 and det._strip(blob) == 1.0
    assert detect(window, meta) == []
    k = 1.0 / mpp
    body = discs(-15.0, [(320, 256, 0.22 * k, 0.65 * k, -7.0), (320, 256 - 0.72 * k, 0.1 * k, 0.11 * k, -7.0)])
    assert len(detect(body, meta)) == 1
    monkeypatch.setattr(det, "_strip", lambda f: 0.0)
    assert len(detect(window, meta)) == 1  # taken for a standing person without the test


def test_an_upright_post_is_not_warm_as_a_bag_for_its_height_in_an_oblique_view() -> None:
    """Seen at 30 deg depression, something lying on the ground (a bag, up to 2.2 m long and 0.4 m
    high) spans at most 2.2 sin + 0.4 cos of the image's vertical: an upright post 0.26 m wide and
    2.4 m tall (a facade's edge, a pole), 2.5 K above the air, is longer than that, so its warmth
    is not a sleeping bag's (it was taken for a standing person at 0.525). A bag 2.0 x 0.8 m lying
    along the line of sight at the same view, as warm, is still a person."""
    meta = parse_meta({"camera_id": "t", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00", "lat": 45.75,
                       "lon": 126.64, "alt_m": 30.0, "yaw_deg": 0.0, "pitch_deg": -30.0, "hfov_deg": 45.0,
                       "width": 640, "height": 512, "ambient_c": -15.0})
    mpp = 60.0 * 2 * math.tan(math.radians(22.5)) / 640  # 60 m along the axis
    post = discs(-17.0, [(320, 256, 0.13 / mpp, 1.2 / mpp, -12.5)])  # snow at -18
    assert detect(post, meta) == []
    bag = discs(-17.0, [(320, 256, 0.4 / mpp, 0.6 / mpp, -12.5), (320, 256 - 0.45 / mpp, 0.3 / mpp, 0.15 / mpp, -11.5)])
    assert len(detect(bag, meta)) == 1


def _head_and_shoulders(extra: list[tuple[float, ...]], shoulders_c: float = -11.0) -> tuple[np.ndarray, FrameMeta, float]:
    """Straight down from 30 m on a -15 °C night, ground 0.5 K below the air: a face (31 °C) and
    shoulders 0.5 m wide above the threshold, plus `extra` ellipses in metres from the shoulders'
    centre (du, dv, semi-axis u, semi-axis v, °C). Returns the frame, its meta and px per metre."""
    meta = nadir(30.0, ambient=-15.0)
    k = 640 / (2 * 30.0 * math.tan(math.radians(22.5)))
    u, v = 320 + 0.55 * k, 256.0
    objs = [(u + du * k, v + dv * k, a * k, b * k, t) for du, dv, a, b, t in extra]
    return discs(-14.5, [*objs, (u, v, 0.25 * k, 0.25 * k, shoulders_c), (u + 0.2 * k, v, 0.1 * k, 31.0)]), meta, k


def test_a_face_with_its_shoulders_is_grown_into_a_body_barely_warmer_than_the_ground(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold clothing (1.5 K above the air, 2 K over the ground: below the threshold) lying behind a
    face whose shoulders stand out: the face and shoulders (0.6 m, too long for a lone face) are
    searched for their body like a hood end, and the person's box is the whole body's, 1.7 m."""
    body = [(-0.55, 0.0, 0.85, 0.25, -13.5)]
    frame, meta, k = _head_and_shoulders(body)
    dets = detect(frame, meta)
    assert len(dets) == 1 and dets[0].bbox[2] >= 1.6 * k, dets
    monkeypatch.setattr(det, "_body_of_face", lambda *a, **kw: None)
    assert [d.bbox[2] < 0.8 * k for d in detect(frame, meta)] == [True]  # the head and shoulders only


def test_a_faces_body_is_not_grown_into_an_object_at_the_airs_temperature(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bin 1.0 x 0.6 m touching a person's shoulders, 0.9 K above the air (1.4 K over snow colder
    than the air, above half the threshold): no body's warmth, so the face keeps its own box; a bin
    1.3 K above the air joins the grown region but not the body's outline, where its warmth halves."""
    frame, meta, k = _head_and_shoulders([(0.0, 0.55, 0.5, 0.3, -14.1)])
    assert [d.bbox[3] < 0.6 * k for d in detect(frame, meta)] == [True]
    frame, meta, k = _head_and_shoulders([(0.0, 0.65, 0.4, 0.4, -13.7)], shoulders_c=-7.0)
    assert [d.bbox[3] < 0.8 * k for d in detect(frame, meta)] == [True]
    monkeypatch.setattr(det, "_outlined", lambda f, shape: f)  # boxed round the grown region: the bin too
    assert [d.bbox[3] > 1.0 * k for d in detect(frame, meta)] == [True]
    monkeypatch.setattr(det, "AIR_READING_K", -100.0)  # no floor at the air: the colder bin joins as well
    frame, meta, k = _head_and_shoulders([(0.0, 0.55, 0.5, 0.3, -14.1)])
    assert [d.bbox[3] > 0.9 * k for d in detect(frame, meta)] == [True]


def _face_on_a_faint_body(body_c: float) -> tuple[np.ndarray, FrameMeta, float]:
    """Straight down from 30 m on a -15 °C night, snow 0.2 K above the air: a face (31 °C) at one end
    of a lying body 1.7 x 0.5 m at `body_c`. Returns the frame, its meta and px per metre."""
    meta = nadir(30.0, ambient=-15.0)
    k = 640 / (2 * 30.0 * math.tan(math.radians(22.5)))
    u, v = 320.0, 256.0
    body = (u, v, 0.85 * k, 0.25 * k, body_c)
    face = (u + 0.75 * k, v, 0.1 * k, 31.0)
    return discs(-13.8, [body, face]), meta, k


def test_a_face_whose_body_is_only_a_kelvin_over_the_ground_is_found_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clothing 1.4 K above the air over snow 0.2 K above it (1.2 K over the ground, below half the
    threshold): at half the threshold the face grows only by its blur skirt, so its body is searched
    for lower (FAINT_BODY_K), through pixels clearly warmer than the air, and the person's box is the
    whole body's; without that search only the face's small box is reported."""
    frame, meta, k = _face_on_a_faint_body(-13.6)
    dets = detect(frame, meta)
    assert len(dets) == 1 and dets[0].bbox[2] >= 1.5 * k, (dets, k)
    monkeypatch.setattr(det, "FAINT_BODY_K", 100.0)
    assert [d.bbox[2] < 0.6 * k for d in detect(frame, meta)] == [True]


def test_too_big_for_one_person_allows_a_pixel() -> None:
    """A lying body seen diagonally at 0.16 m/px with its face at one end measures 2.45 m by moments
    (its 1.9 m, the moments' ~15 % on a box-like shape, the face's blur): within a pixel of the
    2.4 m a group starts at, so not split; a pixel and more beyond it is."""
    m_per_px = 0.16
    blob = _lying_blob(2.45, 0.4, m_per_px, -15.0, over_air=5.0, over_ground=6.0, edge=0.6)
    assert not det._too_big(blob, m_per_px)
    longer = _lying_blob(2.4 + 1.2 * m_per_px, 0.4, m_per_px, -15.0, over_air=5.0, over_ground=6.0, edge=0.6)
    assert det._too_big(longer, m_per_px)


def _box_blob(x: float, y: float, w: int, h: int, contrast: float = 6.0, t_max: float = -9.0) -> det.Blob:
    """A blob summarised by its box and warmth only (what the window-row test reads)."""
    return replace(_shaped_blob(np.ones((h, w), bool)), cx=x + w / 2, cy=y + h / 2, bx=int(x), by=int(y), bw=w,
                   bh=h, contrast=contrast, t_max=t_max)


def test_a_row_of_look_alike_windows_is_refused_and_people_are_not() -> None:
    """A lit facade seen obliquely repeats its windows: thin warm slits of one size and warmth at an even
    pitch along a line, which the slab test cannot judge (under SLAB_MIN_PX wide). Independently rendered
    frames showed a false person on each of up to 17 of them. The pitch may grow with perspective; people
    of different sizes, an uneven row, fewer than WINDOW_ROW_MIN, or windows with a face among them are not
    a facade (the one with the face is kept)."""
    def rows(blobs: list[det.Blob]) -> set[int]:
        return det._window_rows(blobs, list(range(len(blobs))))

    row = [_box_blob(100 + 6 * k, 40 + 30 * k + k * k, 5, 22 + k // 2) for k in range(6)]
    assert rows(row) == set(range(6))
    assert det._window_rows(row, [1, 4]) == {1, 4}  # only the candidates asked about (those scored as people)
    assert rows(row[:det.WINDOW_ROW_MIN - 1]) == set()
    # a stranger off the line is not taken with them
    assert rows([*row, _box_blob(160, 100, 5, 23)]) == set(range(6))
    # people of different heights in a line, and an uneven row, are left alone
    people = [_box_blob(100 + 6 * k, 40 + 30 * k, 5, h) for k, h in enumerate((14, 22, 17, 26, 12))]
    assert rows(people) == set()
    uneven = [_box_blob(100, 40 + y, 5, 22) for y in (0, 30, 75, 105, 155)]  # gaps of 1, 1.5, 1 and 1.7 pitches
    assert rows(uneven) == set()
    # an unlit window between lit ones doubles a gap; the pitch still counts in whole steps
    skipped = [_box_blob(100, 40 + y, 5, 22) for y in (0, 30, 90, 121, 152)]
    assert rows(skipped) == set(range(5))
    # one with a face (a person in the row) is never a window
    assert rows([*row[:5], replace(row[5], t_max=30.0)]) == set(range(5))


def test_a_face_far_warmer_than_clothing_or_fur_is_skin_below_the_skin_threshold() -> None:
    """A face in hard frost reads cold (5-20 °C through wind, wet skin and a cold sky's reflection),
    below the skin threshold, yet stands 20-30 K above the air (independently rendered frames: faces at
    2-16 °C at -15 to -27 °C), where no clothing or fur reaches and a dog's head (eyes, muzzle, up to
    DOG_HEAD_K over its fur) does not either. Such a spot, no bigger than a blurred face, is skin: its
    dog-shaped blob (a hood and shoulders seen from above) is no dog. A dog's head 16 K above the air,
    or a warm patch as warm but larger than a face (a vent), is no face."""
    mask = np.zeros((40, 40), np.uint8)
    cv2.ellipse(mask, (20, 20), (4, 1), 30, 0, 360, 1, -1)
    blob = _shaped_blob(mask.astype(bool))
    ambient = -20.0

    def memberships(t_max: float, spot_px: int) -> dict[str, float]:
        return det._memberships(replace(blob, t_max=t_max, spot_px=spot_px), 0.1, 1.0, 512, ambient)[0]

    assert det._skin(ambient + 25.0) == 0.0  # no face by its degrees
    cold_face = memberships(ambient + 25.0, 6)
    assert cold_face["face"] == 1.0 and cold_face["dog"] == 0.0, cold_face
    assert memberships(ambient + 16.0, 6)["dog"] >= 0.9  # a dog's head over warm fur
    assert memberships(ambient + 25.0, 40)["face"] < 0.5  # a spot larger than a face: no skin


def test_a_blob_ending_on_an_occluders_edge_is_cut_but_one_on_open_ground_or_a_long_line_is_not() -> None:
    """A warm remnant whose bottom meets a cold object wider than it (one step across the line,
    beside it on both sides and under it) is cut, and so loses the dog and uniform-plate refusals;
    the same blob on open ground is not cut, nor one on a step that runs the whole frame (a road's
    edge, a row's fixed-pattern offset), nor a strip lying along a step (a window on a facade's edge)."""
    rng = np.random.default_rng(3)

    def scene(occluder: float, line: float = 0.0, height: int = 8) -> tuple[np.ndarray, np.ndarray]:
        frame = -10.0 + rng.normal(0.0, 0.05, (60, 200))
        frame[30:, :] += line  # a step across the whole frame
        frame[30:45, 10:50] += occluder  # the occluder, wider than the blob, below it
        frame[30 - height : 30, 26:34] = 0.0  # the remnant ends on the occluder's edge
        return frame.astype(np.float32), np.full((height, 8), 255, np.uint8)

    assert det._occluding_edge(*scene(0.8), 26, 22) == pytest.approx(1.0)
    assert det._occluding_edge(*scene(-0.8), 26, 22) == pytest.approx(1.0)  # a warmer object too
    assert det._occluding_edge(*scene(0.0), 26, 22) == 0.0
    assert det._occluding_edge(*scene(0.0, line=0.8), 26, 22) == 0.0
    assert det._occluding_edge(*scene(0.8, height=3), 26, 27) == 0.0
    assert det._occluding_edge(*scene(5.0), 26, 22) == 0.0  # a heated wall's step, not a cold object's

    # the membership lifts the dog rule: the same faceless blob scores higher once cut
    f = det.Blob(bg=-10.0, t_max=0.0, t_mean=-1.0, contrast=10.0, level=-1.0, cx=30.0, cy=26.0, major=9.0,
                 minor=6.0, mu20=4.0, mu02=2.0, mu11=0.0, vertical=False, hot_ratio=0.3, hot_px=4, spot_px=3,
                 spot_cx=30.0, spot_cy=26.0, over_px=0, over_min_px=0.0, area=40, bx=26, by=22, bw=8, bh=6)
    whole, _ = det._memberships(f, 0.08, 0.6, 512, -12.0)
    cut, _ = det._memberships(replace(f, cut=1.0), 0.08, 0.6, 512, -12.0)
    assert whole["dog"] > 0.5 and cut["dog"] == 0.0
    plain, _ = det._memberships(replace(f, hot_ratio=0.05), 0.08, 0.6, 512, -12.0)
    plain_cut, _ = det._memberships(replace(f, hot_ratio=0.05, cut=1.0), 0.08, 0.6, 512, -12.0)
    assert plain["uniform"] == pytest.approx(1.0) and plain_cut["uniform"] == 0.0  # no head seen: it may be hidden


def test_a_body_lying_aslant_cut_by_an_occluders_edge_is_cut_but_a_tapering_end_is_not() -> None:
    """A body lying aslant and cut by an occluder's straight edge ends along the line with the span
    of each of its lines (less than its box's width), and the threshold may leave a pixel of noise
    past the line: it is cut all the same. A blob that tapers to a point on the same step (the end
    of an ellipse, not a cut) is not."""
    rng = np.random.default_rng(5)

    def scene(rows: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, int, int]:
        frame = -10.0 + rng.normal(0.0, 0.05, (70, 200))
        frame[40:55, 10:70] += 0.8  # the occluder, wider than the blob, below it
        mask = np.zeros((70, 200), np.uint8)
        for k, (c0, c1) in enumerate(rows):
            mask[40 - len(rows) + k, c0:c1] = 255
        frame[mask > 0] = 0.0
        ys, xs = np.nonzero(mask)
        y0, x0 = int(ys.min()), int(xs.min())
        return frame.astype(np.float32), mask[y0 : int(ys.max()) + 1, x0 : int(xs.max()) + 1], x0, y0

    aslant = [(30 + k, 35 + k) for k in range(9)]  # 5 px wide rows shifting a pixel a row: 13 px wide box
    assert det._occluding_edge(*scene(aslant)) == pytest.approx(1.0)
    frame, mask, x, y = scene(aslant)
    noisy = np.zeros((mask.shape[0] + 1, mask.shape[1]), np.uint8)
    noisy[:-1] = mask
    noisy[-1, 9] = 255  # one pixel past the line
    frame[y + mask.shape[0], x + 9] = 0.0
    assert det._occluding_edge(frame, noisy, x, y) == pytest.approx(1.0)
    tapering = [(34 - min(k, 8 - k), 36 + min(k, 8 - k)) for k in range(9)]  # a diamond: its last row 2 px of 10
    assert det._occluding_edge(*scene(tapering)) == 0.0


def test_a_face_over_an_occluders_edge_is_a_person_shorter_than_a_body() -> None:
    """A head and shoulders above a car or a wall: a face (skin) on a blob too short for any posture.
    Uncut, its size refuses it; cut by an occluder's edge, the hidden part may make up the body's
    length, so it scores as a person. Without a face the size stays as measured."""
    f = det.Blob(bg=-10.0, t_max=31.0, t_mean=2.0, contrast=41.0, level=0.0, cx=30.0, cy=26.0, major=8.5,
                 minor=7.5, mu20=4.0, mu02=3.5, mu11=0.0, vertical=False, hot_ratio=0.4, hot_px=4, spot_px=4,
                 spot_cx=30.0, spot_cy=26.0, over_px=4, over_min_px=2.0, area=45, bx=26, by=22, bw=8, bh=8)
    args = (0.08, 0.83, 512, -20.0)
    whole, _ = det._memberships(f, *args)
    cut, _ = det._memberships(replace(f, cut=1.0), *args)
    assert whole["face"] == 1.0 and whole["size"] < 0.5, whole
    assert cut["size"] == 1.0, cut
    assert det._score(f, *args)[0] < det.SCORE_MIN <= det._score(replace(f, cut=1.0), *args)[0]
    faceless = replace(f, t_max=0.0, contrast=10.0, spot_px=20, over_px=0, over_min_px=0.0)
    assert det._memberships(replace(faceless, cut=1.0), *args)[0]["size"] == det._memberships(faceless, *args)[0]["size"]


def test_a_face_with_part_of_its_clothing_grows_into_a_body_less_than_a_hood_would(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A face and its shoulders whose curled-up body (0.8 m, 1 K over the ground) adds less than
    HOOD_GROW times the spot: the spot already holds part of the clothing, and a face tens of K over
    the threshold grows by no more than a fraction of a pixel of blur at half the threshold, so the
    body counts from FACE_GROW times the spot; at the hood's factor only the spot is reported."""
    frame, meta, k = _head_and_shoulders([(-0.4, 0.0, 0.4, 0.22, -13.5)])
    assert [d.bbox[2] >= 0.8 * k for d in detect(frame, meta)] == [True]
    monkeypatch.setattr(det, "FACE_GROW", det.HOOD_GROW)
    assert [d.bbox[2] < 0.7 * k for d in detect(frame, meta)] == [True]


def test_a_vents_steam_halo_is_no_body_but_the_same_warmth_with_a_sharp_outline_is() -> None:
    """A 14 °C vent (0.5 x 0.3 m) in a 1.4 x 0.9 m steam halo 4 K over the ground, at -2 °C: person-sized,
    warm and not uniform, as the drill's false people at fixed cameras were. Steam fades over its own
    size (the generator blurs a halo by a sixth of its width), a body ends at the optics' blur: the soft
    outline is refused (_halo), the same warmth ending sharply is still kept."""
    meta = nadir(30.0, ambient=-2.0)  # ~0.039 m/px
    core = discs(-2.0, [(322, 257, 7.0, 4.0, 14.0)])
    outer = np.zeros((512, 640), np.float32)
    cv2.ellipse(outer, (320, 256), (18, 12), 0, 0, 360, 1.0, -1)
    outside_core = (core < 0.0).astype(np.float32)
    steam = core + 4.0 * cv2.GaussianBlur(outer, (0, 0), 36 / 6) * outside_core
    assert detect(steam, meta) == []
    sharp = core + 4.0 * outer * outside_core
    assert len(detect(sharp, meta)) == 1


def test_a_halo_needs_a_core_far_warmer_than_itself_and_no_face() -> None:
    """A soft outline alone refuses nothing: a sleeping bag or a face over cold clothing can measure
    soft; it is a halo round a vent only with a core PLATE_EXCESS_K warmer than the blob's level and no
    face, or a warm spot too large for any face."""
    vent = det.Blob(bg=-5.0, t_max=10.0, t_mean=-2.0, contrast=15.0, level=-2.5, cx=30.0, cy=26.0, major=36.0,
                    minor=21.0, mu20=80.0, mu02=28.0, mu11=0.0, vertical=False, hot_ratio=0.6, hot_px=60, spot_px=90,
                    spot_cx=30.0, spot_cy=26.0, over_px=0, over_min_px=0.0, area=500, bx=12, by=16, bw=36, bh=21,
                    edge=0.08)
    mpp = 0.05
    assert det._halo(vent, mpp, 0.0) == 1.0
    assert det._halo(replace(vent, edge=0.4), mpp, 0.0) == 0.0  # an object's outline
    assert det._halo(replace(vent, t_max=0.0), mpp, 0.0) == 0.0  # no core: a bag or cold clothing
    face_spot = replace(vent, spot_px=10)
    assert det._halo(face_spot, mpp, 1.0) == 0.0  # a face-sized skin spot keeps the blob
    assert det._halo(vent, mpp, 1.0) == 1.0  # a skin-warm spot five faces large is a plate


def _rects(ambient: float, rects: list[tuple[float, float, float, float, float, float]], angle_deg: float) -> np.ndarray:
    """Snow at ambient - 1 with filled rectangles (centre u, v px, length, width px along and across the
    direction angle_deg, their own offset across it px, °C), optics blur and sensor noise, as discs() paints."""
    ss = 8
    img = np.full((512, 640), ambient - 1.0, np.float32)
    a = math.radians(angle_deg)
    along, across = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    for u, v, length, width, off, temp in rects:
        c = np.array([u, v]) + off * across
        pts = [c + sa * length / 2 * along + sb * width / 2 * across for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        m = np.zeros((512 * ss, 640 * ss), np.float32)
        cv2.fillPoly(m, [np.round(np.array(pts) * ss).astype(np.int32)], 1.0)
        cover = cv2.resize(m, (640, 512), interpolation=cv2.INTER_AREA)
        img = img * (1 - cover) + temp * cover
    img = cv2.GaussianBlur(img, (0, 0), 0.9)
    return (img + np.random.default_rng(0).normal(0, 0.06, img.shape)).astype(np.float32)


def test_paired_windows_seen_from_above_are_bars_and_a_body_with_warm_legs_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Straight down from 60 m (0.08 m/px) at -15 °C: a facade's double window, two panes 1.3 x 0.22 m side by
    side with a 0.16 m frame between them, on a wall 3 K over the snow, the panes 8 K over it. Blur merges
    them into one faceless blob of a lying body's size and warmth, and it was taken for one (independently
    rendered nadir frames: a fifth of the false people). Its warmest parts are two thin bars side by side,
    each running the blob's length (_bars): a window, not a body. A faceless lying body whose legs (thin
    trousers) are warmer than its coat has two such bars too, but only over half its length: still found."""
    meta = nadir(60.0, ambient=-15.0)
    k = 640 / (2 * 60.0 * math.tan(math.radians(22.5)))  # px per metre
    wall = (320, 256, 1.9 * k, 0.9 * k, 0.0, -13.0)
    panes = [(320, 256, 1.3 * k, 0.22 * k, s * 0.19 * k, -8.0) for s in (-1, 1)]
    window = _rects(-15.0, [wall, *panes], 30.0)
    blob = max((f for f, _, _ in det.candidates(window, det.camera_for(meta, 640, 512), -15.0)), key=lambda c: c.area)
    assert det._bars(blob) == 1.0
    assert detect(window, meta) == []
    # a body 1.8 x 0.5 m: a coat 4 K over the air on the trunk and head, two legs 0.8 x 0.16 m 9 K over it
    trunk = (320 - 0.35 * k * math.cos(math.radians(30)), 256 - 0.35 * k * math.sin(math.radians(30)), 1.0 * k,
             0.5 * k, 0.0, -11.0)
    legs = [(320 + 0.45 * k * math.cos(math.radians(30)), 256 + 0.45 * k * math.sin(math.radians(30)), 0.8 * k,
             0.16 * k, s * 0.17 * k, -6.0) for s in (-1, 1)]
    body = _rects(-15.0, [trunk, *legs], 30.0)
    bblob = max((f for f, _, _ in det.candidates(body, det.camera_for(meta, 640, 512), -15.0)), key=lambda c: c.area)
    assert det._bars(bblob) == 0.0
    assert len(detect(body, meta)) == 1
    monkeypatch.setattr(det, "_bars", lambda f: 0.0)
    assert len(detect(window, meta)) == 1  # taken for a lying person without the test

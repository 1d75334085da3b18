"""`patrol bench thermal`: the generator's stress styles are scored one by one and named in the output."""

from __future__ import annotations

from typing import Any

from simulators.thermal.generator import DEFAULT_STYLE
from tools.bench_thermal import FIELD_STYLES, STRESS_STYLES, _frames, format_thermal_bench, prf, style_frames


def _result() -> dict[str, Any]:
    sc = prf(9, 1, 1)
    return {
        "n_frames": 100, "resolution": "640x512", "iou": 0.3, "detector": sc, "baseline": sc,
        "detector_fps": 100.0, "baseline_fps": 50.0, "speed_ratio": 2.0,
        "geo_err_p50_m": 0.1, "geo_err_p95_m": 0.5, "geo_err_40m_p50_m": 0.1, "geo_err_40m_p95_m": 0.5,
        "recall_40m": 1.0, "decoy_heavy_frames": 25, "decoy_heavy_detector": sc, "decoy_heavy_baseline": sc,
        "independent_frames": 24, "independent_detector": sc, "independent_baseline": sc,
        "independent_decoy_fp": 0, "independent_decoy_frames": 3, "grey_detector": sc, "grey_fps": 50.0,
        "grey_baseline_fps": 50.0, "independent_grey_detector": sc, "real": None,
        "field_styles": {name: sc for name in FIELD_STYLES}, "field_style_frames": 12,
        "stress_styles": {name: sc for name in STRESS_STYLES}, "stress_style_frames": 12,
    }


def test_the_formatted_bench_names_every_stress_style_with_its_scores() -> None:
    out = format_thermal_bench(_result())
    assert "stress styles of the generator (12 frames each, radiometric):" in out
    for name in STRESS_STYLES:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name))
        assert "P 0.900 R 0.900 F1 0.900" in line


def test_the_stress_styles_cover_the_generators_style_options_and_generate_frames() -> None:
    changed = {f for kw in STRESS_STYLES.values() for f in DEFAULT_STYLE.__dataclass_fields__
               if getattr(kw["style"], f) != getattr(DEFAULT_STYLE, f)}
    assert {"skin_p", "clothing_k", "dog_side_on", "blur_px", "nonuniform_k", "cluster_m", "occlusion_p",
            "roads", "sky"} <= changed
    for kw in STRESS_STYLES.values():
        [(img, meta, _truth)] = _frames(1, 7, **kw)
        assert img.pixels.shape == (512, 640) and meta is not None


def test_each_style_is_scored_on_enough_frames_to_mean_something() -> None:
    assert style_frames(100) == 50 and style_frames(20) == 48 and style_frames(400) == 200

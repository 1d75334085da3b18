"""`patrol bench thermal`: the generator's stress styles are scored one by one and named in the output."""

from __future__ import annotations

from typing import Any

from simulators.thermal.generator import DEFAULT_STYLE
from tools.bench_thermal import (
    FIELD_STYLES,
    STRESS_STYLES,
    _frames,
    as_8bit,
    format_thermal_bench,
    loop_lag,
    prf,
    style_frames,
)


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
        "loop_lag_frames": 4, "loop_lag": {"on the loop": {"fps": 90.0, "p50": 11.0, "p99": 22.5, "max": 23.0},
                                           "frame thread": {"fps": 95.0, "p50": 0.1, "p99": 1.25, "max": 2.0}},
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


def test_the_bench_prints_the_event_loops_lag_on_the_loop_and_on_the_frame_thread() -> None:
    out = format_thermal_bench(_result())
    assert "event loop lag while 4 8-bit generator frames are detected" in out
    assert "on the loop      90.0 frames/s, lag p50 11.00 ms, p99 22.50 ms, max 23.00 ms" in out
    assert "frame thread     95.0 frames/s, lag p50 0.10 ms, p99 1.25 ms, max 2.00 ms" in out


def test_detecting_on_the_frame_thread_keeps_the_event_loop_turning() -> None:
    lag = loop_lag(as_8bit(_frames(6, 5)))
    assert set(lag) == {"on the loop", "frame thread"}
    # on the loop a timer waits a whole frame's detection; on the thread, only the GIL's turns
    assert lag["frame thread"]["max"] < lag["on the loop"]["max"]
    assert lag["frame thread"]["fps"] > 0 and lag["on the loop"]["fps"] > 0

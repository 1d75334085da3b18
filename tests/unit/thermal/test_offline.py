"""Offline folder run: JSON lines per detection, sidecars optional, bad frames reported and counted."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from simulators.thermal.generator import generate_frame, write_dataset
from thermal.frames import centikelvin_to_c
from thermal.offline import detect_dir


def test_detect_dir_with_sidecars_bad_files_and_pixel_only(tmp_path: Path) -> None:
    names = write_dataset(tmp_path, 3, seed=11, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    assert all((tmp_path / f"{n}.truth.json").exists() for n in names)
    # a float °C .npy frame without a sidecar: pixel outputs only
    ck, _, _ = generate_frame(12, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    np.save(tmp_path / "raw.npy", centikelvin_to_c(ck))
    # two bad files
    (tmp_path / "broken.png").write_bytes((tmp_path / f"{names[0]}.png").read_bytes()[:500])
    (tmp_path / "nopose.png").write_bytes((tmp_path / f"{names[1]}.png").read_bytes())
    meta = json.loads((tmp_path / f"{names[1]}.json").read_text())
    del meta["alt_m"]
    (tmp_path / "nopose.json").write_text(json.dumps(meta))

    out = tmp_path / "out.jsonl"
    err = io.StringIO()
    bad = detect_dir(tmp_path, out, err=err)
    assert bad == 2
    assert "broken.png: truncated PNG" in err.getvalue()
    assert "nopose.png: metadata: missing alt_m" in err.getvalue()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    frames = {r["frame"] for r in rows}
    assert set(names) <= frames and "raw" in frames
    for r in rows:
        assert {"detection_id", "camera_id", "captured_at", "bbox", "posture", "score", "lat", "lon"} <= set(r)
        if r["frame"] == "raw":
            assert r["lat"] is None and r["lon"] is None and r["camera_id"] == "raw"
        else:
            assert r["lat"] is not None and r["error_m"] is not None
    # deterministic: a second run writes the same bytes
    out2 = tmp_path / "out2.jsonl"
    detect_dir(tmp_path, out2, err=io.StringIO())
    assert out2.read_text() == out.read_text()


def test_a_frame_file_stamped_in_no_plausible_year_gives_detections_without_a_time(tmp_path: Path) -> None:
    # Without a sidecar a frame's time is its file's: a copy stamped year 2446 dated its detections so.
    ck, _, _ = generate_frame(12, kind="drone", n_people=3, decoys=[], alt_m=30.0)
    for name, stamp in (("late", 15_032_385_535), ("now", 1_796_000_000)):  # 2446-05-10, 2026-11-30
        np.save(tmp_path / f"{name}.npy", centikelvin_to_c(ck))
        os.utime(tmp_path / f"{name}.npy", (stamp, stamp))
    out = tmp_path / "out.jsonl"
    assert detect_dir(tmp_path, out, err=io.StringIO()) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    times: dict[str, set[str]] = {}
    for r in rows:
        times.setdefault(r["frame"], set()).add(r["captured_at"][:10])
    assert times == {"late": {"1970-01-01"}, "now": {"2026-11-30"}}


def test_a_frame_that_is_a_pipe_or_a_broken_link_is_named_not_passed_over(tmp_path: Path) -> None:
    # Both were left out of the folder's listing: the run said nothing of them and exited 0.
    write_dataset(tmp_path, 1, seed=11, kind="drone", n_people=1, decoys=[], alt_m=30.0)
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    err = io.StringIO()
    assert detect_dir(tmp_path, tmp_path / "out.jsonl", err=err) == 2
    for name in ("pipe.png", "gone.jpg"):
        assert f"{name}: cannot be read: not a regular file" in err.getvalue()


def test_an_output_that_cannot_be_written_is_named_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol detect FOLDER --out DIR` (or a path in no folder) died with IsADirectoryError's traceback."""
    write_dataset(tmp_path / "frames", 1, seed=11, kind="drone", n_people=1, decoys=[], alt_m=30.0)
    (tmp_path / "outdir").mkdir()
    for out in (tmp_path / "outdir", tmp_path / "no" / "such" / "folder.jsonl"):
        assert main(["detect", str(tmp_path / "frames"), "--out", str(out)]) == 2
        said = capsys.readouterr().err
        assert said.startswith(f"patrol: error: {out}: cannot write the detections:") and "Traceback" not in said

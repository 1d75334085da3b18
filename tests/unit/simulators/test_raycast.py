"""Independent ray-cast renderer: its folder is a labelled set the bench reads, boxes hold warm people, seeds repeat."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulators.thermal import raycast
from thermal.frames import parse_meta
from tools.real_frames import iter_real

SEED = 3


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One frame of each of the six kinds (about 1.7 s a frame)."""
    out = tmp_path_factory.mktemp("raycast") / "set"
    raycast.main([str(out), "--seed", str(SEED), "--per-kind", "1"])
    return out


def test_folder_holds_only_frames_sidecars_and_labels(rendered: Path) -> None:
    names = sorted(p.name for p in rendered.iterdir())
    stems = [f"{k}_000" for k in raycast.KINDS]
    assert names == sorted(["labels.json", *(s + ".png" for s in stems), *(s + ".json" for s in stems)])
    # the render-side truth goes beside the folder, not into it
    truth = json.loads((rendered.parent / "set_truth.json").read_text())
    assert sorted(truth) == sorted(s + ".png" for s in stems)


def test_iter_real_reads_every_kind_and_sidecars_parse(rendered: Path) -> None:
    frames = list(iter_real(rendered))
    assert sorted(f.tags[0] for f in frames) == sorted(raycast.KINDS)
    for f in frames:
        assert f.image.radiometric and f.image.pixels.shape == (raycast.H, raycast.W)
        assert f.meta is not None
        meta = parse_meta(json.loads((rendered / f.name).with_suffix(".json").read_text()))
        assert meta.camera_id == f.meta.camera_id
        # plausible winter / dusk scene temperatures, not raw centi-kelvin
        assert -60.0 < float(np.median(f.image.pixels)) < 30.0


def test_person_boxes_are_inside_and_warm(rendered: Path) -> None:
    n_people = 0
    for f in iter_real(rendered):
        px = f.image.pixels
        median = float(np.median(px))
        for x, y, w, h in f.people + f.ignore:
            assert w > 0 and h > 0
            assert 0 <= x and 0 <= y and x + w <= raycast.W and y + h <= raycast.H, (f.name, (x, y, w, h))
        for x, y, w, h in f.people:
            assert float(px[y:y + h, x:x + w].max()) > median + 1.0, (f.name, (x, y, w, h))
            n_people += 1
    assert n_people >= 6  # the checks above were not vacuous


def test_same_seed_same_bytes(rendered: Path, tmp_path: Path) -> None:
    kind = "street-fixed"
    again = tmp_path / "again"
    raycast.main([str(again), "--seed", str(SEED), "--per-kind", "1", "--kinds", kind])
    for suffix in (".png", ".json"):
        name = f"{kind}_000{suffix}"
        assert (again / name).read_bytes() == (rendered / name).read_bytes()
    first = json.loads((rendered / "labels.json").read_text())["frames"][f"{kind}_000.png"]
    assert json.loads((again / "labels.json").read_text())["frames"] == {f"{kind}_000.png": first}

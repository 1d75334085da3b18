"""Labelled real frames on disk: the format `patrol bench thermal --real DIR` and the training script read.

DIR holds frame files (any format `patrol detect` reads), optional sidecars
`NAME.json` (frame metadata, as for `patrol detect`) and one `labels.json`:

    {"frames": {"NAME.jpg": {"people": [[x, y, w, h], ...],
                             "ignore": [[x, y, w, h], ...],   # optional: detections here count neither way
                             "tags": ["night"]}}}              # optional: figures are also printed per tag

A frame listed in labels.json but missing on disk, a box that is not four
numbers, or a bad sidecar is an error naming the file (ConfigError).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import ConfigError, FrameError
from thermal.cameras import FrameMeta
from thermal.frames import ThermalImage, load_image_file, parse_meta

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class RealFrame:
    """One labelled frame: the image, its metadata if any, person boxes, boxes to ignore, tags."""

    name: str
    image: ThermalImage
    meta: FrameMeta | None
    people: tuple[Box, ...]
    ignore: tuple[Box, ...]
    tags: tuple[str, ...]


def _boxes(raw: Any, where: str) -> tuple[Box, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: expected a list of [x, y, w, h]")
    out = []
    for i, b in enumerate(raw):
        if not (isinstance(b, list) and len(b) == 4 and all(isinstance(v, int | float) for v in b)):
            raise ConfigError(f"{where}[{i}]: expected [x, y, w, h] numbers, got {b!r:.60}")
        out.append((round(b[0]), round(b[1]), round(b[2]), round(b[3])))
    return tuple(out)


def read_labels(folder: Path) -> dict[str, dict[str, Any]]:
    """labels.json of a folder: frame name -> its entry (validated lazily by iter_real)."""
    path = Path(folder) / "labels.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read labels: {exc.strerror or exc}", path=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from exc
    frames = doc.get("frames") if isinstance(doc, dict) else None
    if not isinstance(frames, dict):
        raise ConfigError('expected {"frames": {NAME: {"people": [...]}}}', path=str(path))
    return frames


def iter_real(folder: Path | str, tag: str | None = None, every: int = 1) -> Iterator[RealFrame]:
    """The labelled frames of a folder in name order (only those with `tag`, when given; only every
    `every`-th name, for a quicker look)."""
    folder = Path(folder)
    labels = read_labels(folder)
    for name in sorted(labels)[::every]:
        entry = labels[name]
        where = f"{folder / 'labels.json'}: {name}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected an object with people")
        tags = tuple(str(t) for t in entry.get("tags", []))
        if tag is not None and tag not in tags:
            continue
        path = folder / name
        sidecar = path.with_suffix(".json")
        try:
            meta = parse_meta(json.loads(sidecar.read_text(encoding="utf-8"))) if sidecar.exists() else None
            image = load_image_file(path, meta.polarity if meta else None)
        except (FrameError, ValueError) as exc:
            raise ConfigError(f"{where}: {getattr(exc, 'reason', exc)}") from exc
        yield RealFrame(name, image, meta, _boxes(entry.get("people"), f"{where}.people"),
                        _boxes(entry.get("ignore"), f"{where}.ignore"), tags)

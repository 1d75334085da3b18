"""`patrol detect DIR --out F`: run the detector over a folder of frames.

Each `NAME.png` / `NAME.tif` / `NAME.tiff` (16-bit centi-kelvin) or `NAME.npy`
(float °C) with an optional sidecar `NAME.json` (metadata) gives one JSON
line per detection: Detection.to_dict() plus `frame` = NAME. Without a
sidecar the outputs are in pixels only (lat/lon null, camera_id = NAME, time =
the file's modification time). `NAME.truth.json` files are ignored.

Bad frames (corrupt, implausible, bad metadata) do not stop the run: each is
reported on stderr as `NAME: reason` and skipped. `detect_dir` returns the
number of bad files, so the CLI can exit non-zero when it is not 0.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from core.errors import FrameError
from thermal.cameras import check_meta_size
from thermal.detector import detect
from thermal.frames import load_frame_file, parse_meta

FRAME_SUFFIXES = (".png", ".tif", ".tiff", ".npy")


def frame_files(folder: Path) -> list[Path]:
    """Frame files of a folder, sorted by name (deterministic output)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES)


def detect_file(path: Path) -> list[dict[str, object]]:
    """Detections of one frame file as JSON-ready dicts; FrameError on a bad frame or sidecar."""
    name = path.stem
    frame = load_frame_file(path)
    sidecar = path.with_suffix(".json")
    meta = None
    if sidecar.exists():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FrameError(f"sidecar {sidecar.name} is not valid JSON: {exc}") from exc
        meta = parse_meta(raw)
        check_meta_size(meta, frame)
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    dets = detect(frame, meta, name, captured_at=when)
    out = []
    for d in dets:
        row = d.to_dict()
        row["frame"] = name
        out.append(row)
    return out


def detect_dir(folder: Path, out: Path, *, err: TextIO | None = None) -> int:
    """Write one JSON line per detection to `out`; returns the number of bad frame files."""
    err = err or sys.stderr
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameError(f"{folder}: not a directory")
    bad = 0
    with Path(out).open("w", encoding="utf-8") as fh:
        for path in frame_files(folder):
            try:
                rows = detect_file(path)
            except FrameError as exc:
                bad += 1
                print(f"{path.name}: {exc.reason}", file=err)
                continue
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return bad

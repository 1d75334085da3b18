"""`patrol detect DIR --out F`: run the detector over a folder of frames and videos.

Frames: `NAME.png` / `NAME.tif` / `NAME.tiff` (16-bit centi-kelvin, or 8-bit
grey), `NAME.jpg` / `NAME.jpeg` (8-bit grey), `NAME.npy` (float °C), each with
an optional sidecar `NAME.json` (metadata). 8-bit frames are white-hot or
black-hot (sidecar `polarity`, else detected) and give detections without
temperatures (null). Without a sidecar the outputs are in pixels only
(lat/lon null, camera_id = NAME, time = the file's modification time, the epoch when that is
no plausible date).

Videos: `NAME.mp4` / `NAME.mov` with the flight sidecar `NAME.json` and the
DJI telemetry `NAME.SRT` (see thermal/video.py), sampled every `every_s`
seconds; their detections carry positions and tracks (thermal/tracking.py),
and `frame` = `NAME#INDEX` (the video frame's index).

Every detection is one JSON line: Detection.to_dict() plus `frame`.
`NAME.truth.json`, `labels.json`, sidecars and SRT files are inputs, not
frames. A frame or video that cannot be used (corrupt, implausible, bad metadata
or telemetry) does not stop the run: it is named on stderr as `NAME: reason`
and counted; other files are named as skipped. A video's sampled frame that cannot be used
(altitude 0 before take-off, the gimbal above the horizon, a closed shutter) is named as
`NAME.mp4#INDEX: reason` and the rest of the video is read. A folder without a single readable frame is an
error (FrameError).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from core.errors import FrameError
from core.records import Detection
from core.validate import plausible_year
from thermal.cameras import check_meta_size
from thermal.detector import detect_image
from thermal.frames import IMAGE_SUFFIXES, load_image_file, parse_meta
from thermal.tracking import Tracker
from thermal.video import VIDEO_SAMPLE_S, VIDEO_SUFFIXES, SkippedFrame, read_sidecar, read_video

INPUT_SUFFIXES = (".json", ".srt")  # sidecars, labels and telemetry: read with their frame or video


def input_files(folder: Path) -> list[Path]:
    """Frame and video files of a folder (and unknown files, to be named), sorted by name.

    Pipes, devices and broken links are listed too, to be named: left out, a `frame.png` that was a
    dangling link was skipped without a word."""
    return sorted(p for p in folder.iterdir() if not p.is_dir() and p.suffix.lower() not in INPUT_SUFFIXES
                  and not p.name.startswith("."))


def _row(d: Detection, frame: str) -> dict[str, object]:
    row = d.to_dict()
    row["frame"] = frame
    return row


def file_time(path: Path) -> datetime | None:
    """A frame file's modification time, the time of its detections without a sidecar; None (the detector's
    epoch: no time) when it is no plausible date. A copy stamped year 2446 dated its detections so, and a
    timestamp past year 9999 (btrfs keeps 64-bit seconds) was a ValueError that stopped the run."""
    try:
        when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return when if plausible_year(when) else None


def detect_file(path: Path) -> list[dict[str, object]]:
    """Detections of one frame file as JSON-ready dicts; FrameError on a bad frame or sidecar."""
    name = path.stem
    sidecar = path.with_suffix(".json")
    meta = parse_meta(read_sidecar(sidecar)) if sidecar.exists() else None
    image = load_image_file(path, meta.polarity if meta else None)
    check_meta_size(meta, image.pixels)
    return [_row(d, name) for d in detect_image(image, meta, name, captured_at=file_time(path))]


def detect_video(path: Path, every_s: float = VIDEO_SAMPLE_S,
                 on_skip: Callable[[SkippedFrame], None] | None = None) -> Iterator[dict[str, object]]:
    """Detections of a video's sampled frames, tracked across them; FrameError on a bad video.

    A frame that cannot be used (its pose, time or image refused) goes to `on_skip` and the
    others are still read; without `on_skip` it refuses the video.
    """
    tracker = Tracker()
    skipped: list[SkippedFrame] = []
    used = False

    def skip(frame: SkippedFrame) -> None:
        skipped.append(frame)
        if on_skip is not None:
            on_skip(frame)

    for vf in read_video(path, every_s, skip if on_skip is not None else None):
        frame = f"{path.stem}#{vf.index}"
        try:
            found = detect_image(vf.image, vf.meta, frame)
        except FrameError as exc:  # a pose that sees no ground: the gimbal tilted up for a moment
            if on_skip is None:
                raise
            skip(SkippedFrame(vf.index, vf.offset_s, exc.reason))
            continue
        used = True
        for d in tracker.update(found, vf.meta):
            yield _row(d, frame)
    if not used and skipped:  # none of the sampled frames could be used: how many, and the first one's reason
        first = skipped[0]
        raise FrameError(f"no sampled frame could be used ({len(skipped)} skipped; #{first.index}: {first.reason})")


SKIPPED_SHOWN = 10  # frame indices named per reason; the rest are counted


def _name_skipped(path: Path, skipped: list[SkippedFrame], err: TextIO) -> None:
    """One stderr line per reason a video's frames were skipped: `NAME.mp4#0, #10: reason`."""
    by_reason: dict[str, list[int]] = {}
    for frame in skipped:
        by_reason.setdefault(frame.reason, []).append(frame.index)
    for reason, indices in by_reason.items():
        shown = ", #".join(str(i) for i in indices[:SKIPPED_SHOWN])
        more = f" (and {len(indices) - SKIPPED_SHOWN} more)" if len(indices) > SKIPPED_SHOWN else ""
        print(f"{path.name}#{shown}{more}: {reason}", file=err)


def detect_dir(folder: Path, out: Path, *, err: TextIO | None = None, every_s: float = VIDEO_SAMPLE_S) -> int:
    """Write one JSON line per detection to `out`; returns the number of files that could not be used.

    FrameError when the folder holds no readable frame or video at all.
    """
    err = err or sys.stderr
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameError(f"{folder}: not a directory")
    bad = readable = 0
    out = Path(out)
    try:
        fh = out.open("w", encoding="utf-8")
    except OSError as exc:  # --out naming a folder or a path in none was a traceback
        raise FrameError(f"{out}: cannot write the detections: {exc.strerror or exc}") from exc
    with fh:
        for path in input_files(folder):
            suffix = path.suffix.lower()
            if suffix not in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
                if path.resolve() != out.resolve():
                    print(f"{path.name}: skipped, not a frame or a video "
                          f"(want {', '.join(IMAGE_SUFFIXES + VIDEO_SUFFIXES)})", file=err)
                continue
            if not path.is_file():  # read, a pipe waits for a writer forever
                bad += 1
                print(f"{path.name}: cannot be read: not a regular file (a pipe, a device or a broken link)", file=err)
                continue
            skipped: list[SkippedFrame] = []
            try:
                rows = list(detect_video(path, every_s, skipped.append)) if suffix in VIDEO_SUFFIXES \
                    else detect_file(path)
            except FrameError as exc:
                bad += 1
                print(f"{path.name}: {exc.reason}", file=err)
                continue
            readable += 1
            _name_skipped(path, skipped, err)
            try:
                fh.writelines(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
            except OSError as exc:  # the disk filled up
                raise FrameError(f"{out}: cannot write the detections: {exc.strerror or exc}") from exc
    if not readable:
        raise FrameError(f"{folder}: no readable frame or video ({bad} file(s) could not be used)")
    return bad

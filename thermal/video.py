"""Thermal video files (.mp4/.mov): sampled frames, each with its metadata from the DJI SRT and the sidecar.

A recorded drone video is 8-bit after automatic gain control (white-hot or
black-hot). Frames are read with OpenCV and sampled every `every_s` seconds
of video time (default VIDEO_SAMPLE_S = 1 s: a person lying still stays for
minutes, and a drone at 10 m/s moves less than a 640-pixel frame's footprint
at 60 m, so one frame a second sees everyone while keeping the detector's
work small). Frames larger than the detector's 640x512 are reduced by an
integer factor (the field of view, hence the ground sample distance, is kept).

Each sampled frame's metadata: the subtitle of the `.SRT` file shown at that
moment gives time, position, altitude above take-off (and gimbal angles on
enterprise models); the flight sidecar (`NAME.json`) gives what the SRT
lacks: `camera_id`, `hfov_deg` (or fx/fy/cx/cy), `pitch_deg`/`yaw_deg`/`roll_deg`
when no gimbal angles are recorded, `polarity`, and either `srt_utc_offset_h`
(the drone clock's offset from UTC; 0 when absent) or `captured_at` (the
video's start, used when the SRT has no clock).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.errors import FrameError, RecordError
from core.records import parse_time
from core.validate import EARLIEST_YEAR, LATEST_YEAR, is_finite_number, plausible_year
from thermal.cameras import MAX_FRAME_SIDE, FrameMeta, reduction_factor
from thermal.frames import MAX_SIDECAR_BYTES, MAX_SRT_BYTES, ThermalImage, grey_image, parse_meta, read_bounded
from thermal.scene import reduced
from thermal.srt import Telemetry, at_offset, decode_srt, parse_srt, to_utc

VIDEO_SUFFIXES = (".mp4", ".mov")
VIDEO_SAMPLE_S = 1.0
SIDECAR_ONLY = ("srt_utc_offset_h",)


@dataclass(frozen=True)
class VideoFrame:
    """One sampled frame: its index in the video, offset (s), image and metadata."""

    index: int
    offset_s: float
    image: ThermalImage
    meta: FrameMeta


@dataclass(frozen=True)
class SkippedFrame:
    """A sampled frame that cannot be used, and why: on the ground before take-off (altitude 0), the gimbal above the
    horizon, no GNSS fix, a closed shutter. The rest of the flight still can."""

    index: int
    offset_s: float
    reason: str


def read_sidecar(path: Path) -> dict[str, Any]:
    """A JSON object sidecar; FrameError names the file when it is not one."""
    if path.exists() and not path.is_file() and not path.is_dir():  # a pipe or a device: read, it waited forever
        raise FrameError(f"sidecar {path.name} cannot be read: not a regular file (a device or a pipe)")
    try:
        # a byte-order mark (Windows tools) is tolerated, as in every hand-edited file
        raw = json.loads(read_bounded(path, "sidecar", MAX_SIDECAR_BYTES).decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, not UTF-8, or a number literal over 4300 digits
        raise FrameError(f"sidecar {path.name} is not valid JSON: {type(exc).__name__}: {str(exc)[:200]}") from exc
    except OSError as exc:
        raise FrameError(f"sidecar {path.name} cannot be read: {exc.strerror or exc}") from exc
    if not isinstance(raw, dict):
        raise FrameError(f"sidecar {path.name}: expected a JSON object")
    return raw


def frame_meta(sidecar: dict[str, Any], tel: Telemetry | None, offset_s: float, width: int,
               height: int) -> FrameMeta:
    """Validated metadata of one video frame: the SRT subtitle first, the flight sidecar for the rest."""
    d = {k: v for k, v in sidecar.items() if k not in SIDECAR_ONLY}
    d.setdefault("kind", "drone")
    d["width"], d["height"] = width, height
    if tel is not None and tel.clock is not None:
        offset_h = sidecar.get("srt_utc_offset_h", 0.0)
        if isinstance(offset_h, bool) or not isinstance(offset_h, int | float) or not -14 <= offset_h <= 14:
            raise FrameError(f"metadata: srt_utc_offset_h must be hours in -14..14, got {offset_h!r:.40}")
        d["captured_at"] = to_utc(tel.clock, float(offset_h)).isoformat()
    elif "captured_at" in d:
        # A FrameError naming the field: a RecordError stopped `patrol detect` without naming the video, and a start in
        # year 9999 overflowed once the frame's offset was added.
        try:
            start = parse_time(d["captured_at"], "captured_at")
        except RecordError as exc:
            raise FrameError(f"metadata: {exc.reason}") from exc
        if not plausible_year(start):
            raise FrameError(f"metadata: captured_at {start.isoformat()} is implausible (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})")
        try:
            d["captured_at"] = (start + timedelta(seconds=offset_s)).isoformat()
        except (OverflowError, ValueError):  # a container that lies about its frame rate (1e-10 fps): centuries a frame
            raise FrameError(f"metadata: a frame {offset_s:.3g} s after captured_at is past any date "
                             "(the video's frame rate is implausible)") from None
    if tel is not None:
        if tel.has_fix:
            d["lat"], d["lon"] = tel.lat, tel.lon
        for ours, theirs in (("alt_m", tel.rel_alt), ("yaw_deg", tel.gb_yaw), ("pitch_deg", tel.gb_pitch),
                             ("roll_deg", tel.gb_roll)):
            if theirs is not None:
                d[ours] = theirs
        if "yaw_deg" not in d and tel.drone_yaw is not None:
            d["yaw_deg"] = tel.drone_yaw  # a gimbal locked ahead points where the drone heads
    return parse_meta(d)


def _reduce(frame: np.ndarray) -> np.ndarray:
    """Shrink a frame larger than the detector accepts by the smallest integer factor that fits."""
    h, w = frame.shape[:2]
    return reduced(frame, reduction_factor(w, h))


def read_video(path: Path, every_s: float = VIDEO_SAMPLE_S,
               on_skip: Callable[[SkippedFrame], None] | None = None) -> Iterator[VideoFrame]:
    """Sampled frames of a video with their metadata (SRT next to it, sidecar `NAME.json`).

    FrameError when the video cannot be opened or its telemetry is malformed;
    a video without a sidecar cannot be placed on the map and is refused.
    A sampled frame whose metadata or image is refused is given to `on_skip`
    and the video goes on (one frame at altitude 0 before take-off refused a
    whole flight); without `on_skip` it refuses the video. Whether any frame
    was usable at all is the caller's to judge (`detect_video`: its detector
    may refuse the frames this yields too).
    """
    if not is_finite_number(every_s) or every_s <= 0:  # NaN and infinity failed as a ValueError/OverflowError traceback
        raise FrameError(f"sampling interval must be > 0 s, got {every_s}")
    sidecar_path = path.with_suffix(".json")
    if not sidecar_path.exists():
        raise FrameError(f"no flight sidecar {sidecar_path.name} (camera_id, hfov_deg, ...)")
    sidecar = read_sidecar(sidecar_path)
    srt_path = next((p for p in (path.with_suffix(".SRT"), path.with_suffix(".srt")) if p.exists()), None)
    telemetry: list[Telemetry] = []
    srt_name = srt_path.name if srt_path is not None else ""
    if srt_path is not None:
        if not srt_path.is_file() and not srt_path.is_dir():  # a pipe or a device: read, it waited forever
            raise FrameError(f"telemetry {srt_path.name} cannot be read: not a regular file (a device or a pipe)")
        try:
            text = decode_srt(read_bounded(srt_path, "telemetry", MAX_SRT_BYTES), srt_path.name)
        except OSError as exc:  # a folder named NAME.SRT stopped `patrol detect` with an IsADirectoryError traceback
            raise FrameError(f"telemetry {srt_path.name} cannot be read: {exc.strerror or exc}") from exc
        telemetry = parse_srt(text, srt_path.name)
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FrameError("video could not be opened (corrupt, truncated or an unknown codec)")
        width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
        if not (0 < width <= MAX_FRAME_SIDE and 0 < height <= MAX_FRAME_SIDE):
            # the decoder allocates a declared 16384x16384 frame (0.8 GB) before it is shrunk: refuse it by its header
            raise FrameError(f"video frames are {width:.0f}x{height:.0f}, not within 1-{MAX_FRAME_SIDE} a side")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not math.isfinite(fps) or fps <= 0:
            raise FrameError(f"video reports no frame rate ({fps})")
        step = max(1, round(every_s * fps))
        index = 0
        read_any = False
        polarity: str | None = None  # the sidecar's, else detected once on the first usable frame
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            read_any = True
            if index % step == 0:
                offset = index / fps
                small = _reduce(frame)
                h, w = small.shape[:2]
                try:
                    tel = at_offset(telemetry, offset)
                    if telemetry and tel is None:
                        raise FrameError(f"no telemetry at {offset:.1f} s: {srt_name} covers "
                                         f"{telemetry[0].start_s:.1f}-{telemetry[-1].end_s:.1f} s")
                    meta = frame_meta(sidecar, tel, offset, w, h)
                    image = grey_image(small, meta.polarity or polarity, f"video frame {index}")
                except FrameError as exc:
                    if on_skip is None:
                        raise
                    on_skip(SkippedFrame(index, offset, exc.reason))
                else:
                    polarity = image.polarity
                    yield VideoFrame(index, offset, image, meta)
            index += 1
        if not read_any:
            raise FrameError("video has no readable frame (corrupt or an unknown codec)")
    finally:
        cap.release()


def frame_record(vf: VideoFrame) -> dict[str, Any]:
    """A sampled video frame as a `thermal-frames` record (metadata plus `jpeg_b64`, white-hot),
    the way a ground station forwards a drone's video to the pipeline."""
    meta = {f.name: getattr(vf.meta, f.name) for f in fields(vf.meta)}
    meta["captured_at"] = vf.meta.captured_at.isoformat()
    meta["ground_points"] = [list(p) for p in vf.meta.ground_points] or None
    meta["polarity"] = "white-hot"  # ThermalImage pixels are warm-bright whatever the source
    ok, buf = cv2.imencode(".jpg", np.clip(vf.image.pixels, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise FrameError(f"video frame {vf.index} could not be encoded")
    meta["jpeg_b64"] = base64.b64encode(buf.tobytes()).decode("ascii")
    return {k: v for k, v in meta.items() if v is not None}

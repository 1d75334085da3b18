"""Thermal frames in, detections out: the detector and the stillness tracker.

Frames arrive as JSON metadata plus the 16-bit PNG (base64, `png_b64`).
Trackers are kept per camera in a changelogged table, so how long a person
has lain still survives a restart.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from agents.common import Outbox, stats
from core import topics as names
from core.errors import FrameError
from rules.context import Context
from rules.intake import parse_json
from thermal.detector import detect
from thermal.frames import decode_png, parse_meta
from thermal.tracking import Tracker


def frame_from_payload(raw: bytes) -> tuple[Any, Any]:
    """Metadata and temperatures (°C) of one frame record."""
    obj = parse_json(raw)
    encoded = obj.get("png_b64")
    if not isinstance(encoded, str) or not encoded:
        raise FrameError("png_b64: missing frame image", kind="missing_field")
    try:
        png = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FrameError(f"png_b64: not base64: {exc}", kind="malformed") from exc
    meta = parse_meta(obj)
    return meta, decode_png(png)


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("thermal")
    trackers = app.Table("thermal-trackers", default=None, key_type=str)

    @app.agent(topics(names.THERMAL_FRAMES), name="thermal")
    async def thermal(stream: Any) -> None:
        async for event in stream.events():
            raw = event.value
            try:
                meta, frame_c = frame_from_payload(raw)
                found = detect(frame_c, meta)
                saved = trackers.get(meta.camera_id)
                tracker = Tracker.from_dict(saved) if saved else Tracker()
                tracked = tracker.update(found, meta)
                await outbox.send_all([(names.DETECTIONS, meta.camera_id, d) for d in tracked])
                trackers[meta.camera_id] = tracker.to_dict()
            except Exception as exc:
                counters.dead_letters += 1
                await outbox.dead(names.THERMAL_FRAMES, raw, exc, event)
            counters.tick()

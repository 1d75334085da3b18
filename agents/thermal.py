"""Thermal frames in, detections out: the detector and the stillness tracker.

Frames arrive as JSON metadata plus the image in base64: `png_b64` (16-bit
centi-kelvin, or 8-bit grey) or `jpeg_b64` (8-bit grey; white-hot or black-hot
from `polarity`, else detected). 8-bit frames give detections without
temperatures.
Trackers are kept per camera (per centre and camera with several cities) in a
changelogged table, so how long a person has lain still survives a restart.

The agent reads the `clock` topic too and keeps each partition's latest tick
in a second changelogged table: a frame stamped more than the policy's
`max_ahead_min` past it is dead-lettered `future_time` before it is detected
or tracked (`thermal.tracking.Tracker.admit`; before the first tick the
camera's latest frame, kept with its tracker, bounds the next). A malformed
tick is left to the desk, which dead-letters it (one dead letter for it, not two).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from agents.common import Outbox, save_tables, stats
from core import topics as names
from core.errors import FrameError, RecordError
from core.records import parse_time
from rules.context import Province
from rules.intake import parse_json, parse_tick
from thermal.cameras import FrameMeta
from thermal.detector import detect_image
from thermal.frames import ThermalImage, decode_image, frame_name, parse_meta
from thermal.tracking import Tracker

IMAGE_FIELDS = ("png_b64", "jpeg_b64")
T = TypeVar("T")


class FrameThread:
    """A thread of its own for a frame's decoding and detection (10-300 ms of CPU a frame).

    Run on the event loop, a frame held every tip and ack of the worker (the
    desk and intake agents share that loop) for as long as it took; on this
    thread the loop keeps turning, since the GIL changes hands every few ms
    and in OpenCV's and numpy's calls (`patrol bench thermal`: event loop lag).
    One thread, awaited frame by frame: frames stay in order, as the tracker needs.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patrol-thermal")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)


def frame_from_payload(raw: bytes) -> tuple[FrameMeta, ThermalImage, str]:
    """Metadata, decoded image and name (`thermal.frames.frame_name`) of one frame record."""
    obj = parse_json(raw)
    given = [k for k in IMAGE_FIELDS if obj.get(k) is not None]
    if len(given) != 1:
        raise FrameError(f"need exactly one of {', '.join(IMAGE_FIELDS)} (the frame image)", kind="missing_field")
    field = given[0]
    encoded = obj[field]
    if not isinstance(encoded, str) or not encoded:
        raise FrameError(f"{field}: missing frame image", kind="missing_field")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FrameError(f"{field}: not base64: {exc}", kind="malformed") from exc
    meta = parse_meta(obj)
    return meta, decode_image(data, meta.polarity), frame_name(obj, meta)


def tracker_key(province: Province, raw: bytes, camera_id: str) -> str:
    """Where a camera's tracker is kept: `<centre>/<camera>` with several cities (camera ids need only be unique in a city).

    The centre is routed like any record (`centre` field, else the drone's
    position, ...); a frame nothing routes, and every frame of a one-city
    deployment, keeps the bare camera id. Its detections are routed, like any
    report, by their own positions (the detections agent).
    """
    if len(province.centres) == 1:
        return camera_id
    centre = province.route(parse_json(raw))
    return camera_id if centre is None else f"{centre}/{camera_id}"


def register(app: Any, topics: Any, province: Province) -> None:
    outbox = Outbox(topics)
    counters = stats("thermal")
    # Both tables are co-partitioned with the frames and ticks they are written from (Faust's PartitionsMismatch
    # on every write otherwise: with PATROL_PARTITIONS above 1 every frame was dead-lettered after its detections went out).
    partitions = topics.settings.partitions
    trackers = app.Table("thermal-trackers", default=None, partitions=partitions, key_type=str)
    clocks = app.Table("thermal-clock", default=None, partitions=partitions, key_type=str)  # a partition's number: its latest tick
    max_ahead_min = province.first.policy.max_ahead_min
    clock_topic = topics.settings.topic(names.CLOCK)
    frame_thread = FrameThread()

    async def note_tick(event: Any, partition: str) -> None:
        """Keep the partition's latest tick (ticks go to every partition; event time only moves forward)."""
        try:
            at = parse_tick(parse_json(event.value)).at
        except RecordError:
            return  # the desk dead-letters a malformed tick
        saved = clocks.get(partition)
        if saved is None or at > parse_time(saved, "tick"):
            await save_tables(app, event, (clocks, {partition: at.isoformat()}))

    @app.agent(topics.many(names.THERMAL_FRAMES, names.CLOCK), name="thermal")
    async def thermal(stream: Any) -> None:
        async for event in stream.events():
            raw = event.value
            partition = str(event.message.partition)
            source = names.CLOCK if event.message.topic == clock_topic else names.THERMAL_FRAMES
            try:
                if source == names.CLOCK:
                    await note_tick(event, partition)
                else:
                    meta, image, name = await frame_thread.run(frame_from_payload, raw)
                    key = tracker_key(province, raw, meta.camera_id)
                    saved = trackers.get(key)
                    tracker = Tracker.from_dict(saved) if saved else Tracker()
                    tick = clocks.get(partition)
                    tracker.admit(meta.captured_at, None if tick is None else parse_time(tick, "tick"), max_ahead_min)
                    tracked = tracker.update(await frame_thread.run(detect_image, image, meta, name), meta)
                    await outbox.send_all([(names.DETECTIONS, meta.camera_id, d) for d in tracked])
                    await save_tables(app, event, (trackers, {key: tracker.to_dict()}))
            except Exception as exc:
                counters.dead_letters += 1
                await outbox.dead(source, raw, exc, event)
            counters.tick()

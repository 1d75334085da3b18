"""Thermal frames through a real worker: detections become incidents, bad frames dead letters."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core import topics as names
from core.feed import FeedItem
from core.settings import Settings
from simulators.thermal.generator import generate_frame
from simulators.thermal.handmade import to_8bit
from tests.unit.thermal.test_video import write_video
from thermal.frames import centikelvin_to_c, encode_png
from thermal.video import frame_record, read_video
from tools.harness import pipeline_run

AT = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)  # 20:00 local


def frame_payload(seed: int) -> tuple[bytes, list[dict]]:
    frame, meta, truth = generate_frame(seed, kind="drone", alt_m=40.0, pitch_deg=-90.0, n_people=1, decoys=[], camera_id="drone-t",
                                        captured_at=AT)
    body = {**meta, "png_b64": base64.b64encode(encode_png(frame)).decode("ascii")}
    return json.dumps(body).encode(), truth


async def run(settings: Settings, log_dir: Path, items: list[FeedItem], ready_at: datetime = AT) -> list[tuple[str, dict]]:
    async with pipeline_run(settings, "thermal", ready_at=ready_at, log_dir=log_dir) as live:
        for item in items:
            await live.feeder.send(item)
        await live.feeder.barrier()
        return await live.feeder.drain()


@pytest.mark.parametrize("partitions", [1, 2])  # 2: the tables co-partitioned with the frames (every frame was dead-lettered)
def test_frames_become_welfare_checks_and_bad_frames_dead_letters(broker: str, tmp_path: Path, partitions: int) -> None:
    good, truth = frame_payload(5)
    assert truth and truth[0]["label"] == "person"
    truncated = json.loads(good)
    truncated["png_b64"] = truncated["png_b64"][: len(truncated["png_b64"]) // 2]
    no_pose = json.loads(good)
    del no_pose["alt_m"]
    ahead = {**json.loads(good), "captured_at": AT.replace(year=2099).isoformat()}  # a camera whose clock jumped forward
    items = [FeedItem(at=AT, seq=n, topic=names.THERMAL_FRAMES, value=v, key="drone-t")
             for n, v in enumerate([good, json.dumps(truncated).encode(), json.dumps(no_pose).encode(), b"not json",
                                    json.dumps(ahead).encode()])]
    outputs = asyncio.run(run(replace(Settings.from_env({}), broker=broker, partitions=partitions), tmp_path, items))
    events = [o for t, o in outputs if t == names.DISPATCH]
    dead = [o for t, o in outputs if t == names.DEAD_LETTERS]
    assert events and events[0]["category"] == "welfare_check" and events[0]["channels"] == ["thermal"]
    person = truth[0]
    from geo.distance import haversine_m

    assert haversine_m(events[0]["lat"], events[0]["lon"], person["lat"], person["lon"]) < 5.0
    assert len(dead) == 4 and {d["topic"] for d in dead} == {"thermal-frames"}
    assert all(d["reason"] for d in dead)
    future = [d for d in dead if d["error"] == "future_time"]  # refused against the ready tick, before the tracker
    assert len(future) == 1 and "2099" in future[0]["reason"] and AT.isoformat() in future[0]["reason"], dead
    assert json.loads(future[0]["payload"])["captured_at"] == ahead["captured_at"]


def test_an_8bit_jpeg_frame_becomes_a_welfare_check(broker: str, tmp_path: Path) -> None:
    """A drone's video frame (8-bit after gain control, black-hot JPEG, no temperatures) through the
    real worker: the person is found by contrast and size, placed on the map, and dispatched.
    (A standing person seen obliquely, as drone videos mostly look: the path is under test here;
    the bench measures the 8-bit detector, and the README says where it is weak.)"""
    frame, meta, truth = generate_frame(9, kind="drone", alt_m=40.0, pitch_deg=-60.0, n_people=1, decoys=[], camera_id="drone-v",
                                        captured_at=AT)
    jpeg = to_8bit(centikelvin_to_c(frame), "black-hot")
    body = {**meta, "polarity": "black-hot", "jpeg_b64": base64.b64encode(jpeg).decode("ascii")}
    both = {**body, "png_b64": base64.b64encode(encode_png(frame)).decode("ascii")}
    items = [FeedItem(at=AT, seq=n, topic=names.THERMAL_FRAMES, value=json.dumps(v).encode(), key="drone-v")
             for n, v in enumerate([body, both])]
    outputs = asyncio.run(run(replace(Settings.from_env({}), broker=broker), tmp_path, items))
    events = [o for t, o in outputs if t == names.DISPATCH]
    dead = [o for t, o in outputs if t == names.DEAD_LETTERS]
    assert events and events[0]["category"] == "welfare_check" and events[0]["channels"] == ["thermal"]
    from geo.distance import haversine_m

    assert haversine_m(events[0]["lat"], events[0]["lon"], truth[0]["lat"], truth[0]["lon"]) < 5.0
    assert len(dead) == 1 and "exactly one of" in dead[0]["reason"]


def test_a_dji_video_with_its_srt_through_the_topic_becomes_a_welfare_check(broker: str, tmp_path: Path) -> None:
    """A DJI-style video (8-bit, black-hot, SRT telemetry, flight sidecar) forwarded frame by frame
    as a ground station would: the people are placed from the SRT's position and dispatched."""
    truth = write_video(tmp_path)
    records = [frame_record(vf) for vf in read_video(tmp_path / "DJI_0001.mp4", every_s=1.0)]
    at = datetime.fromisoformat(records[0]["captured_at"])
    items = [FeedItem(at=at, seq=n, topic=names.THERMAL_FRAMES, value=json.dumps(r).encode(), key="m3t-1")
             for n, r in enumerate(records)]
    # The clock at the flight's time, as when a ground station forwards it live (frames 23 months behind the
    # clock are refused as stale).
    outputs = asyncio.run(run(replace(Settings.from_env({}), broker=broker), tmp_path, items, ready_at=at))
    events = [o for t, o in outputs if t == names.DISPATCH and o.get("category") == "welfare_check"]
    assert not [o for t, o in outputs if t == names.DEAD_LETTERS]
    from geo.distance import haversine_m

    people = [t for t in truth if t["label"] == "person"]
    assert events and all(min(haversine_m(e["lat"], e["lon"], p["lat"], p["lon"]) for p in people) < 5.0
                          for e in events)

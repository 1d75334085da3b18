"""Thermal frames through a real worker: detections become incidents, bad frames dead letters."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from core import topics as names
from core.feed import FeedItem
from core.settings import Settings
from simulators.thermal.generator import generate_frame
from thermal.frames import encode_png
from tools.harness import pipeline_run

AT = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)  # 20:00 local


def frame_payload(seed: int) -> tuple[bytes, list[dict]]:
    frame, meta, truth = generate_frame(seed, kind="drone", alt_m=40.0, pitch_deg=-90.0, n_people=1, decoys=[], camera_id="drone-t",
                                        captured_at=AT)
    body = {**meta, "png_b64": base64.b64encode(encode_png(frame)).decode("ascii")}
    return json.dumps(body).encode(), truth


async def run(settings: Settings, log_dir: Path, items: list[FeedItem]) -> list[tuple[str, dict]]:
    async with pipeline_run(settings, "thermal", ready_at=AT, log_dir=log_dir) as live:
        for item in items:
            await live.feeder.send(item)
        await live.feeder.barrier()
        return await live.feeder.drain()


def test_frames_become_welfare_checks_and_bad_frames_dead_letters(broker: str, tmp_path: Path) -> None:
    good, truth = frame_payload(5)
    assert truth and truth[0]["label"] == "person"
    truncated = json.loads(good)
    truncated["png_b64"] = truncated["png_b64"][: len(truncated["png_b64"]) // 2]
    no_pose = json.loads(good)
    del no_pose["alt_m"]
    items = [FeedItem(at=AT, seq=n, topic=names.THERMAL_FRAMES, value=v, key="drone-t")
             for n, v in enumerate([good, json.dumps(truncated).encode(), json.dumps(no_pose).encode(), b"not json"])]
    outputs = asyncio.run(run(replace(Settings.from_env({}), broker=broker), tmp_path, items))
    events = [o for t, o in outputs if t == names.DISPATCH]
    dead = [o for t, o in outputs if t == names.DEAD_LETTERS]
    assert events and events[0]["category"] == "welfare_check" and events[0]["channels"] == ["thermal"]
    person = truth[0]
    from geo.distance import haversine_m

    assert haversine_m(events[0]["lat"], events[0]["lon"], person["lat"], person["lon"]) < 5.0
    assert len(dead) == 3 and {d["topic"] for d in dead} == {"thermal-frames"}
    assert all(d["reason"] for d in dead)

"""A DJI-style thermal video with its SRT and flight sidecar: sampled frames, positions, tracks."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import FrameError
from geo.distance import haversine_m
from simulators.thermal.generator import generate_frame
from simulators.thermal.handmade import to_8bit
from thermal.frames import centikelvin_to_c
from thermal.offline import detect_dir
from thermal.video import SkippedFrame, read_video

FPS = 10
SECONDS = 3


def srt_text(meta: dict[str, object], n: int) -> str:
    """An M3T-style SRT, one subtitle per frame, the drone hovering."""
    start = datetime(2025, 1, 15, 3, 0, 0)
    blocks = []
    for i in range(n):
        a, b = i / FPS, (i + 1) / FPS
        t = start + timedelta(seconds=a)
        blocks.append(
            f"{i + 1}\n"
            f"00:00:{int(a):02d},{round(a % 1 * 1000):03d} --> 00:00:{int(b):02d},{round(b % 1 * 1000):03d}\n"
            f'<font size="28">FrameCnt: {i + 1}, DiffTime: 100ms\n'
            f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d}\n"
            f"[iso: 0] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [focal_len: 40.00] [latitude: {meta['lat']:.7f}] "
            f"[longitude: {meta['lon']:.7f}] [rel_alt: {meta['alt_m']:.3f} abs_alt: 152.100] "
            f"[gb_yaw: {meta['yaw_deg']:.1f} gb_pitch: {meta['pitch_deg']:.1f} gb_roll: 0.0] </font>\n")
    return "\n".join(blocks)


def write_video(folder: Path, name: str = "DJI_0001", seconds: int = SECONDS,
                blank: frozenset[int] = frozenset()) -> list[dict[str, object]]:
    ck, meta, truth = generate_frame(21, kind="drone", alt_m=35.0, pitch_deg=-90.0, n_people=2, decoys=[])
    frame_c = centikelvin_to_c(ck)
    writer = cv2.VideoWriter(str(folder / f"{name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (640, 512))
    rng = np.random.default_rng(0)
    for i in range(FPS * seconds):
        noisy = frame_c + rng.normal(0, 0.05, frame_c.shape).astype(np.float32)
        grey = cv2.imdecode(np.frombuffer(to_8bit(noisy, "black-hot"), np.uint8), cv2.IMREAD_GRAYSCALE)
        if i in blank:  # the shutter closed for a flat-field correction, or the core still warming up
            grey = np.zeros_like(grey)
        writer.write(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    writer.release()
    (folder / f"{name}.SRT").write_text(srt_text(meta, FPS * seconds))
    sidecar = {"camera_id": "m3t-1", "hfov_deg": meta["hfov_deg"], "polarity": "black-hot", "srt_utc_offset_h": 0}
    (folder / f"{name}.json").write_text(json.dumps(sidecar))
    return truth


def test_video_frames_are_sampled_with_srt_metadata(tmp_path: Path) -> None:
    write_video(tmp_path)
    frames = list(read_video(tmp_path / "DJI_0001.mp4", every_s=1.0))
    assert [f.index for f in frames] == [0, 10, 20]
    assert frames[1].meta.captured_at.isoformat() == "2025-01-15T03:00:01+00:00"
    assert frames[0].meta.pitch_deg == -90.0 and frames[0].meta.camera_id == "m3t-1"
    assert not frames[0].image.radiometric


def test_video_detections_carry_positions_and_tracks(tmp_path: Path) -> None:
    truth = write_video(tmp_path)
    out, err = tmp_path / "out.jsonl", io.StringIO()
    assert detect_dir(tmp_path, out, err=err, every_s=1.0) == 0, err.getvalue()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["frame"] for r in rows} == {"DJI_0001#0", "DJI_0001#10", "DJI_0001#20"}
    people = [t for t in truth if t["label"] == "person"]
    for r in rows:
        assert r["t_max_c"] is None and r["track_id"]
        assert min(haversine_m(r["lat"], r["lon"], p["lat"], p["lon"]) for p in people) < 3.0
    last = [r for r in rows if r["frame"] == "DJI_0001#20"]
    assert len({r["track_id"] for r in rows}) == len(last) and all(r["still_s"] == 2.0 for r in last)


def test_bad_videos_are_named(tmp_path: Path) -> None:
    write_video(tmp_path)
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    (tmp_path / "broken.json").write_text(json.dumps({"camera_id": "x", "hfov_deg": 40}))
    (tmp_path / "nosidecar.mov").write_bytes((tmp_path / "DJI_0001.mp4").read_bytes())
    (tmp_path / "badsrt.mp4").write_bytes((tmp_path / "DJI_0001.mp4").read_bytes())
    (tmp_path / "badsrt.json").write_text((tmp_path / "DJI_0001.json").read_text())
    (tmp_path / "badsrt.SRT").write_text((tmp_path / "DJI_0001.SRT").read_text().replace("[latitude: ", "[latitude: x", 1))
    err = io.StringIO()
    assert detect_dir(tmp_path, tmp_path / "out.jsonl", err=err) == 3
    text = err.getvalue()
    assert "broken.mp4: video" in text
    assert "nosidecar.mov: no flight sidecar" in text
    assert "badsrt.mp4: badsrt.SRT:5: lat:" in text
    for every_s in (0, float("nan"), float("inf")):  # `--every nan` and `--every inf` ended in a ValueError/OverflowError traceback
        with pytest.raises(FrameError, match="interval"):
            list(read_video(tmp_path / "DJI_0001.mp4", every_s=every_s))


def test_a_sidecar_that_is_no_json_object_names_itself(tmp_path: Path) -> None:
    # A number literal over 4300 digits (ValueError, not JSONDecodeError), JSON nested 100 000 deep (RecursionError) and a
    # folder named like the sidecar (IsADirectoryError) left read_sidecar uncaught: `patrol detect` died with a traceback.
    from thermal.video import read_sidecar

    (tmp_path / "long.json").write_text('{"alt_m": ' + "1" * 5000 + "}")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "dir.json").mkdir()
    for name in ("long.json", "deep.json", "dir.json"):
        with pytest.raises(FrameError) as refused:
            read_sidecar(tmp_path / name)
        assert name in refused.value.reason


def test_an_unreadable_srt_names_itself(tmp_path: Path) -> None:
    """A folder named like the video's SRT stopped `patrol detect` with an IsADirectoryError traceback."""
    (tmp_path / "a.mov").write_bytes(b"not a video")
    (tmp_path / "a.json").write_text(json.dumps({"camera_id": "x", "hfov_deg": 40}))
    (tmp_path / "a.SRT").mkdir()
    with pytest.raises(FrameError, match=r"telemetry a\.SRT cannot be read"):
        list(read_video(tmp_path / "a.mov"))


def test_a_sidecar_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A sidecar saved by a Windows tool with a BOM was refused as 'not valid JSON' and its frame or video lost."""
    from thermal.video import read_sidecar

    (tmp_path / "a.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"camera_id": "m3t-1", "hfov_deg": 40}).encode())
    assert read_sidecar(tmp_path / "a.json") == {"camera_id": "m3t-1", "hfov_deg": 40}


def test_a_frame_that_cannot_be_placed_is_skipped_not_the_whole_flight(tmp_path: Path) -> None:
    """Recording started on the ground (rel_alt 0), a closed shutter and the gimbal tilted up for a moment refused the
    whole video: every detection of the flight was lost. Such frames are named and skipped; the others are read."""
    write_video(tmp_path, seconds=4, blank=frozenset({10}))
    srt = (tmp_path / "DJI_0001.SRT").read_text().split("\n\n")
    srt = [b.replace("rel_alt: 35.000", "rel_alt: 0.000") if i < 5 else b for i, b in enumerate(srt)]
    srt[20] = srt[20].replace("gb_pitch: -90.0", "gb_pitch: 30.0")
    (tmp_path / "DJI_0001.SRT").write_text("\n\n".join(srt))
    out, err = tmp_path / "out.jsonl", io.StringIO()
    assert detect_dir(tmp_path, out, err=err, every_s=1.0) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {r["frame"] for r in rows} == {"DJI_0001#30"}
    text = err.getvalue()
    assert "DJI_0001.mp4#0: metadata: alt_m must be > 0" in text
    assert "DJI_0001.mp4#10: video frame 10 has only 1 grey level" in text
    assert "DJI_0001.mp4#20: metadata: pitch_deg=30 leaves no ground in view" in text
    # a video none of whose sampled frames can be used is refused, with the first reason
    (tmp_path / "DJI_0001.SRT").write_text(srt_text({"lat": 45.7, "lon": 126.6, "alt_m": 0.0, "yaw_deg": 0.0,
                                                      "pitch_deg": -90.0}, FPS * 4))
    err = io.StringIO()
    with pytest.raises(FrameError, match="no readable frame or video"):
        detect_dir(tmp_path, out, err=err, every_s=1.0)
    assert "DJI_0001.mp4: no sampled frame could be used (4 skipped; #0: metadata: alt_m must be > 0" in err.getvalue()


def test_frames_past_the_end_of_the_telemetry_are_not_placed(tmp_path: Path) -> None:
    """A video longer than its SRT (the file cut short) placed every later frame at the last subtitle's position."""
    write_video(tmp_path)
    srt = (tmp_path / "DJI_0001.SRT").read_text().split("\n\n")
    (tmp_path / "DJI_0001.SRT").write_text("\n\n".join(srt[:5]))  # 0.0-0.5 s of a 3 s video
    skipped: list[SkippedFrame] = []
    assert [f.index for f in read_video(tmp_path / "DJI_0001.mp4", 1.0, skipped.append)] == [0, 10]
    assert [(f.index, f.reason) for f in skipped] == [(20, "no telemetry at 2.0 s: DJI_0001.SRT covers 0.0-0.5 s")]


def test_a_sidecar_or_srt_that_is_a_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A FIFO named like a frame's sidecar or a video's SRT (or a device) was opened and read: `patrol detect` waited forever."""
    import os

    from thermal.video import read_sidecar

    os.mkfifo(tmp_path / "a.json")
    with pytest.raises(FrameError, match=r"a\.json.*not a regular file"):
        read_sidecar(tmp_path / "a.json")
    (tmp_path / "b.mov").write_bytes(b"not a video")
    (tmp_path / "b.json").write_text(json.dumps({"camera_id": "x", "hfov_deg": 40}))
    os.mkfifo(tmp_path / "b.SRT")
    with pytest.raises(FrameError, match=r"telemetry b\.SRT cannot be read: not a regular file"):
        list(read_video(tmp_path / "b.mov"))


def test_a_frame_sidecar_or_srt_of_gigabytes_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    """Every frame, sidecar and SRT was read whole: a file of gigabytes dropped in the input folder (a wrong export, a
    disk image named .SRT) was a MemoryError traceback or the OOM killer. Each is refused by name from its size
    (sparse files here: nothing is written to disk or read)."""
    import os

    from thermal.frames import MAX_FRAME_FILE_BYTES, MAX_SIDECAR_BYTES, MAX_SRT_BYTES, load_image_file
    from thermal.video import read_sidecar

    def sparse(path: Path, size: int) -> Path:
        with path.open("wb") as fh:
            fh.truncate(size)
        return path

    for name in ("huge.png", "huge.tif", "huge.jpg"):
        with pytest.raises(FrameError, match=rf"frame {name} is {MAX_FRAME_FILE_BYTES + 1} bytes"):
            load_image_file(sparse(tmp_path / name, MAX_FRAME_FILE_BYTES + 1))
    with pytest.raises(FrameError, match=r"sidecar big\.json is \d+ bytes, over the 16 MiB"):
        read_sidecar(sparse(tmp_path / "big.json", MAX_SIDECAR_BYTES + 1))
    (tmp_path / "b.mov").write_bytes(b"not a video")
    (tmp_path / "b.json").write_text(json.dumps({"camera_id": "x", "hfov_deg": 40}))
    sparse(tmp_path / "b.SRT", MAX_SRT_BYTES + 1)
    with pytest.raises(FrameError, match=r"telemetry b\.SRT is \d+ bytes"):
        list(read_video(tmp_path / "b.mov"))
    assert os.stat(tmp_path / "b.SRT").st_blocks == 0


def test_a_video_whose_frames_are_larger_than_any_camera_s_is_refused_by_its_header(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked before a frame is decoded: the decoder allocates each declared frame whole before it is shrunk."""
    write_video(tmp_path, seconds=1)
    monkeypatch.setattr("thermal.video.MAX_FRAME_SIDE", 600)  # the test's video is 640x512
    with pytest.raises(FrameError, match="640x512, not within 1-600"):
        list(read_video(tmp_path / "DJI_0001.mp4"))

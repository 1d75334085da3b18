"""Thermal detection: radiometric and 8-bit frames and videos in, people on the map out.

Layer 2, beside `rules` (imports `core` and `geo`). Its modules:

- `cameras`: camera models, pixels to ground positions (drones: pinhole and flat ground; fixed: homography).
- `frames`: frames (16-bit radiometric, 8-bit grey) and their metadata decoded and validated at the door.
- `scene`: the smooth background a warm thing stands out from, the sensor noise, and a frame `reduced` k times.
- `grey`: candidates and the learned person classifier of 8-bit frames.
- `detector`: `detect`, `detect_grey`, `detect_image`: people found in a frame.
- `srt`: DJI flight telemetry from a video's `.SRT` file.
- `video`: sampled video frames with their metadata (SRT and flight sidecar).
- `tracking`: `Tracker`, follows people across frames to know how long each has stayed still (`Tracker.admit`: not a frame dated past the clock, or before a tick past the camera's latest frame).
- `offline`: `patrol detect DIR`, the detector over a folder of frames and videos.

Import the modules (`from thermal.detector import detect`); this package file imports nothing.
"""

__all__ = ["cameras", "detector", "frames", "grey", "offline", "scene", "srt", "tracking", "video"]

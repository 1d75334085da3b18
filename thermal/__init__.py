"""Thermal detection: radiometric frames in, people on the map out.

Layer 2, beside `rules` (imports `core` and `geo`). Its modules:

- `cameras`: camera models, pixels to ground positions (drones: pinhole and flat ground; fixed: homography).
- `frames`: frames and their metadata decoded and validated at the door.
- `detector`: `detect`, people found in a frame, in physical units.
- `tracking`: `Tracker`, follows people across frames to know how long each has stayed still.
- `offline`: `patrol detect DIR`, the detector over a folder of frames.

Import the modules (`from thermal.detector import detect`); this package file imports nothing.
"""

__all__ = ["cameras", "detector", "frames", "offline", "tracking"]

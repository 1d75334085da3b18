"""Seeded thermal-frame generator with ground truth, for tests and the benchmark.

- `generator`: `generate_frame`, labelled radiometric frames (people and decoys) and their metadata.
- `handmade`: `independent_set`, a labelled test set painted in another style (not the generator's), and
  `to_8bit`, any frame as a drone video's 8-bit gain-controlled JPEG.
- `raycast`: an independent renderer (ray-cast 3-D people with limbs, six scene kinds) writing a labelled
  set for `patrol bench thermal --real DIR`: `python -m simulators.thermal.raycast DIR --seed N --per-kind K`.

Import the module (`from simulators.thermal.generator import generate_frame`); this package file imports nothing.
"""

__all__ = ["generator", "handmade", "raycast"]

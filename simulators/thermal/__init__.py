"""Seeded thermal-frame generator with ground truth, for tests and the benchmark.

- `generator`: `generate_frame`, labelled radiometric frames (people and decoys) and their metadata.

Import the module (`from simulators.thermal.generator import generate_frame`); this package file imports nothing.
"""

__all__ = ["generator"]

"""Simulators: seeded generators of drill nights and sensor data, with ground truth.

Layer 5 (imports `agents` and below; in practice `rules`, `geo`, `core`). Its modules:

- `world`: `DrillWorld`, a whole night: inputs in event-time order, reactions of the teams, the truth.
- `scenario`: a drill scenario as data (TOML), loaded and validated.
- `weather`, `people`, `reporters`, `cameras`, `teams`: the parts of the night.
- `citymap`: what the simulators need of a city, through one adapter.
- `thermal`: the seeded thermal-frame generator (subpackage).

Import the modules (`from simulators.world import DrillWorld`); this package file imports nothing.
"""

__all__ = ["cameras", "citymap", "people", "reporters", "scenario", "teams", "thermal", "weather", "world"]

"""Geometry of the city: the city as data, distances, where a point is, addresses.

Layer 1 (imports only `core`). Its modules:

- `city`: `load_city` reads and validates a city folder of GeoJSON layers into `City`; `city_map` gives
  the map layers as written, for drawing. The only reader of city files.
- `distance`: metric distances and offsets at city scale (`haversine_m`, `offset_latlon`).
- `gazetteer`: addresses as callers say them, resolved to places.
- `partners`: the city's partners (its partners.toml): who receives which notices where (`load_partners`).
- `zones`: `CityIndex`, where a point is: service area, district, patrol zone, nearest help point.

Import the modules (`from geo.city import load_city`); this package file imports nothing.
"""

__all__ = ["city", "distance", "gazetteer", "partners", "zones"]

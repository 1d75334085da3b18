"""Geometry of the city: the city as data, distances, where a point is, addresses.

Layer 1 (imports only `core`). Its modules:

- `addresskey`: the key addresses and place names are compared by (`address_key`, `pinyin_key`), for the gazetteer and the loader.
- `centres`: which dispatch centre (city) a record belongs to in a many-city deployment (`centre_for`, `route`).
- `chinacoords`: WGS-84 to GCJ-02 and BD-09 for Chinese map apps (`wgs84_to_gcj02`, `wgs84_to_bd09`).
- `city`: `load_city` reads and validates a city folder of GeoJSON layers into `City`; `city_map` gives
  the map layers as written, for drawing. The only reader of city files.
- `distance`: metric distances and offsets at city scale (`haversine_m`, `offset_latlon`).
- `gazetteer`: addresses as callers say them, resolved to places.
- `prefectures`: China's prefecture-level city names (libphonenumber's data): a place after another city's name is not ours.
- `partners`: the city's partners (its partners.toml): who receives which notices where (`load_partners`).
- `zones`: `CityIndex`, where a point is: service area, district, patrol zone, nearest help point.

Import the modules (`from geo.city import load_city`); this package file imports nothing.
"""

__all__ = ["addresskey", "centres", "chinacoords", "city", "distance", "gazetteer", "partners", "prefectures", "zones"]

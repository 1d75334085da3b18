"""Drones and fixed thermal cameras: when they look, where, and what they see.

The capture schedule (and so every frame id) is fixed when the world is
built; what a frame shows is decided when its time comes, from the persons
still present then, so a person a team took away is no longer seen. Frames
come from the thermal generator (`simulators.thermal.generator`); without
it, or in `detections` mode, the cameras publish `detections` records as an
edge device would.
"""

from __future__ import annotations

import base64
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from core.errors import ConfigError
from geo.distance import haversine_m, offset_latlon
from simulators.citymap import CityMap
from simulators.people import Person
from simulators.scenario import CameraSpec


@dataclass(frozen=True)
class Site:
    """A ground area one camera sees at one pose."""

    site_id: str
    camera_id: str
    kind: str  # "drone" or "fixed"
    lat: float  # centre of the seen ground
    lon: float
    radius_m: float  # persons within this of the centre are surely in view
    zone_id: str
    alt_m: float
    hfov_deg: float
    cam_lat: float  # camera position
    cam_lon: float
    yaw_deg: float
    pitch_deg: float


@dataclass
class Capture:
    frame_id: str
    at: datetime
    site: Site
    persons: list[str] = field(default_factory=list)  # filled when rendered
    decoys: int = 0


def _watched_zones(where: str, zone_ids: tuple[str, ...], kinds: tuple[str, ...], cm: CityMap, source: str) -> list[Any]:
    """The zones a camera spec names, by id or by key-area kind; a name the city lacks is an error."""
    if zone_ids:
        zones = []
        for zid in zone_ids:
            zone = cm.zone(zid)
            if zone is None:
                raise ConfigError(f"{where}.zones: unknown zone {zid!r} in this city", path=source)
            zones.append(zone)
        return zones
    zones = cm.key_zones(kinds)
    if not zones:
        raise ConfigError(f"{where}.key_areas: no zone of kinds {list(kinds)} in this city", path=source)
    return zones


def build_sites(spec: CameraSpec, cm: CityMap, source: str) -> list[Site]:
    """Camera sites from the scenario's routes and key-area kinds, checked against the city."""
    sites: list[Site] = []
    aspect = min(1.0, spec.height / spec.width)
    for d_index, drone in enumerate(spec.drones):
        zones = _watched_zones(f"cameras.drones[{d_index}]", drone.zones, drone.key_areas, cm, source)
        if not drone.zones:
            zones = zones[: drone.count]
        half_w = drone.alt_m * math.tan(math.radians(drone.hfov_deg / 2))
        for zone in zones:
            lat, lon = zone.center
            sites.append(Site(site_id=f"{drone.camera_id}@{zone.zone_id}", camera_id=drone.camera_id, kind="drone", lat=lat,
                              lon=lon, radius_m=0.7 * half_w * aspect, zone_id=zone.zone_id, alt_m=drone.alt_m,
                              hfov_deg=drone.hfov_deg, cam_lat=lat, cam_lon=lon, yaw_deg=0.0, pitch_deg=-90.0))
    if spec.fixed is not None:
        fx = spec.fixed
        zones = _watched_zones("cameras.fixed", fx.zones, fx.key_areas, cm, source)
        for n, zone in enumerate(zones[: fx.count], start=1):
            lat, lon = zone.center
            # The camera stands 12 m south of the watched spot, looking north and down.
            cam_lat, cam_lon = offset_latlon(lat, lon, 0.0, -12.0)
            pitch = -math.degrees(math.atan2(fx.height_m, 12.0))
            sites.append(Site(site_id=f"fixed-{n}", camera_id=f"fixed-{n}", kind="fixed", lat=lat, lon=lon, radius_m=4.0,
                              zone_id=zone.zone_id, alt_m=fx.height_m, hfov_deg=fx.hfov_deg, cam_lat=cam_lat,
                              cam_lon=cam_lon, yaw_deg=0.0, pitch_deg=round(pitch, 2)))
    return sites


def schedule(spec: CameraSpec, sites: list[Site], start: datetime, end: datetime, seed: int) -> list[Capture]:
    """Every capture of the night, in time order, with stable frame ids."""
    captures: list[tuple[datetime, str, Site]] = []
    for drone in spec.drones:
        route = [s for s in sites if s.camera_id == drone.camera_id]
        t = start + timedelta(minutes=drone.first_min)
        while t < end:
            for i, site in enumerate(route):
                at = t + timedelta(minutes=2 * i)
                if at < end:
                    captures.append((at, site.site_id, site))
            t += timedelta(minutes=drone.interval_min)
    if spec.fixed is not None:
        for site in (s for s in sites if s.kind == "fixed"):
            t = start + timedelta(minutes=1)
            while t < end:
                captures.append((t, site.site_id, site))
                t += timedelta(minutes=spec.fixed.interval_min)
    captures.sort(key=lambda c: (c[0], c[1]))
    return [Capture(frame_id=f"frame-{seed}-{n:05d}", at=at, site=site) for n, (at, _, site) in enumerate(captures, start=1)]


def in_view(site: Site, lat: float, lon: float) -> bool:
    return haversine_m(site.lat, site.lon, lat, lon) <= site.radius_m


def load_generator() -> Callable[..., Any] | None:
    """The thermal generator's `generate_frame`, if that module is installed."""
    try:
        module = importlib.import_module("simulators.thermal.generator")
    except ImportError:
        return None
    fn = getattr(module, "generate_frame", None)
    return fn if callable(fn) else None


def detection_records(capture: Capture, persons: list[Person], rng: np.random.Generator, first_seen: dict[tuple[str, str], datetime],
                      decoys: int) -> list[dict[str, Any]]:
    """What an edge device would publish for this capture (detections mode)."""
    out: list[dict[str, Any]] = []
    site = capture.site
    k = 0
    for person in persons:
        lat, lon = person.position(capture.at)
        err = 3.0 if site.kind == "fixed" else 6.0
        east, north = rng.normal(0.0, err / 2, size=2)
        dlat, dlon = offset_latlon(lat, lon, float(east), float(north))
        key = (site.camera_id, person.person_id)
        seen = first_seen.setdefault(key, capture.at)
        still = (capture.at - seen).total_seconds() if person.lying else 0.0
        posture = "lying" if person.lying else ("sitting" if rng.uniform() < 0.6 else "standing")
        t_max = float(rng.uniform(28.0, 34.0))
        out.append({
            "detection_id": f"{capture.frame_id}-d{k}", "camera_id": site.camera_id, "captured_at": capture.at.isoformat(),
            "bbox": _bbox(rng), "posture": posture, "t_max_c": round(t_max, 1), "t_mean_c": round(t_max - rng.uniform(8, 14), 1),
            "score": round(float(rng.uniform(0.7, 0.97)), 2), "lat": round(dlat, 6), "lon": round(dlon, 6), "error_m": err,
            "track_id": f"{site.camera_id}-trk-{person.person_id.rsplit('-', 1)[-1]}", "still_s": still,
            "frame": capture.frame_id,
        })
        capture.persons.append(person.person_id)
        k += 1
    for _ in range(decoys):
        # An edge device's weak false positive (a dog, a warm bin): low score.
        east, north = rng.normal(0.0, site.radius_m / 2, size=2)
        dlat, dlon = offset_latlon(site.lat, site.lon, float(east), float(north))
        if rng.uniform() < 0.3:
            out.append({
                "detection_id": f"{capture.frame_id}-d{k}", "camera_id": site.camera_id, "captured_at": capture.at.isoformat(),
                "bbox": _bbox(rng), "posture": "unknown", "t_max_c": round(float(rng.uniform(20.0, 40.0)), 1),
                "t_mean_c": round(float(rng.uniform(5.0, 15.0)), 1), "score": round(float(rng.uniform(0.2, 0.45)), 2),
                "lat": round(dlat, 6), "lon": round(dlon, 6), "error_m": 10.0, "track_id": None, "still_s": 0.0,
                "frame": capture.frame_id,
            })
            k += 1
    return out


def _bbox(rng: np.random.Generator) -> list[int]:
    x, y = int(rng.integers(10, 120)), int(rng.integers(10, 90))
    return [x, y, int(rng.integers(4, 12)), int(rng.integers(6, 20))]


def frame_record(capture: Capture, persons: list[Person], rng: np.random.Generator, spec: CameraSpec, ambient_c: float,
                 decoys: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A `thermal-frames` record (pose metadata plus the 16-bit PNG) and the frame's truth."""
    site = capture.site
    meta: dict[str, Any] = {
        "camera_id": site.camera_id, "kind": "drone", "captured_at": capture.at.isoformat(), "ambient_c": round(ambient_c, 1),
        "hfov_deg": site.hfov_deg, "width": spec.width, "height": spec.height, "lat": round(site.cam_lat, 7),
        "lon": round(site.cam_lon, 7), "alt_m": site.alt_m, "yaw_deg": site.yaw_deg, "pitch_deg": site.pitch_deg, "roll_deg": 0.0,
    }
    people = []
    for person in persons:
        lat, lon = person.position(capture.at)
        posture = "lying" if person.lying else ("sitting" if zlib_share(person.person_id) < 0.6 else "standing")
        people.append((person.person_id, lat, lon, posture))
    frame_ck, truth, ground_points = render_frame(meta, people, decoys, rng)
    from thermal.frames import encode_png

    if site.kind == "fixed":
        meta = {k: meta[k] for k in ("camera_id", "captured_at", "ambient_c", "width", "height")}
        meta["kind"] = "fixed"
        meta["ground_points"] = ground_points
    record = {**meta, "frame_id": capture.frame_id, "png_b64": base64.b64encode(encode_png(frame_ck)).decode("ascii")}
    capture.persons.extend(t["person_id"] for t in truth if t.get("person_id"))
    capture.decoys = decoys
    return record, truth


def zlib_share(name: str) -> float:
    """A stable number in [0, 1) per name (a person's usual posture)."""
    import zlib

    return (zlib.crc32(name.encode("utf-8")) % 1000) / 1000.0


def render_frame(meta: dict[str, Any], people: list[tuple[str, float, float, str]], decoys: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, list[dict[str, Any]], list[list[float]]]:
    """Paint persons at their true ground positions, plus decoys, with the thermal generator's models.

    `generate_frame` places people at random; a drill needs them where the
    world says they are, so this composes the generator's scene, object and
    sensor models directly (same physics, chosen positions).
    """
    from simulators.thermal import generator as gen
    from thermal.cameras import DroneCamera
    from thermal.frames import celsius_to_centikelvin, parse_meta

    width, height = int(meta["width"]), int(meta["height"])
    cam = DroneCamera(parse_meta(meta), width, height)
    ambient = float(meta["ambient_c"])
    sc = gen._Scene(rng, cam, ambient)
    sc.img[:] = ambient + float(rng.uniform(-3.0, 1.0))
    sc.img += gen._smooth_noise(rng, height, width, 6, 0.6)
    placed: list[tuple[float, float]] = []
    order: list[str] = []
    for pid, lat, lon, posture in people:
        x, y = cam.proj.to_xy(lat, lon)
        before = len(sc.items)
        gen._person(sc, x, y, posture)
        if len(sc.items) > before:
            placed.append((x, y))
            order.append(pid)
            truth_entry = sc.items[-1][3]
            if truth_entry is not None:
                truth_entry["person_id"] = pid
    for _ in range(decoys):
        kind = gen.DECOYS[int(rng.integers(len(gen.DECOYS)))]
        if kind == "window" and float(meta["pitch_deg"]) < -70:
            kind = "vent"
        for _attempt in range(10):
            u, v = float(rng.uniform(0.1, 0.9)) * width, float(rng.uniform(0.1, 0.9)) * height
            try:
                gx, gy = cam.pixel_to_xy(u, v)
            except Exception:
                continue
            clearance = 6.0 if kind in ("engine", "window") else 3.0
            if math.hypot(gx, gy) < 400.0 and all(math.hypot(gx - px, gy - py) > clearance for px, py in placed):
                placed.append((gx, gy))
                gen._decoy(sc, gx, gy, kind)
                break
    truth = _paint_with_ids(gen, sc)
    frame_ck = celsius_to_centikelvin(gen._sensor(rng, sc.img))
    ground_points = gen._ground_points(cam, rng)
    return frame_ck, truth, ground_points


def _paint_with_ids(gen: Any, sc: Any) -> list[dict[str, Any]]:
    """The generator's painter drops unknown truth keys; put the person ids back by position."""
    ids = {(round(t["lat"], 7), round(t["lon"], 7)): t["person_id"] for _, _, _, t in sc.items if t and "person_id" in t}
    truth: list[dict[str, Any]] = gen._paint(sc)
    for t in truth:
        t["person_id"] = ids.get((round(t["lat"], 7), round(t["lon"], 7)))
    return truth

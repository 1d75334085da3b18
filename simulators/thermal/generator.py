"""Seeded generator of labelled radiometric frames (people and decoys) with ground truth.

Objects are modelled in 3-D metres (ground footprints, upright cylinders,
boxes, facades), projected with the same pinhole model the georeferencing
uses, and painted far-to-near. The sensor then adds optics blur,
vignetting, fixed-pattern non-uniformity and temporal noise, and quantises to
16-bit centi-kelvin. Truth is the bbox of each person's painted pixels and
the person's ground position (feet / body centre).

Temperatures follow the domain brief: face and hands 28-35 °C, clothing a few
to 15 °C above ambient, engines and exhausts 35-110 °C, vents and manholes
uniform 5-35 °C with a steam halo, lamps 50-110 °C, windows 8-20 °C on a
facade, dogs 0.6-1 m with fur 5-12 °C above ambient.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from geo.distance import LocalProjection
from thermal.cameras import DroneCamera
from thermal.frames import celsius_to_centikelvin, encode_png, parse_meta

BASE_LAT = 45.7560  # Harbin, a north-east city of the winter campaign
BASE_LON = 126.6420
PERSON_POSTURES = ("standing", "sitting", "lying")
DECOYS = ("engine", "vent", "manhole", "lamp", "window", "dog")

STEAM = -999.0  # ramp marker of a soft steam halo layer
Layer = tuple[np.ndarray, float, float]  # (Nx2 pixel polygon, temp at start, temp ramp along the polygon)


@dataclass(frozen=True)
class Style:
    """Variations beyond the default family, for stress tests; the defaults reproduce it exactly.

    Every range is drawn with the same generator calls as before, so a default
    Style leaves existing seeds' frames unchanged; options that need new random
    draws only draw when they are switched on.
    """

    clothing_k: tuple[float, float] = (4.0, 15.0)  # clothing above ambient (wind, insulation lower it)
    skin_p: float = 0.8  # share of people with an exposed face
    dog_side_on: bool = False  # dogs broadside to the line of sight (long and high in oblique views)
    dog_head_k: tuple[float, float] = (3.0, 8.0)  # dog head (eyes, muzzle) above fur
    blur_px: tuple[float, float] = (0.5, 0.9)  # optics blur sigma
    vignette_k: tuple[float, float] = (0.5, 3.0)  # edge-to-centre fall-off
    column_k: tuple[float, float] = (0.05, 0.2)  # column fixed-pattern noise sigma
    row_k: tuple[float, float] = (0.03, 0.12)  # row fixed-pattern noise sigma
    netd_k: tuple[float, float] = (0.04, 0.1)  # temporal noise sigma
    nonuniform_k: float = 0.0  # smooth low-frequency gain/offset non-uniformity (uncorrected sensor)
    texture_k: float = 0.6  # smooth ground texture (snow, asphalt)
    people_spacing_m: float = 3.0  # minimum ground distance between people
    cluster_m: float | None = None  # people within this radius of the first one (groups)
    occlusion_p: float = 0.0  # chance that a cold object hides part of a person
    roads: int = 0  # sharp-edged strips of cleared asphalt, a few K warmer than snow
    sky: bool = False  # paint a cold sky above the horizon (oblique views)
    postures: tuple[str, ...] = PERSON_POSTURES  # people's postures, drawn uniformly (e.g. only "sitting")
    covered_p: float = 0.0  # chance that a lying person is in a sleeping bag or under a blanket: no face


DEFAULT_STYLE = Style()


class _Scene:
    """Camera, painting surface and truth of one frame."""

    def __init__(self, rng: np.random.Generator, cam: DroneCamera, ambient: float, style: Style = DEFAULT_STYLE) -> None:
        self.rng = rng
        self.cam = cam
        self.ambient = ambient
        self.style = style
        self.ground = ambient  # snow/asphalt base temperature, set by the frame
        self.h, self.w = cam.height, cam.width
        self.img = np.empty((self.h, self.w), np.float32)
        self.items: list[tuple[float, str, list[Layer], dict[str, Any] | None]] = []

    def project(self, pts: np.ndarray) -> np.ndarray | None:
        """Nx3 ENU points -> Nx2 pixels, None when any point is behind the camera."""
        c = (pts - np.array([0.0, 0.0, self.cam.alt])) @ self.cam.R
        if np.any(c[:, 2] < 0.5):
            return None
        return np.column_stack([self.cam.fx * c[:, 0] / c[:, 2] + self.cam.cx,
                                self.cam.fy * c[:, 1] / c[:, 2] + self.cam.cy])

    def hull(self, pts: np.ndarray) -> np.ndarray | None:
        px = self.project(pts)
        if px is None:
            return None
        return np.asarray(cv2.convexHull(px.astype(np.float32)).reshape(-1, 2))

    def add(self, x: float, y: float, kind: str, layers: list[Layer], truth: dict[str, Any] | None,
            dist: float | None = None) -> None:
        dist = math.hypot(x, y) if dist is None else dist
        self.items.append((dist, kind, layers, truth))


def _circle(cx: float, cy: float, z: float, r: float, n: int = 12) -> np.ndarray:
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a), np.full(n, z)])


def _rect(cx: float, cy: float, z: float, length: float, width: float, theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    pts = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        lx, ly = dx * length / 2, dy * width / 2
        pts.append((cx + lx * c - ly * s, cy + lx * s + ly * c, z))
    return np.array(pts)


def _ellipse(cx: float, cy: float, z: float, length: float, width: float, theta: float, n: int = 16) -> np.ndarray:
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    lx, ly = length / 2 * np.cos(a), width / 2 * np.sin(a)
    c, s = math.cos(theta), math.sin(theta)
    return np.column_stack([cx + lx * c - ly * s, cy + lx * s + ly * c, np.full(n, z)])


def _box(cx: float, cy: float, z0: float, z1: float, length: float, width: float, theta: float) -> np.ndarray:
    return np.vstack([_rect(cx, cy, z0, length, width, theta), _rect(cx, cy, z1, length, width, theta)])


# --------------------------------------------------------------------------- objects


def _skin(rng: np.random.Generator, ambient: float, clothing: float, skin_p: float = 0.8) -> float:
    """Exposed face 28-35 °C most of the time; a hood or hat shows clothing-like warmth."""
    if rng.random() < skin_p:
        return float(rng.uniform(28.0, 35.0))
    return clothing + float(rng.uniform(2.0, 6.0))


def _person(sc: _Scene, x: float, y: float, posture: str) -> None:
    rng, amb, st = sc.rng, sc.ambient, sc.style
    clothing = amb + float(rng.uniform(*st.clothing_k))
    theta = float(rng.uniform(0, 2 * math.pi))
    layers: list[Layer] = []
    ramp = float(rng.uniform(-3.0, 3.0))
    height_c = 0.15
    if posture == "lying" and st.covered_p > 0 and rng.random() < st.covered_p:
        parts = _covered(sc, x, y, theta, amb)
    elif posture == "lying":
        length, width = float(rng.uniform(1.5, 1.9)), float(rng.uniform(0.4, 0.6))
        body = sc.hull(_ellipse(x, y, 0.2, length, width, theta))
        hx, hy = x + (length / 2 - 0.13) * math.cos(theta), y + (length / 2 - 0.13) * math.sin(theta)
        head = sc.hull(_circle(hx, hy, 0.25, 0.12))
        parts = [(body, clothing, ramp), (head, _skin(rng, amb, clothing, st.skin_p), 0.0)]
        if rng.random() < 0.5:
            a = theta + 0.5
            hand = sc.hull(_circle(x + 0.3 * math.cos(a), y + 0.3 * math.sin(a), 0.3, 0.06))
            parts.append((hand, float(rng.uniform(26.0, 33.0)), 0.0))
    elif posture == "standing":
        tall, r = float(rng.uniform(1.55, 1.85)), float(rng.uniform(0.2, 0.27))
        body = sc.hull(np.vstack([_circle(x, y, 0.0, r * 0.8), _circle(x, y, tall - 0.25, r)]))
        head = sc.hull(np.vstack([_circle(x, y, tall - 0.24, 0.1), _circle(x, y, tall, 0.09)]))
        parts = [(body, clothing, ramp), (head, _skin(rng, amb, clothing, st.skin_p), 0.0)]
        height_c = 0.9
    else:  # sitting on the ground against a wall or on steps
        tall, r = float(rng.uniform(0.85, 1.05)), float(rng.uniform(0.22, 0.3))
        fx, fy = x + 0.35 * math.cos(theta), y + 0.35 * math.sin(theta)
        body = sc.hull(np.vstack([_circle(x, y, 0.0, r), _circle(x, y, tall - 0.22, r),
                                  _box(fx, fy, 0.0, 0.25, 0.55, 0.4, theta)]))
        head = sc.hull(np.vstack([_circle(x, y, tall - 0.22, 0.1), _circle(x, y, tall, 0.09)]))
        parts = [(body, clothing, ramp), (head, _skin(rng, amb, clothing, st.skin_p), 0.0)]
        height_c = 0.45
    layers = [(p, t, g) for p, t, g in parts if p is not None]
    if len(layers) < len(parts):
        return
    lat, lon = sc.cam.proj.to_latlon(x, y)
    sc.add(x, y, "person", layers, {"posture": posture, "lat": lat, "lon": lon, "height_c": height_c})
    if st.occlusion_p > 0 and rng.random() < st.occlusion_p:
        _occluder(sc, x, y, layers)


def _covered(sc: _Scene, x: float, y: float, theta: float, amb: float) -> list[tuple[np.ndarray | None, float, float]]:
    """A rough sleeper in a sleeping bag or under a blanket: wider than a body, no face, only a few
    K above ambient through the insulation, the hood end a little warmer; a blanket's outline is
    irregular."""
    rng = sc.rng
    length, width = float(rng.uniform(1.7, 2.1)), float(rng.uniform(0.6, 0.95))
    cover = amb + float(rng.uniform(1.5, 5.0))
    outline = _ellipse(x, y, 0.25, length, width, theta, n=24)
    if rng.random() < 0.5:  # a blanket: a lumpy outline
        centre = np.array([x, y])
        outline[:, :2] = centre + (outline[:, :2] - centre) * rng.uniform(0.85, 1.15, (len(outline), 1))
    hx, hy = x + (length / 2 - 0.25) * math.cos(theta), y + (length / 2 - 0.25) * math.sin(theta)
    hood = _ellipse(hx, hy, 0.3, 0.45, width * 0.7, theta)
    return [(sc.hull(outline), cover, float(rng.uniform(-1.0, 1.0))), (sc.hull(hood), cover + float(rng.uniform(1.0, 3.0)), 0.0)]


def _occluder(sc: _Scene, x: float, y: float, layers: list[Layer]) -> None:
    """A cold object (parked car, bin, snowbank, branch) in front of part of a person.

    Drawn in pixels over 30-60 % of the person's box from one side (mostly the
    bottom, as things on the ground in front of a standing or sitting person).
    """
    rng = sc.rng
    pts = np.vstack([p for p, _, _ in layers])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    bw, bh = x1 - x0, y1 - y0
    frac = float(rng.uniform(0.3, 0.6))
    side = int(rng.choice(4, p=[0.55, 0.15, 0.15, 0.15]))  # bottom, top, left, right
    m = 2.0 + 0.5 * max(bw, bh)
    if side == 0:
        box = (x0 - m, y1 - frac * bh, x1 + m, y1 + m)
    elif side == 1:
        box = (x0 - m, y0 - m, x1 + m, y0 + frac * bh)
    elif side == 2:
        box = (x0 - m, y0 - m, x0 + frac * bw, y1 + m)
    else:
        box = (x1 - frac * bw, y0 - m, x1 + m, y1 + m)
    poly = np.array([[box[0], box[1]], [box[2], box[1]], [box[2], box[3]], [box[0], box[3]]], np.float64)
    temp = sc.ground + float(rng.uniform(-1.0, 1.0))
    sc.add(x, y, "occluder", [(poly, temp, 0.0)], None, dist=math.hypot(x, y) - 1e-3)


def _decoy(sc: _Scene, x: float, y: float, kind: str) -> None:
    rng, amb, st = sc.rng, sc.ambient, sc.style
    theta = float(rng.uniform(0, 2 * math.pi))
    if kind == "dog" and st.dog_side_on:
        theta = math.atan2(y, x) + math.pi / 2  # broadside to a camera above the nadir
    parts: list[tuple[np.ndarray | None, float, float]] = []
    if kind == "engine":
        body = sc.hull(_box(x, y, 0.2, 1.45, 4.4, 1.8, theta))
        c, s = math.cos(theta), math.sin(theta)
        hood = sc.hull(_rect(x + 1.5 * c, y + 1.5 * s, 1.0, 1.2, 1.6, theta))
        core = sc.hull(_rect(x + 1.5 * c, y + 1.5 * s, 1.02, 0.6, 0.8, theta))
        exhaust = sc.hull(_circle(x - 2.25 * c + 0.5 * s, y - 2.25 * s - 0.5 * c, 0.3, 0.12))
        hood_t = float(rng.uniform(35.0, 55.0))
        parts = [(body, amb + float(rng.uniform(-1.0, 3.0)), 0.0), (hood, hood_t, 0.0),
                 (core, hood_t + float(rng.uniform(8.0, 25.0)), 0.0), (exhaust, float(rng.uniform(60.0, 110.0)), 0.0)]
    elif kind in ("vent", "manhole"):
        temp = float(rng.uniform(10.0, 35.0) if kind == "vent" else rng.uniform(5.0, 25.0))
        steam = sc.hull(_circle(x, y, 0.3, float(rng.uniform(0.8, 1.8)), 16))
        if kind == "vent":
            core = sc.hull(_rect(x, y, 0.0, float(rng.uniform(0.6, 1.2)), float(rng.uniform(0.4, 0.9)), theta))
        else:
            core = sc.hull(_circle(x, y, 0.0, float(rng.uniform(0.3, 0.4)), 20))
        if rng.random() < 0.6:
            parts.append((steam, amb + float(rng.uniform(2.0, 6.0)), STEAM))
        parts.append((core, temp, 0.0))
    elif kind == "lamp":
        z = float(rng.uniform(5.0, 8.0))
        pole = sc.hull(np.vstack([_circle(x, y, 0.0, 0.07, 6), _circle(x, y, z, 0.06, 6)]))
        head = sc.hull(_ellipse(x, y, z, float(rng.uniform(0.3, 0.6)), 0.25, theta))
        parts = [(pole, amb + float(rng.uniform(0.5, 2.0)), 0.0), (head, float(rng.uniform(50.0, 110.0)), 0.0)]
    elif kind == "window":
        # a facade facing the camera with a grid of warm windows
        face = math.atan2(-y, -x)
        along = face + math.pi / 2
        ca, sa = math.cos(along), math.sin(along)
        wall_w, wall_h = float(rng.uniform(8.0, 14.0)), float(rng.uniform(6.0, 12.0))

        def wall_pt(a: float, z: float) -> tuple[float, float, float]:
            return (x + a * ca, y + a * sa, z)

        wall = sc.hull(np.array([wall_pt(-wall_w / 2, 0), wall_pt(wall_w / 2, 0),
                                 wall_pt(wall_w / 2, wall_h), wall_pt(-wall_w / 2, wall_h)]))
        parts.append((wall, amb + float(rng.uniform(1.0, 4.0)), 0.0))
        ww, wh = float(rng.uniform(1.0, 1.5)), float(rng.uniform(1.2, 1.8))
        for a in np.arange(-wall_w / 2 + 1.5, wall_w / 2 - 1.0, 3.0):
            for z in np.arange(1.5, wall_h - 1.5, 3.0):
                if rng.random() < 0.7:
                    win = sc.hull(np.array([wall_pt(a, z), wall_pt(a + ww, z), wall_pt(a + ww, z + wh),
                                            wall_pt(a, z + wh)]))
                    parts.append((win, float(rng.uniform(8.0, 20.0)), 0.0))
    elif kind == "dog":
        length, zb = float(rng.uniform(0.6, 1.0)), float(rng.uniform(0.3, 0.5))
        fur = amb + float(rng.uniform(5.0, 12.0))
        body = sc.hull(np.vstack([_box(x, y, zb, zb + 0.25, length, 0.26, theta), _rect(x, y, 0.0, length * 0.8, 0.2, theta)]))
        c, s = math.cos(theta), math.sin(theta)
        head = sc.hull(_circle(x + (length / 2 + 0.08) * c, y + (length / 2 + 0.08) * s, zb + 0.25, 0.09))
        parts = [(body, fur, 0.0), (head, fur + float(rng.uniform(*st.dog_head_k)), 0.0)]
    layers = [(p, t, g) for p, t, g in parts if p is not None]
    if layers:
        sc.add(x, y, kind, layers, None)


# --------------------------------------------------------------------------- rendering


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int, amp: float) -> np.ndarray:
    small = rng.normal(0.0, amp, (cells, max(2, cells * w // h))).astype(np.float32)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC))


def _paint(sc: _Scene) -> list[dict[str, Any]]:
    """Paint far-to-near; return person truths with bboxes of their visible pixels."""
    truths: list[dict[str, Any]] = []
    owner = np.full((sc.h, sc.w), -1, np.int32)
    persons: list[dict[str, Any]] = []
    steam_layer = np.zeros_like(sc.img)
    for _, _kind, layers, truth in sorted(sc.items, key=lambda it: -it[0]):
        idx = len(persons) if truth is not None else -2
        for poly, temp, ramp in layers:
            pts = np.round(poly * 16).astype(np.int32).reshape(-1, 1, 2)
            if ramp == STEAM:  # steam: soft halo added later
                m = np.zeros_like(sc.img)
                cv2.fillPoly(m, [pts], 1.0, lineType=cv2.LINE_AA, shift=4)
                soft = cv2.GaussianBlur(m, (0, 0), max(1.0, float(np.ptp(poly[:, 0])) / 6))
                steam_layer = np.maximum(steam_layer, soft * (temp - sc.ambient))
                continue
            mask = np.zeros((sc.h, sc.w), np.uint8)
            cv2.fillPoly(mask, [pts], 1, shift=4)
            sel = mask.astype(bool)
            if not sel.any():
                continue
            if ramp:
                vv = np.mgrid[0 : sc.h, 0 : sc.w][0].astype(np.float32)
                ys = vv[sel]
                span = max(1.0, float(ys.max() - ys.min()))
                sc.img[sel] = temp + ramp * ((ys - ys.min()) / span - 0.5)
            else:
                sc.img[sel] = temp
            owner[sel] = idx
        if truth is not None:
            persons.append(truth)
    sc.img += steam_layer * (owner == -1)
    for i, t in enumerate(persons):
        ys, xs = np.nonzero(owner == i)
        if len(xs) < 6:
            continue
        x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
        item = {"bbox": [x0, y0, x1 - x0 + 1, y1 - y0 + 1], "posture": t["posture"],
                "lat": round(t["lat"], 7), "lon": round(t["lon"], 7), "label": "person"}
        if x0 <= 0 or y0 <= 0 or x1 >= sc.w - 1 or y1 >= sc.h - 1:
            item["partial"] = True  # cut by the image border: scorers should not count it
        truths.append(item)
    return truths


def _sensor(rng: np.random.Generator, img: np.ndarray, style: Style = DEFAULT_STYLE) -> np.ndarray:
    """Optics blur, vignetting, fixed-pattern non-uniformity and temporal noise."""
    h, w = img.shape
    out = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(*style.blur_px)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    out -= float(rng.uniform(*style.vignette_k)) * r2 / 2
    out += rng.normal(0.0, float(rng.uniform(*style.column_k)), (1, w)).astype(np.float32)
    out += rng.normal(0.0, float(rng.uniform(*style.row_k)), (h, 1)).astype(np.float32)
    out += rng.normal(0.0, float(rng.uniform(*style.netd_k)), (h, w)).astype(np.float32)
    if style.nonuniform_k > 0:
        out += _smooth_noise(rng, h, w, 3, style.nonuniform_k)
    return out


def _roads(sc: _Scene, n: int, ground: float) -> None:
    """Sharp-edged strips of cleared asphalt (4-10 m wide, 1.5-4 K above snow) across the view."""
    rng = sc.rng
    for _ in range(n):
        try:
            cx, cy = sc.cam.pixel_to_xy(float(rng.uniform(0.2, 0.8)) * sc.w, float(rng.uniform(0.2, 0.8)) * sc.h)
        except Exception:
            continue
        strip = sc.hull(_rect(cx, cy, 0.0, 400.0, float(rng.uniform(4.0, 10.0)), float(rng.uniform(0, math.pi))))
        if strip is None:
            continue
        mask = np.zeros((sc.h, sc.w), np.uint8)
        cv2.fillPoly(mask, [np.round(strip * 16).astype(np.int32).reshape(-1, 1, 2)], 1, shift=4)
        sc.img[mask > 0] = ground + float(rng.uniform(1.5, 4.0))


def _sky(sc: _Scene) -> None:
    """Clear night sky (20-40 K below ambient) where a pixel's ray misses the ground."""
    cam = sc.cam
    vv, uu = np.mgrid[0 : sc.h, 0 : sc.w].astype(np.float64)
    a, b = (uu - cam.cx) / cam.fx, (vv - cam.cy) / cam.fy
    up = cam.R[2, 0] * a + cam.R[2, 1] * b + cam.R[2, 2]
    norm = np.sqrt(a * a + b * b + 1.0)
    sky = up / norm > -math.sin(math.radians(1.0))
    sc.img[sky] = sc.ambient - float(sc.rng.uniform(20.0, 40.0))


def generate_frame(
    rng_or_seed: np.random.Generator | int,
    *,
    kind: str | None = None,
    alt_m: float | None = None,
    pitch_deg: float | None = None,
    n_people: int | None = None,
    decoys: list[str] | None = None,
    width: int = 640,
    height: int = 512,
    camera_id: str | None = None,
    captured_at: datetime | None = None,
    ambient_c: float | None = None,
    hfov_deg: float | None = None,
    style: Style = DEFAULT_STYLE,
) -> tuple[np.ndarray, dict[str, Any], list[dict[str, Any]]]:
    """One labelled frame: (uint16 centi-kelvin, metadata dict, truth list).

    `ambient_c`, `hfov_deg` and `style` vary the scene beyond the default
    family (stress tests); left at their defaults they change nothing.
    """
    rng = rng_or_seed if isinstance(rng_or_seed, np.random.Generator) else np.random.default_rng(rng_or_seed)
    kind = kind or ("fixed" if rng.random() < 0.2 else "drone")
    ambient = float(rng.uniform(-25.0, 0.0))
    hfov = float(rng.uniform(35.0, 60.0))
    ambient = ambient if ambient_c is None else float(ambient_c)
    hfov = hfov if hfov_deg is None else float(hfov_deg)
    lat0 = BASE_LAT + float(rng.uniform(-0.03, 0.03))
    lon0 = BASE_LON + float(rng.uniform(-0.04, 0.04))
    yaw = float(rng.uniform(0.0, 360.0))
    if kind == "drone":
        alt = alt_m if alt_m is not None else float(rng.uniform(20.0, 80.0))
        pitch = pitch_deg if pitch_deg is not None else float(rng.uniform(-90.0, -45.0))
        roll = float(rng.normal(0.0, 1.0))
    else:
        alt = alt_m if alt_m is not None else float(rng.uniform(5.0, 12.0))
        pitch = pitch_deg if pitch_deg is not None else float(rng.uniform(-50.0, -25.0))
        roll = 0.0
    at = captured_at or datetime(2025, 1, 15, 2, 0, tzinfo=UTC) + timedelta(seconds=int(rng.integers(0, 86400)))
    cam_id = camera_id or f"{kind}-{int(rng.integers(1, 100)):02d}"
    pose = {"camera_id": cam_id, "kind": "drone", "captured_at": at.isoformat(), "ambient_c": round(ambient, 2),
            "hfov_deg": round(hfov, 3), "width": width, "height": height, "lat": lat0, "lon": lon0,
            "alt_m": round(alt, 3), "yaw_deg": round(yaw, 3), "pitch_deg": round(pitch, 3), "roll_deg": round(roll, 3)}
    cam = DroneCamera(parse_meta(pose), width, height)
    sc = _Scene(rng, cam, ambient, style)
    ground = ambient + float(rng.uniform(-3.0, 1.0))
    sc.ground = ground
    sc.img[:] = ground
    sc.img += _smooth_noise(rng, height, width, 6, style.texture_k)
    if style.roads:
        _roads(sc, style.roads, ground)
        sc.img += _smooth_noise(rng, height, width, 12, 0.3)

    def ground_spot(margin: float = 0.08) -> tuple[float, float] | None:
        # fixed cameras: keep within 35 m so people stay several pixels tall
        for _ in range(20):
            u = float(rng.uniform(margin, 1 - margin)) * width
            v = float(rng.uniform(margin, 1 - margin)) * height
            try:
                gx, gy = cam.pixel_to_xy(u, v)
            except Exception:
                continue
            if math.hypot(gx, gy) < (35.0 if kind == "fixed" else 400.0):
                return gx, gy
        return None

    n = n_people if n_people is not None else int(rng.integers(0, 4))
    placed: list[tuple[float, float]] = []

    def free(p: tuple[float, float], clearance: float) -> bool:
        return all(math.hypot(p[0] - q[0], p[1] - q[1]) > clearance for q in placed)

    for _ in range(n):
        p = ground_spot()
        if style.cluster_m is not None and placed and p is not None:
            a, r = float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(style.people_spacing_m, style.cluster_m))
            p = (placed[0][0] + r * math.cos(a), placed[0][1] + r * math.sin(a))
        if p is not None and free(p, style.people_spacing_m):
            placed.append(p)
            _person(sc, p[0], p[1], style.postures[int(rng.integers(0, len(style.postures)))])
    kinds = decoys if decoys is not None else [DECOYS[int(i)] for i in rng.integers(0, len(DECOYS), int(rng.integers(0, 4)))]
    for dk in kinds:
        if dk == "window" and pitch < -70:
            dk = "vent"  # a facade is edge-on from overhead
        p = ground_spot()
        if p is not None and free(p, 6.0 if dk in ("engine", "window") else 3.0):
            placed.append(p)
            _decoy(sc, p[0], p[1], dk)
    truth = _paint(sc)
    if style.sky:
        _sky(sc)
    frame_ck = celsius_to_centikelvin(_sensor(rng, sc.img, style))
    if kind == "drone":
        meta = pose
    else:
        meta = {k: pose[k] for k in ("camera_id", "captured_at", "ambient_c", "width", "height")}
        meta["kind"] = "fixed"
        meta["ground_points"] = _ground_points(cam, rng)
    return frame_ck, meta, truth


def _ground_points(cam: DroneCamera, rng: np.random.Generator) -> list[list[float]]:
    """Six surveyed [u, v, lat, lon] points in the lower half of a fixed camera's view."""
    pts: list[list[float]] = []
    for fu, fv in ((0.1, 0.55), (0.9, 0.55), (0.1, 0.95), (0.9, 0.95), (0.5, 0.75), (0.3, 0.85)):
        u, v = fu * cam.width, fv * cam.height
        x, y = cam.pixel_to_xy(u, v)
        lat, lon = cam.proj.to_latlon(x, y)
        pts.append([round(u, 2), round(v, 2), round(lat, 8), round(lon, 8)])
    return pts


def write_dataset(folder: Path | str, n: int, seed: int = 0, **kwargs: Any) -> list[str]:
    """NAME.png + NAME.json (metadata) + NAME.truth.json for n frames; returns the names."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []
    for i in range(n):
        frame, meta, truth = generate_frame(rng, **kwargs)
        name = f"frame_{i:05d}"
        (out / f"{name}.png").write_bytes(encode_png(frame))
        (out / f"{name}.json").write_text(json.dumps(meta, indent=1))
        (out / f"{name}.truth.json").write_text(json.dumps(truth, indent=1))
        names.append(name)
    return names


def local_projection(meta: dict[str, Any]) -> LocalProjection:
    """Projection around a drone's nadir (helper for tests)."""
    return LocalProjection(float(meta["lat"]), float(meta["lon"]))

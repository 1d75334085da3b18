"""An independent labelled test set, painted in 2-D in another style than generator.py.

The generator models people as 3-D cylinders and boxes; the detector was
tuned on it. These frames are painted directly in pixels with shapes drawn
from other descriptions (silhouettes with legs and arms, people sitting on a
step, sleeping bags and blankets with no face, a person face down, a large
standing person close to a street camera), on scenes the generator does not
make (dusk at +8 °C, wet asphalt, warm facades), with decoys drawn the same
way (cars with a hot engine, vents, lamps, dogs, a manhole with steam). Only
the camera geometry (thermal.cameras) is shared, to size things right.

`independent_set(seed)` gives radiometric frames; `to_8bit` turns any frame
into the automatic-gain-control 8-bit image a drone's video would show
(white-hot or black-hot), round-tripped through JPEG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import numpy as np

from thermal.cameras import DroneCamera
from thermal.frames import parse_meta

BASE_LAT, BASE_LON = 59.9139, 10.7522  # another city than the generator's
W, H = 640, 512
KINDS = ("sitting", "standing-street", "sleeping-bag", "blanket", "face-down", "dusk", "cold-large", "decoys")
DECOY_KINDS = ("car", "vent", "lamp", "dog", "manhole")


@dataclass
class HandFrame:
    """One painted frame: °C pixels, metadata dict, person boxes and what the scene shows."""

    name: str
    frame_c: np.ndarray
    meta: dict[str, Any]
    people: list[tuple[int, int, int, int]] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)


class _Canvas:
    """A °C image with a camera model to size shapes in metres at a pixel."""

    def __init__(self, rng: np.random.Generator, meta: dict[str, Any], cam: DroneCamera, ground_c: float) -> None:
        self.rng = rng
        self.meta = meta
        self.cam = cam
        self.img = np.full((H, W), ground_c, np.float32)
        self.ground = ground_c
        self.people: list[tuple[int, int, int, int]] = []

    def px(self, u: float, v: float) -> tuple[float, float]:
        """(pixels per metre across the line of sight, sin of depression) at a pixel."""
        m, s = self.cam.scale_at(u, v)
        return 1.0 / m, s

    def paint(self, mask: np.ndarray, temp: float | np.ndarray) -> None:
        self.img[mask > 0] = temp if np.isscalar(temp) else np.asarray(temp)[mask > 0]

    def person_box(self, mask: np.ndarray) -> None:
        ys, xs = np.nonzero(mask)
        self.people.append((int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)))


def _mask() -> np.ndarray:
    return np.zeros((H, W), np.uint8)


def _ellipse(mask: np.ndarray, u: float, v: float, a: float, b: float, angle: float) -> np.ndarray:
    cv2.ellipse(mask, (round(u), round(v)), (max(1, round(a)), max(1, round(b))), angle, 0, 360, 255, -1)
    return mask


def _standing(c: _Canvas, u: float, v: float, clothing: float, face: float | None) -> None:
    """A side-on silhouette: legs, torso with arms, head; feet at (u, v)."""
    k, s = c.px(u, v)
    cos = math.sqrt(max(0.0, 1.0 - s * s))
    tall = (float(c.rng.uniform(1.6, 1.85)) * cos + 0.3 * s) * k
    wide = float(c.rng.uniform(0.45, 0.55)) * k
    m = _mask()
    leg_w = max(1, round(0.18 * wide))
    cv2.rectangle(m, (round(u - 0.3 * wide), round(v - 0.47 * tall)), (round(u - 0.3 * wide) + leg_w, round(v)), 255, -1)
    cv2.rectangle(m, (round(u + 0.3 * wide) - leg_w, round(v - 0.47 * tall)), (round(u + 0.3 * wide), round(v)), 255, -1)
    cv2.rectangle(m, (round(u - 0.5 * wide), round(v - 0.85 * tall)), (round(u + 0.5 * wide), round(v - 0.45 * tall)),
                  255, -1)
    _ellipse(m, u, v - 0.92 * tall, 0.22 * wide, 0.08 * tall, 0)
    c.paint(m, clothing + c.rng.normal(0.0, 0.6, (H, W)).astype(np.float32))
    if face is not None:
        c.paint(_ellipse(_mask(), u, v - 0.92 * tall, 0.16 * wide, 0.055 * tall, 0), face)
    c.person_box(m)


def _sitting(c: _Canvas, u: float, v: float, clothing: float, face: float | None) -> None:
    """Seen from a drone: a rounded back and bent legs in front, head on top."""
    k, s = c.px(u, v)
    angle = float(c.rng.uniform(0, 180))
    m = _mask()
    _ellipse(m, u, v, 0.3 * k, 0.45 * k * max(s, 0.5), angle)  # torso
    dx, dy = math.cos(math.radians(angle)) * 0.45 * k, math.sin(math.radians(angle)) * 0.45 * k * max(s, 0.5)
    _ellipse(m, u + dx, v + dy, 0.35 * k, 0.15 * k, angle)  # thighs
    c.paint(m, clothing)
    if face is not None:
        c.paint(_ellipse(_mask(), u - 0.4 * dx, v - 0.4 * dy - 0.1 * k, 0.1 * k, 0.1 * k, 0), face)
    c.person_box(m)


def _lying(c: _Canvas, u: float, v: float, temp: float, *, length: float, width: float, hood: float,
           wobble: float) -> None:
    """A sleeping bag, a blanket or a body face down: an elongated shape, no face; the hood end a
    little warmer; `wobble` makes a blanket's outline irregular."""
    k, s = c.px(u, v)
    angle = float(c.rng.uniform(0, 180))
    n = 24
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    r = 1.0 + wobble * c.rng.uniform(-1, 1, n)
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ex, ey = 0.5 * length * k * np.cos(t) * r, 0.5 * width * k * np.sin(t) * r
    pts = np.column_stack([u + ex * ca - ey * sa, v + (ex * sa + ey * ca) * s]).round().astype(np.int32)
    m = _mask()
    cv2.fillPoly(m, [pts], 255)
    c.paint(m, temp)
    head = _ellipse(_mask(), u + 0.35 * length * k * ca, v + 0.35 * length * k * sa * s, 0.15 * k, 0.12 * k * s, angle)
    c.paint(cv2.bitwise_and(head, m), temp + hood)
    c.person_box(m)


def _decoy(c: _Canvas, kind: str, u: float, v: float, ambient: float) -> None:
    k, s = c.px(u, v)
    rng = c.rng
    angle = float(rng.uniform(0, 180))
    if kind == "car":  # body near ambient, bonnet warm, engine block and exhaust hot
        m = _mask()
        box = cv2.boxPoints(((u, v), (4.4 * k, 1.8 * k * max(s, 0.4)), angle)).astype(np.int32)
        cv2.fillPoly(m, [box], 255)
        c.paint(m, ambient + float(rng.uniform(2, 6)))
        ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        c.paint(_ellipse(_mask(), u + 1.5 * k * ca, v + 1.5 * k * sa * s, 0.6 * k, 0.5 * k * max(s, 0.4), angle),
                float(rng.uniform(45, 75)))
    elif kind == "vent":  # a uniform warm grille
        m = _mask()
        side = float(rng.uniform(0.5, 0.9)) * k
        cv2.rectangle(m, (round(u - side / 2), round(v - side * s / 2)), (round(u + side / 2), round(v + side * s / 2)),
                      255, -1)
        c.paint(m, ambient + float(rng.uniform(18, 30)))
    elif kind == "lamp":  # small and very hot
        c.paint(_ellipse(_mask(), u, v, 0.2 * k, 0.2 * k, 0), float(rng.uniform(60, 110)))
    elif kind == "dog":  # body, head, fur a few K above ambient
        fur = ambient + float(rng.uniform(5, 9))
        m = _ellipse(_mask(), u, v, 0.4 * k, 0.14 * k * max(s, 0.5), angle)
        ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        _ellipse(m, u + 0.45 * k * ca, v + 0.45 * k * sa * s, 0.1 * k, 0.08 * k, angle)
        c.paint(m, fur)
    elif kind == "manhole":  # a disc with a soft steam halo
        halo = np.zeros((H, W), np.float32)
        cv2.circle(halo, (round(u), round(v)), max(2, round(0.9 * k)), 1.0, -1)
        c.img += cv2.GaussianBlur(halo, (0, 0), max(1.0, 0.4 * k)) * float(rng.uniform(3, 6))
        c.paint(_ellipse(_mask(), u, v, 0.35 * k, 0.35 * k * s, 0), ambient + float(rng.uniform(15, 25)))


def _camera(rng: np.random.Generator, i: int, *, alt: float, pitch: float, hfov: float, ambient: float,
            fixed: bool) -> tuple[dict[str, Any], DroneCamera]:
    at = datetime(2025, 2, 3, 22, 0, tzinfo=UTC) + timedelta(minutes=7 * i)
    pose = {"camera_id": f"hand-{'fixed' if fixed else 'drone'}-{i:03d}", "kind": "drone", "captured_at": at.isoformat(),
            "ambient_c": round(ambient, 2), "hfov_deg": hfov, "width": W, "height": H,
            "lat": BASE_LAT + float(rng.uniform(-0.01, 0.01)), "lon": BASE_LON + float(rng.uniform(-0.01, 0.01)),
            "alt_m": alt, "yaw_deg": float(rng.uniform(0, 360)), "pitch_deg": pitch, "roll_deg": 0.0}
    cam = DroneCamera(parse_meta(pose), W, H)
    if not fixed:
        return pose, cam
    pts = []
    for fu, fv in ((0.1, 0.6), (0.9, 0.6), (0.1, 0.97), (0.9, 0.97), (0.5, 0.8)):
        x, y = cam.pixel_to_xy(fu * W, fv * H)
        lat, lon = cam.proj.to_latlon(x, y)
        pts.append([fu * W, fv * H, lat, lon])
    meta = {k: pose[k] for k in ("camera_id", "captured_at", "ambient_c", "width", "height")}
    meta.update(kind="fixed", ground_points=pts)
    return meta, cam


def _spots(rng: np.random.Generator, n: int, v_lo: float, v_hi: float, gap: float) -> list[tuple[float, float]]:
    """n pixel positions at least `gap` pixels apart."""
    out: list[tuple[float, float]] = []
    for _ in range(200):
        if len(out) == n:
            break
        u, v = float(rng.uniform(0.1, 0.9)) * W, float(rng.uniform(v_lo, v_hi)) * H
        if all(math.hypot(u - a, v - b) > gap for a, b in out):
            out.append((u, v))
    return out


def _scene(rng: np.random.Generator, i: int, kind: str) -> HandFrame:
    dusk = kind == "dusk"
    ambient = float(rng.uniform(6, 10)) if dusk else float(rng.uniform(-22, -5))
    if kind == "cold-large":
        ambient = -20.0
    street = kind in ("standing-street", "cold-large")
    if street:
        alt, pitch, hfov = float(rng.uniform(4, 6)), float(rng.uniform(-22, -15)), 50.0
        if kind == "cold-large":
            alt, pitch, hfov = 4.0, -14.0, 40.0
    elif dusk:
        alt, pitch, hfov = 43.0, float(rng.uniform(-50, -35)), 40.0
    else:
        alt, pitch, hfov = float(rng.uniform(20, 45)), float(rng.uniform(-90, -55)), float(rng.uniform(40, 55))
    meta, cam = _camera(rng, i, alt=alt, pitch=pitch, hfov=hfov, ambient=ambient, fixed=street)
    ground = ambient + float(rng.uniform(-1.0, 2.5))
    c = _Canvas(rng, meta, cam, ground)
    # background: smooth texture, a warm facade or wet asphalt band
    tex = cv2.resize(rng.normal(0, 1.0, (8, 10)).astype(np.float32), (W, H), interpolation=cv2.INTER_CUBIC)
    c.img += tex * float(rng.uniform(0.4, 1.2))
    band = _mask()
    y0 = int(rng.integers(H // 3, H - 60))
    cv2.rectangle(band, (0, y0), (W, y0 + int(rng.integers(25, 60))), 255, -1)
    c.img[band > 0] += float(rng.uniform(1.0, 3.0))
    decoys: list[str] = []
    def skin() -> float | None:
        return float(rng.uniform(24, 33)) if rng.random() < 0.6 else None
    v_lo = 0.55 if street else 0.12
    def clothing() -> float:
        return ambient + float(rng.uniform(4, 12))
    if kind == "sitting":
        for u, v in _spots(rng, int(rng.integers(2, 4)), v_lo, 0.88, 60):
            _sitting(c, u, v, clothing(), skin())
    elif kind in ("standing-street", "cold-large"):
        n = 1 if kind == "cold-large" else int(rng.integers(2, 4))
        for u, v in _spots(rng, n, 0.75 if kind == "cold-large" else 0.6, 0.95, 90):
            _standing(c, u, v, clothing(), skin())
    elif kind == "dusk":
        for u, v in _spots(rng, 2, 0.3, 0.85, 80):
            _standing(c, u, v, ambient + float(rng.uniform(4, 8)), float(rng.uniform(15, 20)))
    elif kind in ("sleeping-bag", "blanket", "face-down"):
        for u, v in _spots(rng, int(rng.integers(1, 3)), v_lo, 0.88, 90):
            if kind == "sleeping-bag":
                _lying(c, u, v, ambient + float(rng.uniform(3, 7)), length=2.0, width=0.75, hood=2.0, wobble=0.03)
            elif kind == "blanket":
                _lying(c, u, v, ambient + float(rng.uniform(2.5, 6)), length=1.9, width=1.0, hood=1.0, wobble=0.12)
            else:
                _lying(c, u, v, ambient + float(rng.uniform(5, 10)), length=1.75, width=0.5, hood=3.0, wobble=0.02)
    if kind == "decoys" or rng.random() < 0.5:
        kinds = list(DECOY_KINDS) if kind == "decoys" else [DECOY_KINDS[int(rng.integers(0, len(DECOY_KINDS)))]]
        taken = [(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in c.people]
        for dk in kinds:
            for u, v in _spots(rng, 8, v_lo, 0.9, 0):
                if all(math.hypot(u - a, v - b) > 110 for a, b in taken):
                    _decoy(c, dk, u, v, ambient)
                    taken.append((u, v))
                    decoys.append(dk)
                    break
    blurred = cv2.GaussianBlur(c.img, (0, 0), float(rng.uniform(0.6, 1.0)))
    noisy = blurred + rng.normal(0, float(rng.uniform(0.04, 0.1)), (H, W)).astype(np.float32)
    return HandFrame(f"{kind}-{i:03d}", noisy.astype(np.float32), meta, c.people, decoys)


def independent_set(seed: int = 515, per_kind: int = 6) -> list[HandFrame]:
    """`per_kind` frames of each KINDS scene, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    return [_scene(rng, i * len(KINDS) + j, kind) for i in range(per_kind) for j, kind in enumerate(KINDS)]


def to_8bit(frame_c: np.ndarray, polarity: str = "white-hot", jpeg_quality: int = 85) -> bytes:
    """Automatic gain control as a drone's video does it: the 0.5-99.9 percentile range stretched
    over 0..255, black-hot inverted, then JPEG-encoded (returns the JPEG bytes)."""
    lo, hi = np.percentile(frame_c, [0.5, 99.9])
    grey = np.clip((frame_c - lo) / max(hi - lo, 1e-3) * 255.0, 0, 255).astype(np.uint8)
    if polarity == "black-hot":
        grey = cv2.bitwise_not(grey)
    ok, buf = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()

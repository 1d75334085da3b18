"""Pixels to ground positions: pinhole + flat ground for drones, homography for fixed cameras.

Conventions (as common drone gimbal metadata): `yaw_deg` is the heading of
the optical axis clockwise from true north, `pitch_deg` 0 level and -90
straight down, `roll_deg` 0 with the image rows level (positive rolls the
image's right side down); `u` grows right, `v` down, origin top-left. At
pitch -90 and yaw 0 the top of the image faces north.

The local frame is east/north/up metres around the drone's nadir point (or
around the centroid of a fixed camera's ground points). Ground is flat at
height 0; the detector may intersect a ray with a plane at a person's
centroid height instead, so a standing person seen obliquely is placed above
the feet and not behind them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import cv2
import numpy as np

from core.errors import FrameError
from geo.distance import LocalProjection

_Num = TypeVar("_Num", float, np.ndarray)  # a pixel's coordinate, or many pixels' at once

# The detector works on frames up to MAX_WIDTH x MAX_HEIGHT (the common 640x512 thermal core); a larger
# frame (a 1280x1024 core, a street camera's still) is reduced to fit by an integer factor before detection
# (`thermal.detector.detect_image`, `thermal.video`). MAX_FRAME_SIDE bounds what is read at all: a decoder's memory.
MAX_WIDTH = 640
MAX_HEIGHT = 512
MAX_FRAME_SIDE = 2048  # 1280x1024 and 1920x1080 fit; a 4096x4096 PNG of 120 kB held the worker's loop for 0.6 s
MAX_SURVEY_RESIDUAL_M = 5.0  # more than 4 points that disagree by more than this are a survey error

# Default pose uncertainty (1 sigma) of a consumer drone with GNSS and gimbal
# IMU; a sidecar can override them with pos_sigma_m / alt_sigma_m / att_sigma_deg.
DEFAULT_POS_SIGMA_M = 1.0
DEFAULT_ALT_SIGMA_M = 0.5
DEFAULT_ATT_SIGMA_DEG = 0.5
# Survey error of a fixed camera's ground points (1 sigma, metres).
DEFAULT_SURVEY_SIGMA_M = 0.3


@dataclass(frozen=True)
class FrameMeta:
    """Validated metadata of one frame; what georeferencing and sizing need."""

    camera_id: str
    kind: str
    captured_at: datetime
    ambient_c: float | None = None
    width: int | None = None
    height: int | None = None
    hfov_deg: float | None = None
    polarity: str | None = None  # of an 8-bit frame: "white-hot" or "black-hot"; None: detect it
    fx: float | None = None
    fy: float | None = None
    cx: float | None = None
    cy: float | None = None
    lat: float | None = None
    lon: float | None = None
    alt_m: float | None = None
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float = 0.0
    ground_points: tuple[tuple[float, float, float, float], ...] = ()
    pos_sigma_m: float = DEFAULT_POS_SIGMA_M
    alt_sigma_m: float = DEFAULT_ALT_SIGMA_M
    att_sigma_deg: float = DEFAULT_ATT_SIGMA_DEG
    survey_sigma_m: float = DEFAULT_SURVEY_SIGMA_M

    @property
    def has_pose(self) -> bool:
        """True when pixels can be put on the ground (drone pose or homography)."""
        if self.kind == "fixed":
            return len(self.ground_points) >= 4
        return self.lat is not None and self.alt_m is not None

    def intrinsics(self, width: int, height: int) -> tuple[float, float, float, float]:
        """(fx, fy, cx, cy) in pixels for an image of this size.

        With `hfov_deg` alone pixels are square and the principal point is the
        centre of the actual image.
        """
        if self.fx is not None and self.fy is not None and self.cx is not None and self.cy is not None:
            return (self.fx, self.fy, self.cx, self.cy)
        if self.hfov_deg is None:
            raise FrameError(f"camera {self.camera_id}: no intrinsics (hfov_deg or fx/fy/cx/cy)")
        f = (width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)
        return (f, f, width / 2.0, height / 2.0)


# Rays within this angle of the horizon (or above it) do not give a ground point.
MIN_DEPRESSION_DEG = 0.5


class BeyondHorizonError(FrameError):
    """The pixel's ray does not meet the ground (at or above the horizon)."""

    def __init__(self, u: float, v: float) -> None:
        super().__init__(f"pixel ({u:.1f}, {v:.1f}) looks at or above the horizon: no ground position")


class Camera:
    """Common interface: pixel <-> ground, scale at a pixel, position error."""

    proj: LocalProjection
    width: int
    height: int

    def pixel_to_xy(self, u: float, v: float, height_m: float = 0.0) -> tuple[float, float]:
        """Local east/north metres where pixel (u, v)'s ray meets the plane z = height_m."""
        raise NotImplementedError

    def xy_to_pixel(self, x: float, y: float, height_m: float = 0.0) -> tuple[float, float]:
        """Pixel of the local point (x, y, height_m)."""
        raise NotImplementedError

    def pixel_to_ground(self, u: float, v: float, height_m: float = 0.0) -> tuple[float, float]:
        """(lat, lon) of pixel (u, v); BeyondHorizonError if the ray misses the ground."""
        x, y = self.pixel_to_xy(u, v, height_m)
        return self.proj.to_latlon(x, y)

    def ground_to_pixel(self, lat: float, lon: float, height_m: float = 0.0) -> tuple[float, float]:
        """Pixel (u, v) of a ground position (inverse of pixel_to_ground)."""
        x, y = self.proj.to_xy(lat, lon)
        return self.xy_to_pixel(x, y, height_m)

    def jacobian(self, u: float, v: float) -> np.ndarray:
        """d(east, north)/d(u, v) on the ground at a pixel, by central differences."""
        e = 0.5
        xu1, yu1 = self.pixel_to_xy(u + e, v)
        xu0, yu0 = self.pixel_to_xy(u - e, v)
        xv1, yv1 = self.pixel_to_xy(u, v + e)
        xv0, yv0 = self.pixel_to_xy(u, v - e)
        return np.array([[xu1 - xu0, xv1 - xv0], [yu1 - yu0, yv1 - yv0]]) / (2 * e)

    def gsd_m(self, u: float, v: float) -> float:
        """Ground sample distance at a pixel: sqrt of the ground area one pixel covers."""
        return math.sqrt(abs(float(np.linalg.det(self.jacobian(u, v)))))

    def scale_at(self, u: float, v: float) -> tuple[float, float]:
        """(metres per pixel across the line of sight, sin of the depression angle).

        Sizes of upright objects (standing people) are judged across the line
        of sight; footprints on the ground shrink along the range by sin(depression).
        """
        j = self.jacobian(u, v)
        su = float(np.hypot(j[0, 0], j[1, 0]))
        sv = float(np.hypot(j[0, 1], j[1, 1]))
        return su, min(1.0, su / max(sv, 1e-9))

    def scales_at(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """scale_at at many pixels at once: (metres per pixel, sin of depression) arrays, NaN where
        the pixel looks at or above the horizon."""
        out = np.full((2, len(u)), np.nan)
        for k, (a, b) in enumerate(zip(np.asarray(u, np.float64).tolist(), np.asarray(v, np.float64).tolist(),
                                       strict=True)):
            try:
                out[:, k] = self.scale_at(a, b)
            except FrameError:
                continue
        return out[0], out[1]

    def error_m(self, u: float, v: float) -> float:
        """Estimated radius (about 2 sigma) of the position error at a pixel."""
        raise NotImplementedError


class DroneCamera(Camera):
    """Pinhole camera at (0, 0, alt) looking at flat ground."""

    def __init__(self, meta: FrameMeta, width: int, height: int) -> None:
        if meta.lat is None or meta.lon is None or meta.alt_m is None or meta.yaw_deg is None \
                or meta.pitch_deg is None:
            raise FrameError(f"camera {meta.camera_id}: drone frame without a full pose")
        self.meta = meta
        self.width, self.height = width, height
        self.fx, self.fy, self.cx, self.cy = meta.intrinsics(width, height)
        self.alt = meta.alt_m
        self.proj = LocalProjection(meta.lat, meta.lon)
        self.R = camera_axes(meta.yaw_deg, meta.pitch_deg, meta.roll_deg)
        self._r = tuple(float(v) for v in self.R.ravel())

    def ray(self, u: float, v: float) -> tuple[float, float, float]:
        """Unit direction (east, north, up) of pixel (u, v)'s ray (plain floats: called per blob)."""
        return self._ray(u, v, math.sqrt)

    def _ray(self, u: _Num, v: _Num, sqrt: Callable[[_Num], _Num]) -> tuple[_Num, _Num, _Num]:
        """ray for plain floats (math.sqrt) or arrays of pixels (np.sqrt): the same operations in the
        same order, so a pixel's ray is the same to the last bit either way."""
        a, b = (u - self.cx) / self.fx, (v - self.cy) / self.fy
        r = self._r
        x = r[0] * a + r[1] * b + r[2]
        y = r[3] * a + r[4] * b + r[5]
        z = r[6] * a + r[7] * b + r[8]
        n = sqrt(x * x + y * y + z * z)
        return (x / n, y / n, z / n)

    def pixel_to_xy(self, u: float, v: float, height_m: float = 0.0) -> tuple[float, float]:
        d = self.ray(u, v)
        if d[2] > -math.sin(math.radians(MIN_DEPRESSION_DEG)):
            raise BeyondHorizonError(u, v)
        drop = self.alt - height_m
        if drop <= 0:
            raise BeyondHorizonError(u, v)
        t = drop / -d[2]
        return (float(t * d[0]), float(t * d[1]))

    def xy_to_pixel(self, x: float, y: float, height_m: float = 0.0) -> tuple[float, float]:
        c = self.R.T @ np.array([x, y, height_m - self.alt])
        if c[2] <= 1e-9:
            raise FrameError(f"point ({x:.1f}, {y:.1f}) m is behind the camera")
        return (float(self.fx * c[0] / c[2] + self.cx), float(self.fy * c[1] / c[2] + self.cy))

    def slant_range(self, u: float, v: float, height_m: float = 0.0) -> float:
        d = self.ray(u, v)
        if d[2] >= 0:
            raise BeyondHorizonError(u, v)
        return float((self.alt - height_m) / -d[2])

    def scale_at(self, u: float, v: float) -> tuple[float, float]:
        d = self.ray(u, v)
        if d[2] > -math.sin(math.radians(MIN_DEPRESSION_DEG)):
            raise BeyondHorizonError(u, v)
        return self._scale(d), -d[2]

    def _scale(self, d: tuple[_Num, _Num, _Num]) -> _Num:
        """Metres per pixel across the line of sight along ray d, corrected for off-axis angle."""
        rng = self.alt / -d[2]
        r = self._r
        cos_off = r[2] * d[0] + r[5] * d[1] + r[8] * d[2]
        return rng / self.fx * cos_off

    def scales_at(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self._ray(np.asarray(u, np.float64), np.asarray(v, np.float64), np.sqrt)
        above = d[2] > -math.sin(math.radians(MIN_DEPRESSION_DEG))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = self._scale(d)
        return np.where(above, np.nan, scale), np.where(above, np.nan, -d[2])

    def error_m(self, u: float, v: float) -> float:
        """GNSS, altitude and attitude errors propagated to the ground, plus one pixel."""
        d = self.ray(u, v)
        sin_dep = max(-d[2], 1e-3)
        rng = self.alt / sin_dep
        horiz = math.sqrt(max(rng * rng - self.alt * self.alt, 0.0))
        att = math.radians(self.meta.att_sigma_deg)
        s_pos = self.meta.pos_sigma_m
        s_alt = self.meta.alt_sigma_m * horiz / self.alt
        s_att_range = rng * att / sin_dep
        s_att_cross = rng * att
        s_pix = self.gsd_m(u, v)
        sigma = math.sqrt(s_pos**2 + s_alt**2 + s_att_range**2 + s_att_cross**2 + s_pix**2)
        return 2.0 * sigma


def camera_axes(yaw_deg: float, pitch_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """3x3 matrix whose columns are the camera's right, down and forward axes in ENU."""
    yaw, pitch, roll = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    fwd = np.array([math.sin(yaw) * math.cos(pitch), math.cos(yaw) * math.cos(pitch), math.sin(pitch)])
    right0 = np.array([math.cos(yaw), -math.sin(yaw), 0.0])
    up0 = np.cross(right0, fwd)
    right = math.cos(roll) * right0 - math.sin(roll) * up0
    up = math.sin(roll) * right0 + math.cos(roll) * up0
    return np.column_stack([right, -up, fwd])


class HomographyCamera(Camera):
    """Fixed camera: plane-to-plane homography fitted on surveyed ground points."""

    def __init__(self, meta: FrameMeta, width: int, height: int) -> None:
        pts = meta.ground_points
        if len(pts) < 4:
            raise FrameError(f"camera {meta.camera_id}: a fixed camera needs at least 4 ground_points")
        self.meta = meta
        self.width, self.height = width, height
        lat0 = sum(p[2] for p in pts) / len(pts)
        lon0 = sum(p[3] for p in pts) / len(pts)
        self.proj = LocalProjection(lat0, lon0)
        src = np.array([[p[0], p[1]] for p in pts], dtype=np.float64)
        dst = np.array([self.proj.to_xy(p[2], p[3]) for p in pts], dtype=np.float64)
        H, _ = cv2.findHomography(src, dst, 0)
        if H is None or not np.isfinite(H).all() or abs(np.linalg.det(H)) < 1e-12:
            raise FrameError(f"camera {meta.camera_id}: ground_points are degenerate (collinear?)")
        self.H = H
        self.Hinv = np.linalg.inv(H)
        w = (H @ np.column_stack([src, np.ones(len(src))]).T)[2]
        if not (np.all(w > 0) or np.all(w < 0)):
            raise FrameError(f"camera {meta.camera_id}: ground_points straddle the horizon")
        self.w_sign = 1.0 if w[0] > 0 else -1.0
        fit = [self._apply(p[0], p[1]) for p in src]
        self.residual_m = float(np.sqrt(np.mean([(a - b[0]) ** 2 + (c - b[1]) ** 2
                                                 for (a, c), b in zip(fit, dst, strict=True)])))

    def _apply(self, u: float, v: float) -> tuple[float, float]:
        x, y, w = self.H @ np.array([u, v, 1.0])
        if w * self.w_sign <= 1e-12:
            raise BeyondHorizonError(u, v)
        return (float(x / w), float(y / w))

    def pixel_to_xy(self, u: float, v: float, height_m: float = 0.0) -> tuple[float, float]:
        # A homography knows only the ground plane; height is ignored.
        return self._apply(u, v)

    def xy_to_pixel(self, x: float, y: float, height_m: float = 0.0) -> tuple[float, float]:
        a, b, w = self.Hinv @ np.array([x, y, 1.0])
        if abs(w) < 1e-12:
            raise FrameError(f"point ({x:.1f}, {y:.1f}) m maps to the horizon")
        return (float(a / w), float(b / w))

    def error_m(self, u: float, v: float) -> float:
        """Survey error, homography fit residual and one pixel's footprint (about 2 sigma)."""
        su, sin_dep = self.scale_at(u, v)
        s_pix = su / max(sin_dep, 1e-3)
        sigma = math.sqrt(self.meta.survey_sigma_m**2 + self.residual_m**2 + s_pix**2)
        return 2.0 * sigma


def reduction_factor(width: int, height: int) -> int:
    """The smallest integer factor that brings a frame within MAX_WIDTH x MAX_HEIGHT (1: it fits)."""
    return max(1, math.ceil(width / MAX_WIDTH), math.ceil(height / MAX_HEIGHT))


def make_camera(meta: FrameMeta, width: int | None = None, height: int | None = None) -> Camera:
    """The right camera model for a frame's metadata; FrameError without a usable pose."""
    w = width or meta.width
    h = height or meta.height
    if w is None or h is None:
        raise FrameError(f"camera {meta.camera_id}: image size unknown (give width/height)")
    if meta.kind == "fixed":
        return HomographyCamera(meta, w, h)
    return DroneCamera(meta, w, h)


def pixel_to_ground(u: float, v: float, meta: FrameMeta, width: int | None = None,
                    height: int | None = None) -> tuple[float, float]:
    """(lat, lon) of pixel (u, v) on flat ground; BeyondHorizonError above the horizon."""
    return make_camera(meta, width, height).pixel_to_ground(u, v)


def ground_to_pixel(lat: float, lon: float, meta: FrameMeta, width: int | None = None,
                    height: int | None = None) -> tuple[float, float]:
    """Pixel (u, v) of a ground position."""
    return make_camera(meta, width, height).ground_to_pixel(lat, lon)


def gsd_m(meta: FrameMeta, u: float, v: float, width: int | None = None, height: int | None = None) -> float:
    """Ground sample distance (metres per pixel) at pixel (u, v)."""
    return make_camera(meta, width, height).gsd_m(u, v)


def check_homography(meta: FrameMeta) -> None:
    """Survey points that give no plane-to-plane mapping (collinear, one place) are refused."""
    try:
        cam = HomographyCamera(meta, meta.width or MAX_WIDTH, meta.height or MAX_HEIGHT)
    except FrameError as exc:
        raise FrameError(f"metadata: {exc.reason}") from exc
    except (cv2.error, np.linalg.LinAlgError, ValueError) as exc:
        raise FrameError(f"metadata: ground_points give no homography ({type(exc).__name__})") from exc
    if not math.isfinite(cam.residual_m) or cam.residual_m > MAX_SURVEY_RESIDUAL_M:
        raise FrameError(f"metadata: ground_points disagree with each other (homography residual "
                         f"{cam.residual_m:.1f} m > {MAX_SURVEY_RESIDUAL_M:.0f} m)")


def check_meta_size(meta: FrameMeta | None, frame: np.ndarray, cam: Camera | None = None) -> None:
    """Metadata that does not fit the image is inconsistent: another size, a principal point
    off the image, a field of view no lens has, or a drone camera that sees no ground.

    `cam`, the frame's camera model if already built, saves building it again.
    """
    if meta is None:
        return
    h, w = frame.shape[:2]
    if (meta.width is not None and meta.width != w) or (meta.height is not None and meta.height != h):
        raise FrameError(f"image is {w}x{h} but metadata says {meta.width}x{meta.height}")
    if meta.kind != "drone":
        return
    fx, fy, cx, cy = meta.intrinsics(w, h)
    if not (0.0 <= cx <= w and 0.0 <= cy <= h):
        raise FrameError(f"metadata: principal point ({cx:g}, {cy:g}) is outside the {w}x{h} image")
    for name, f, size in (("fx", fx, w), ("fy", fy, h)):
        fov = math.degrees(2.0 * math.atan(size / 2.0 / f))
        if not 0.5 <= fov <= 170.0:
            raise FrameError(f"metadata: {name}={f:g} gives a {fov:.1f} degree field of view on {size} pixels")
    drone = cam if isinstance(cam, DroneCamera) else DroneCamera(meta, w, h)
    lowest = min(drone.ray(u, v)[2] for u in (0.0, w / 2.0, float(w)) for v in (0.0, float(h)))
    if lowest > -math.sin(math.radians(MIN_DEPRESSION_DEG)):
        raise FrameError(f"metadata: pitch_deg={meta.pitch_deg:g} leaves no ground in view "
                         "(0 is level, -90 straight down)")

"""Georeferencing: hand-computed nadir, oblique and yaw cases; homography round-trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.errors import FrameError
from geo.distance import LocalProjection, haversine_m
from thermal.cameras import BeyondHorizonError, DroneCamera, HomographyCamera, gsd_m, make_camera, pixel_to_ground
from thermal.frames import parse_meta

LAT, LON = 45.75, 126.64


def drone(yaw: float = 0.0, pitch: float = -90.0, alt: float = 40.0, roll: float = 0.0):
    # hfov 90 deg on 640 px: f = 320 px, so one pixel at 40 m nadir is 0.125 m
    return parse_meta({"camera_id": "d1", "kind": "drone", "captured_at": "2025-01-15T02:00:00+08:00",
                       "lat": LAT, "lon": LON, "alt_m": alt, "yaw_deg": yaw, "pitch_deg": pitch,
                       "roll_deg": roll, "hfov_deg": 90.0, "width": 640, "height": 512})


def xy(meta, u: float, v: float) -> tuple[float, float]:
    return DroneCamera(meta, 640, 512).pixel_to_xy(u, v)


def test_nadir_centre_is_below_the_drone() -> None:
    lat, lon = pixel_to_ground(320, 256, drone())
    assert haversine_m(lat, lon, LAT, LON) < 1e-6


def test_nadir_top_faces_north_and_right_faces_east() -> None:
    x, y = xy(drone(), 320, 0)  # 256 px above centre: 40 * 256/320 = 32 m north
    assert x == pytest.approx(0.0, abs=1e-9) and y == pytest.approx(32.0)
    x, y = xy(drone(), 640, 256)  # 320 px right: 40 m east
    assert x == pytest.approx(40.0) and y == pytest.approx(0.0, abs=1e-9)
    assert gsd_m(drone(), 320, 256) == pytest.approx(0.125, rel=1e-3)


def test_yaw_90_top_faces_east() -> None:
    x, y = xy(drone(yaw=90.0), 320, 0)
    assert x == pytest.approx(32.0) and y == pytest.approx(0.0, abs=1e-9)


def test_oblique_centre_ray() -> None:
    # pitch -45 heading north from 40 m: the axis meets the ground 40 m north
    x, y = xy(drone(pitch=-45.0), 320, 256)
    assert x == pytest.approx(0.0, abs=1e-9) and y == pytest.approx(40.0)
    # pitch -30 heading east: 40 / tan(30 deg) east
    x, y = xy(drone(yaw=90.0, pitch=-30.0), 320, 256)
    assert x == pytest.approx(40.0 / math.tan(math.radians(30.0))) and y == pytest.approx(0.0, abs=1e-9)


def test_oblique_image_bottom_is_nearer() -> None:
    # pitch -45: bottom edge ray is 45 + atan(256/320) deg below horizontal
    _x, y = xy(drone(pitch=-45.0), 320, 512)
    dep = math.radians(45.0) + math.atan(256 / 320)
    assert y == pytest.approx(40.0 / math.tan(dep))


def test_roll_tilts_the_rows() -> None:
    # nadir with roll 90: the image's right side is rolled down, the right edge now points south
    x, y = xy(drone(roll=90.0), 640, 256)
    assert x == pytest.approx(0.0, abs=1e-6) and y == pytest.approx(-40.0)


def test_ray_above_horizon_is_an_error() -> None:
    with pytest.raises(BeyondHorizonError) as exc:
        pixel_to_ground(320, 0, drone(pitch=-10.0))  # top edge looks ~28 deg above the horizon
    assert "horizon" in exc.value.reason


def test_ground_to_pixel_round_trip() -> None:
    cam = make_camera(drone(yaw=37.0, pitch=-60.0, roll=2.0))
    for u, v in ((10, 500), (320, 256), (600, 300)):
        lat, lon = cam.pixel_to_ground(u, v)
        uu, vv = cam.ground_to_pixel(lat, lon)
        assert uu == pytest.approx(u, abs=1e-6) and vv == pytest.approx(v, abs=1e-6)


def fixed_meta(points):
    return parse_meta({"camera_id": "f1", "kind": "fixed", "captured_at": "2025-01-15T02:00:00+08:00",
                       "width": 640, "height": 512, "ground_points": points})


def test_homography_round_trip_and_accuracy() -> None:
    # ground points from a known oblique pinhole camera: the homography must reproduce it
    truth = DroneCamera(drone(yaw=200.0, pitch=-35.0, alt=8.0), 640, 512)
    proj = LocalProjection(LAT, LON)
    pts = []
    for u, v in ((50, 300), (590, 300), (50, 500), (590, 500), (320, 400)):
        lat, lon = proj.to_latlon(*truth.pixel_to_xy(u, v))
        pts.append([u, v, lat, lon])
    cam = make_camera(fixed_meta(pts))
    assert isinstance(cam, HomographyCamera)
    for u, v in ((100, 350), (320, 300), (500, 480)):
        lat, lon = cam.pixel_to_ground(u, v)
        exp = proj.to_latlon(*truth.pixel_to_xy(u, v))
        assert haversine_m(lat, lon, *exp) < 0.01
        uu, vv = cam.ground_to_pixel(lat, lon)
        assert uu == pytest.approx(u, abs=1e-4) and vv == pytest.approx(v, abs=1e-4)
    with pytest.raises(BeyondHorizonError):
        cam.pixel_to_ground(320, 0)  # the sky above the horizon line


def test_collinear_ground_points_are_refused() -> None:
    pts = [[u, 400, LAT, LON + u * 1e-5] for u in (0, 100, 200, 300)]
    with pytest.raises(FrameError):
        make_camera(fixed_meta(pts))


def test_error_grows_with_range() -> None:
    cam = make_camera(drone(pitch=-45.0))
    assert cam.error_m(320, 500) < cam.error_m(320, 100)
    assert 0.5 < cam.error_m(320, 256) < 10.0


def test_scales_at_many_pixels_equal_scale_at_pixel_by_pixel() -> None:
    # an oblique drone with sky in the top rows (vectorised), and a fixed camera (pixel by pixel)
    truth = DroneCamera(drone(yaw=200.0, pitch=-35.0, alt=8.0), 640, 512)
    proj = LocalProjection(LAT, LON)
    pts = [[u, v, *proj.to_latlon(*truth.pixel_to_xy(u, v))] for u, v in ((50, 300), (590, 300), (50, 500),
                                                                           (590, 500), (320, 400))]
    u = np.array([0.0, 106.5, 320.0, 639.0, 13.25, 600.0])
    v = np.array([0.0, 85.25, 256.0, 511.0, 400.0, 140.0])
    for cam in (truth, DroneCamera(drone(pitch=-90.0), 640, 512), make_camera(fixed_meta(pts))):
        scale, sin_dep = cam.scales_at(u, v)
        for k in range(len(u)):
            try:
                expected = cam.scale_at(float(u[k]), float(v[k]))
            except FrameError:
                assert np.isnan(scale[k]) and np.isnan(sin_dep[k])
                continue
            assert (scale[k], sin_dep[k]) == expected  # to the last bit
    assert np.isnan(truth.scales_at(u, v)[0][0])  # the sky corner

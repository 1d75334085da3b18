"""An independent renderer of labelled radiometric thermal frames: a held-out test set.

What: written by a third party from physical descriptions of thermal scenes, without
reading the detector (thermal/) or the project's other simulators. People are 3-D
bodies with head, torso, arms, hands, legs and feet (standing, walking, sitting on
a bench or the ground, lying, curled; sleeping bags and blankets), placed among
decoys (cars, lamps, manholes and vents with steam, dogs and cats, bins, trees,
pipes, buildings with lit windows). Six scene kinds: drone-nadir-night,
drone-oblique-night, street-fixed, sleepers, dusk-mild, clutter.

Why: the detector was tuned on simulators/thermal/generator.py and handmade.py, so
scoring it on their frames says little about frames it has not seen; this renderer
shares no code or shape model with them and so is a held-out check.

How: scenes are built in 3-D (east/north/up metres, flat ground z=0) from ellipsoids
and boxes, ray-cast through a pinhole camera at SS x SS sub-pixels, shaded with
surface temperatures, view-angle emissivity (reflecting a cold sky), a little
atmosphere, then area-averaged to 640x512, blurred by the optics and given
sensor noise, column stripes and vignetting. Labels come from the id buffer:
a person's box is the tight box of pixels it covers by at least half.

Run:

    python -m simulators.thermal.raycast OUT_DIR --seed N --per-kind K [--kinds a,b] [--previews DIR]

OUT_DIR gets NAME.png (16-bit centi-kelvin), NAME.json (camera sidecar) and
labels.json (people / ignore boxes, tags = scene kind), the layout that
tools.real_frames reads and `patrol bench thermal --real OUT_DIR` scores.
Render-side facts (camera pose, decoys, each person's pose and visibility) go
beside the folder, to OUT_DIR/../<basename>_truth.json, so the folder holds only
the labelled set. Output is a pure function of the seed (about 1.7 s a frame).
"""
from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

W, H = 640, 512
SS = 3
KELVIN = 273.15
M_PER_DEG = 111320.0
KINDS = ("drone-nadir-night", "drone-oblique-night", "street-fixed", "sleepers", "dusk-mild", "clutter")
Arr = npt.NDArray[Any]
Rng = np.random.Generator
CITIES = [(43.82, 125.32), (43.86, 125.29), (41.80, 123.43), (43.84, 126.55), (40.84, 111.75)]  # Changchun x2, Shenyang, Jilin, Hohhot


def unit(v: ArrayLike) -> Arr:
    v = np.asarray(v, float)
    return np.asarray(v / max(np.linalg.norm(v), 1e-12))


def rotz(a: float) -> Arr:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def rotx(a: float) -> Arr:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def roty(a: float) -> Arr:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


# ----------------------------------------------------------------------------- camera
class Camera:
    """Pinhole; R columns = camera right, down, forward in ENU."""

    def __init__(self, pos: ArrayLike, yaw: float, pitch: float, roll: float, hfov: float) -> None:
        self.C = np.array(pos, float)
        self.kind = ""  # "drone" or "fixed", set by drone_camera / street_camera
        self.yaw, self.pitch, self.roll, self.hfov = yaw, pitch, roll, hfov
        self.f = (W / 2) / math.tan(math.radians(hfov) / 2)
        self.cx, self.cy = W / 2, H / 2
        y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
        fwd = np.array([math.sin(y) * math.cos(p), math.cos(y) * math.cos(p), math.sin(p)])
        right_l = np.array([math.cos(y), -math.sin(y), 0.0])          # heading + 90 deg
        up_l = np.cross(right_l, fwd)
        right = math.cos(r) * right_l - math.sin(r) * up_l             # +roll dips the right side
        up = math.sin(r) * right_l + math.cos(r) * up_l
        self.R = np.column_stack([right, -up, fwd])

    def rays(self, us: Arr, vs: Arr) -> Arr:
        """Unit rays for image coordinates us (cols) x vs (rows) -> (len(vs), len(us), 3)."""
        a = (us - self.cx) / self.f
        b = (vs - self.cy) / self.f
        A, B = np.meshgrid(a, b)
        d = A[..., None] * self.R[:, 0] + B[..., None] * self.R[:, 1] + self.R[:, 2]
        return np.asarray(d / np.linalg.norm(d, axis=-1, keepdims=True))

    def project(self, P: Arr) -> tuple[Arr, Arr, Arr]:
        c = (np.atleast_2d(P) - self.C) @ self.R
        z = c[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.f * c[:, 0] / z + self.cx
            v = self.f * c[:, 1] / z + self.cy
        return u, v, z

    def ground_hit(self, u: float, v: float) -> tuple[Arr, float] | None:
        d = self.rays(np.array([u], float), np.array([v], float))[0, 0]
        if d[2] > -math.sin(math.radians(1.0)):
            return None
        t = -self.C[2] / d[2]
        return self.C[:2] + t * d[:2], t


# ----------------------------------------------------------------------------- primitives
class Prim:
    def __init__(self, kind: str, c: ArrayLike, M: ArrayLike, r: ArrayLike, T: float, eps: float = 0.96, obj: int = 0,
                 alpha: float | None = None, grad: tuple[Arr, float] | None = None, skycool: float = 0.0,
                 face: dict[str, Any] | None = None, facade: dict[str, Any] | None = None,
                 spots: list[tuple[Arr, float, float]] | None = None, top: float | None = None, hot: bool = False) -> None:
        self.kind, self.c, self.M, self.r = kind, np.array(c, float), np.array(M, float), np.array(r, float)
        self.T, self.eps, self.obj, self.alpha = float(T), eps, obj, alpha
        self.grad, self.skycool, self.face, self.facade = grad, skycool, face, facade
        self.spots, self.top, self.hot = spots or [], top, hot

    def moved(self, Rw: Arr, tw: Arr) -> Prim:
        p = Prim(self.kind, Rw @ self.c + tw, Rw @ self.M, self.r, self.T, self.eps, self.obj, self.alpha,
                 None if self.grad is None else (Rw @ self.grad[0], self.grad[1]), self.skycool,
                 None if self.face is None else {**self.face, "dir": Rw @ self.face["dir"], "up": Rw @ self.face["up"]},
                 self.facade, [(Rw @ c + tw, s, d) for c, s, d in self.spots], self.top, self.hot)
        return p

    def corners(self) -> Arr:
        s = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
        return np.asarray(self.c + (s * self.r) @ self.M.T)

    def lowest_z(self) -> float:
        if self.kind == "ell":
            return float(self.c[2] - math.sqrt(float(np.sum((self.M[2] * self.r) ** 2))))
        return float(self.c[2] - float(np.sum(np.abs(self.M[2]) * self.r)))

    def intersect(self, C: Arr, D: Arr) -> tuple[Arr, Arr, Arr, Arr]:
        """D (n,3) unit rays from C -> (t (inf on miss), normals (n,3), t_exit)."""
        o = (C - self.c) @ self.M
        dd = D @ self.M
        n = D.shape[0]
        if self.kind == "ell":
            o_ = o / self.r
            d_ = dd / self.r
            a = np.einsum("ij,ij->i", d_, d_)
            b = 2 * d_ @ o_
            cc = o_ @ o_ - 1.0
            disc = b * b - 4 * a * cc
            hit = disc > 0
            sq = np.sqrt(np.where(hit, disc, 0.0))
            t1 = (-b - sq) / (2 * a)
            t2 = (-b + sq) / (2 * a)
            t = np.where(hit & (t1 > 1e-6), t1, np.inf)
            q = o_ + np.where(np.isfinite(t), t, 0.0)[:, None] * d_
            N = (q / self.r) @ self.M.T
            N /= np.maximum(np.linalg.norm(N, axis=1, keepdims=True), 1e-12)
            return t, N, np.where(hit, t2, -np.inf), np.where(hit, t1, np.inf)
        dd = np.where(np.abs(dd) < 1e-12, 1e-12, dd)
        ta = (-self.r - o) / dd
        tb = (self.r - o) / dd
        tn = np.minimum(ta, tb)
        tx = np.maximum(ta, tb)
        tmin = tn.max(axis=1)
        tmax = tx.min(axis=1)
        hit = (tmax >= tmin) & (tmin > 1e-6)
        t = np.where(hit, tmin, np.inf)
        k = tn.argmax(axis=1)
        sgn = -np.sign(dd[np.arange(n), k])
        N = self.M.T[k] * sgn[:, None]
        return t, N, tmax, tmin


def ell(c: ArrayLike, axes: ArrayLike, r: ArrayLike, T: float, **kw: Any) -> Prim:
    return Prim("ell", c, axes, r, T, **kw)


def box(c: ArrayLike, axes: ArrayLike, half: ArrayLike, T: float, **kw: Any) -> Prim:
    return Prim("box", c, axes, half, T, **kw)


def frame_from(up: ArrayLike, fwd_hint: ArrayLike) -> Arr:
    up = unit(up)
    f = np.asarray(fwd_hint, float) - np.dot(fwd_hint, up) * up
    if np.linalg.norm(f) < 1e-6:
        f = np.array([1.0, 0, 0]) - up[0] * up
    f = unit(f)
    right = np.cross(f, up)
    return np.column_stack([right, f, up])


def seg(p0: ArrayLike, p1: ArrayLike, rad: float, T: float, rad2: float | None = None,
        hint: ArrayLike = (0, 1, 0), **kw: Any) -> Prim:
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    ax = p1 - p0
    L = np.linalg.norm(ax)
    M = frame_from(ax, hint if abs(np.dot(unit(hint), unit(ax))) < 0.95 else (1, 0, 0))
    return ell((p0 + p1) / 2, M, (rad, rad2 or rad, float(L / 2 + 0.3 * rad)), T, **kw)


# ----------------------------------------------------------------------------- ground
class Noise:
    def __init__(self, rng: Rng, n: int = 256) -> None:
        self.n = n
        self.g = rng.standard_normal((n, n)).astype(np.float64)
        self.off = rng.uniform(0, n, 2)

    def __call__(self, x: Arr, y: Arr, scale: float) -> Arr:
        fx = x / scale + self.off[0] + scale * 7.31
        fy = y / scale + self.off[1] + scale * 3.17
        ix, iy = np.floor(fx), np.floor(fy)
        tx, ty = fx - ix, fy - iy
        tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
        n = self.n
        ix, iy = ix.astype(np.int64) % n, iy.astype(np.int64) % n
        ix1, iy1 = (ix + 1) % n, (iy + 1) % n
        g = self.g
        a = g[iy, ix] * (1 - tx) + g[iy, ix1] * tx
        b = g[iy1, ix] * (1 - tx) + g[iy1, ix1] * tx
        return np.asarray((a * (1 - ty) + b * ty) * 1.6)


class Decal:
    """A ground marking: 'seg' (p0, p1, half width), 'rect' (centre, heading, hx, hy), 'disk' (centre, r).
    mode 'set' blends to value (°C, or callable(x, y)); 'add' adds value K. profile 'ramp' or 'gauss'."""

    def __init__(self, shape: str, geom: tuple[Any, ...], mode: str, value: float | Callable[[Arr, Arr], Arr],
                 soft: float = 0.1, profile: str = "ramp") -> None:
        self.shape, self.geom, self.mode, self.value, self.soft, self.profile = shape, geom, mode, value, soft, profile
        if shape == "seg":
            p0, p1, hw = geom
            pad = hw * (3 if profile == "gauss" else 1) + soft
            self.bb = (min(p0[0], p1[0]) - pad, max(p0[0], p1[0]) + pad, min(p0[1], p1[1]) - pad, max(p0[1], p1[1]) + pad)
        elif shape == "rect":
            c, _th, hx, hy = geom
            rr = math.hypot(hx, hy) * (3 if profile == "gauss" else 1) + soft
            self.bb = (c[0] - rr, c[0] + rr, c[1] - rr, c[1] + rr)
        else:
            c, r = geom
            rr = r * (3 if profile == "gauss" else 1) + soft
            self.bb = (c[0] - rr, c[0] + rr, c[1] - rr, c[1] + rr)

    def apply(self, T: Arr, x: Arr, y: Arr) -> None:
        m = (x > self.bb[0]) & (x < self.bb[1]) & (y > self.bb[2]) & (y < self.bb[3])
        if not m.any():
            return
        xs, ys = x[m], y[m]
        if self.shape == "seg":
            p0, p1, hw = self.geom
            p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
            d = p1 - p0
            tt = np.clip(((xs - p0[0]) * d[0] + (ys - p0[1]) * d[1]) / max(d @ d, 1e-9), 0, 1)
            dist = np.hypot(xs - p0[0] - tt * d[0], ys - p0[1] - tt * d[1])
            size = hw
        elif self.shape == "rect":
            c, th, hx, hy = self.geom
            lx = (xs - c[0]) * math.cos(th) + (ys - c[1]) * math.sin(th)
            ly = -(xs - c[0]) * math.sin(th) + (ys - c[1]) * math.cos(th)
            if self.profile == "gauss":
                dist = np.hypot(lx / hx, ly / hy)
                size = 1.0
            else:
                dist = np.maximum(np.abs(lx) - hx, np.abs(ly) - hy)
                size = 0.0
        else:
            c, r = self.geom
            dist = np.hypot(xs - c[0], ys - c[1])
            size = r
        if self.profile == "gauss":
            a = np.exp(-0.5 * (dist / size) ** 2)
        else:
            a = np.clip(0.5 + (size - dist) / max(self.soft, 1e-3), 0, 1)
        if self.mode == "add":
            T[m] += a * self.value
        else:
            val = self.value(xs, ys) if callable(self.value) else self.value
            T[m] = T[m] * (1 - a) + a * val


class Scene:
    def __init__(self, rng: Rng, Ta: float, T_zen: float, ground_off: float, amps: tuple[float, float, float],
                 ground_eps: float = 0.985, night: bool = True) -> None:
        self.rng, self.Ta, self.T_zen = rng, Ta, T_zen
        self.ground_off, self.amps, self.ground_eps = ground_off, amps, ground_eps
        self.night = night
        self.noise = Noise(rng)
        self.prims: list[Prim] = []
        self.trans: list[Prim] = []
        self.decals: list[Decal] = []
        self.people: dict[int, dict[str, Any]] = {}
        self.occ: list[tuple[float, float, float]] = []
        self.next_decoy = 1000
        self.atm_L = rng.uniform(1500, 6000)
        self.counts: dict[str, int] = {}
        self.buildings: list[tuple[Arr, float, float, float, float, float]] = []

    def ground(self, x: Arr, y: Arr) -> Arr:
        a1, a2, a3 = self.amps
        T = self.Ta + self.ground_off + a1 * self.noise(x, y, 9.0) + a2 * self.noise(x, y, 2.1) + a3 * self.noise(x, y, 0.37)
        for d in self.decals:
            d.apply(T, x, y)
        return T

    def sky(self, sin_el: Arr) -> Arr:
        return self.Ta - (self.Ta - self.T_zen) * np.clip(sin_el, 0, 1) ** 0.3

    def free(self, x: float, y: float, r: float) -> bool:
        return all(math.hypot(x - a, y - b) > r + c for a, b, c in self.occ)

    def decoy_id(self, what: str) -> int:
        self.next_decoy += 1
        self.counts[what] = self.counts.get(what, 0) + 1
        return self.next_decoy


# ----------------------------------------------------------------------------- shading & rendering
def shade(p: Prim, sc: Scene, P: Arr, N: Arr, D: Arr) -> Arr:
    T = np.full(P.shape[0], p.T)
    if p.grad is not None:
        vec, amp = p.grad
        T += amp * ((P - p.c) @ vec) / p.r.max()
    if p.skycool:
        T -= p.skycool * np.clip(N[:, 2], 0, 1)
    if p.top is not None:
        T = np.where(N[:, 2] > 0.9, p.top, T)
    if p.face is not None:
        f = p.face
        q = P - p.c
        relh = (q @ f["up"]) / f["rup"]
        front = N @ f["dir"]
        zone = (front > 0.42) & (relh > -0.85) & (relh < 0.35)
        if f["mode"] == "open":
            T = np.where(zone, f["T_face"], T)
        elif f["mode"] == "scarf":
            T = np.where(zone & (relh > -0.1), f["T_face"] - 1.5, np.where(zone, f["T_scarf"], T))
        # 'covered': nothing
    if p.facade is not None:
        fa = p.facade
        ql = (P - p.c) @ p.M
        nl = N @ p.M
        side = np.abs(nl[:, 2]) < 0.5
        s = np.where(np.abs(nl[:, 0]) > 0.5, ql[:, 1], ql[:, 0])
        fidx = np.where(np.abs(nl[:, 0]) > 0.5, np.sign(nl[:, 0]), 2 * np.sign(nl[:, 1])).astype(np.int64) + 3
        z = P[:, 2]
        su = s + 1000.0
        iu = np.floor(su / fa["sp"]).astype(np.int64)
        iz = np.floor((z - fa["z1"]) / fa["fh"]).astype(np.int64)
        win = side & ((su % fa["sp"]) < fa["ww"]) & (z > fa["z1"]) & (((z - fa["z1"]) % fa["fh"]) < fa["wh"]) \
            & (fa["z1"] + iz * fa["fh"] + fa["wh"] < fa["top"] - 0.5)
        h = ((iu * 73856093) ^ (iz * 19349663) ^ (fidx * 83492791) ^ fa["seed"]) & 0xFFFF
        hv = h / 65535.0
        lit = hv < fa["lit"]
        Tw = np.where(lit, fa["T_lit"] + 3.0 * (hv / max(fa["lit"], 1e-3) - 0.5), fa["T_dark"])
        T = np.where(win, Tw, T)
        # warmer band under the eaves and near the base (heat leaks), cooler top surfaces handled by skycool
        T = T + np.where(side, fa["leak"] * np.exp(-np.clip(z, 0, None) / 1.5), 0.0)
    for c, s, dT in p.spots:
        T += dT * np.exp(-np.sum((P - c) ** 2, axis=1) / (2 * s * s))
    # apparent temperature: view-angle emissivity, reflecting sky above / ground below
    cos = np.clip(-np.einsum("ij,ij->i", N, D), 0, 1)
    eps = p.eps * (1 - 0.35 * (1 - cos) ** 3)
    rz = D[:, 2] + 2 * cos * N[:, 2]
    env = np.where(rz > 0, sc.sky(rz), sc.Ta + sc.ground_off)
    return np.asarray(eps * T + (1 - eps) * env)


def bbox_px(cam: Camera, corners: Arr, ss: int, clip: bool = True) -> tuple[int, int, int, int] | None:
    u, v, z = cam.project(corners)
    if np.any(z <= 0.05):
        if not clip:
            return None
        return 0, W * ss, 0, H * ss
    u0, u1 = math.floor(u.min() * ss) - 1, math.ceil(u.max() * ss) + 1
    v0, v1 = math.floor(v.min() * ss) - 1, math.ceil(v.max() * ss) + 1
    if clip:
        u0, v0 = max(u0, 0), max(v0, 0)
        u1, v1 = min(u1, W * ss), min(v1, H * ss)
    return u0, u1, v0, v1


def sub_rays(cam: Camera, u0: int, u1: int, v0: int, v1: int, ss: int) -> Arr:
    us = (np.arange(u0, u1) + 0.5) / ss
    vs = (np.arange(v0, v1) + 0.5) / ss
    return cam.rays(us, vs)


def _windows(cam: Camera, prims: list[Prim], ss: int, D: Arr) -> Iterator[tuple[Prim, tuple[int, int, int, int], Arr]]:
    """Each primitive with its (clipped, non-empty) sub-pixel box and the ray directions inside it."""
    for p in prims:
        bb = bbox_px(cam, p.corners(), ss)
        assert bb is not None  # clipped boxes always exist
        u0, u1, v0, v1 = bb
        if u1 <= u0 or v1 <= v0:
            continue
        yield p, bb, D[v0:v1, u0:u1].reshape(-1, 3)


def render(cam: Camera, sc: Scene, ss: int = SS) -> tuple[Arr, Arr]:
    Hs, Ws = H * ss, W * ss
    D = sub_rays(cam, 0, Ws, 0, Hs, ss)
    dz = D[..., 2]
    gnd = dz < -1e-5
    t_g = np.where(gnd, -cam.C[2] / np.minimum(dz, -1e-5), np.inf)
    t_g = np.minimum(t_g, 1e5)
    T = np.empty((Hs, Ws))
    Z = np.where(gnd, t_g, np.inf)
    ids = np.zeros((Hs, Ws), np.int32)
    gx = cam.C[0] + t_g[gnd] * D[..., 0][gnd]
    gy = cam.C[1] + t_g[gnd] * D[..., 1][gnd]
    Tg = sc.ground(gx, gy)
    cosg = -dz[gnd]
    eps = sc.ground_eps * (1 - 0.35 * (1 - cosg) ** 3)
    T[gnd] = eps * Tg + (1 - eps) * sc.sky(cosg)
    T[~gnd] = sc.sky(np.clip(dz[~gnd], 0, 1))
    for p, (u0, u1, v0, v1), d in _windows(cam, sc.prims, ss, D):
        t, N, _, _ = p.intersect(cam.C, d)
        zs = Z[v0:v1, u0:u1].reshape(-1)
        m = t < zs
        if not m.any():
            continue
        Pm = cam.C + t[m, None] * d[m]
        Ts = shade(p, sc, Pm, N[m], d[m])
        tb = T[v0:v1, u0:u1].reshape(-1).copy()
        ob = ids[v0:v1, u0:u1].reshape(-1).copy()
        tb[m] = Ts
        zs = zs.copy()
        zs[m] = t[m]
        ob[m] = p.obj
        T[v0:v1, u0:u1] = tb.reshape(v1 - v0, u1 - u0)
        Z[v0:v1, u0:u1] = zs.reshape(v1 - v0, u1 - u0)
        ids[v0:v1, u0:u1] = ob.reshape(v1 - v0, u1 - u0)
    # atmosphere along each line of sight (opaque hits and ground)
    fin = np.isfinite(Z)
    tau = np.exp(-np.where(fin, Z, 0.0) / sc.atm_L)
    T = np.where(fin, tau * T + (1 - tau) * sc.Ta, T)
    # translucent plumes (steam, exhaust): emission/absorption by path length through them
    for p, (u0, u1, v0, v1), d in _windows(cam, sc.trans, ss, D):
        _, _, t2, t1 = p.intersect(cam.C, d)
        zs = Z[v0:v1, u0:u1].reshape(-1)
        a = np.maximum(t1, 0.0)
        b = np.minimum(t2, zs)
        L = np.clip(b - a, 0, None)
        L = np.where(np.isfinite(L), L, 0.0)
        if not (L > 0).any():
            continue
        rm = float(np.mean(p.r))
        mid = cam.C[2] + 0.5 * (np.where(np.isfinite(a), a, 0) + np.where(np.isfinite(b), b, 0)) * d[:, 2]
        fade = np.clip(1.0 - (mid - (p.c[2] - p.r[2])) / (2 * p.r[2]), 0.15, 1.0)
        assert p.alpha is not None  # every translucent prim has one
        al = p.alpha * np.clip(L / (2 * rm), 0, 1) ** 1.5 * fade
        tb = T[v0:v1, u0:u1].reshape(-1)
        T[v0:v1, u0:u1] = ((1 - al) * tb + al * p.T).reshape(v1 - v0, u1 - u0)
    return T, ids


def person_alone(cam: Camera, prims: list[Prim], ss: int = SS) -> tuple[int, int]:
    """Sub-pixel count of a person drawn alone (unclipped) and how much of it lies outside the image."""
    corners = np.vstack([p.corners() for p in prims])
    bb = bbox_px(cam, corners, ss, clip=False)
    if bb is None:
        return 1, 1
    u0, u1, v0, v1 = bb
    if (u1 - u0) * (v1 - v0) > 12e6:
        return 1, 1
    D = sub_rays(cam, u0, u1, v0, v1, ss).reshape(-1, 3)
    hit = np.zeros(D.shape[0], bool)
    for p in prims:
        t, _, _, _ = p.intersect(cam.C, D)
        hit |= np.isfinite(t)
    iu = np.tile(np.arange(u0, u1), v1 - v0)
    iv = np.repeat(np.arange(v0, v1), u1 - u0)
    outside = hit & ((iu < 0) | (iu >= W * ss) | (iv < 0) | (iv >= H * ss))
    return int(hit.sum()), int(outside.sum())


# ----------------------------------------------------------------------------- people
def person_temps(rng: Rng, Ta: float, mild: bool, wind: float) -> dict[str, Any]:
    if mild:
        dT = rng.uniform(2, 8)
        hat = rng.random() < 0.25
        face_mode = "open"
        T_face = rng.uniform(25, 31)
        hands = rng.random() < 0.6
        T_hand = rng.uniform(25, 32)
        skycool = rng.uniform(0.2, 0.8)
        bulk = rng.uniform(0.0, 0.015)
    else:
        q = rng.random()
        dT = float(np.clip(3 + 12 * (1 - q) * (1 - 0.35 * wind) + rng.normal(0, 0.7), 3, 15))
        hat = rng.random() < 0.85
        face_mode = rng.choice(["open", "open", "open", "scarf", "covered"])
        T_face = rng.uniform(28, 35)
        hands = rng.random() < 0.2
        T_hand = rng.uniform(28, 34)
        skycool = rng.uniform(0.3, 1.2)
        bulk = rng.uniform(0.02, 0.05)
    coat = Ta + dT
    return dict(coat=coat, legs=Ta + dT * rng.uniform(0.6, 1.0), boots=Ta + rng.uniform(1, 4),
                hat=Ta + dT * rng.uniform(0.8, 1.15), hatted=hat, face_mode=str(face_mode), face=T_face,
                scarf=coat + rng.uniform(1, 4), hand=T_hand if hands else Ta + dT * rng.uniform(0.5, 0.8),
                skycool=skycool, bulk=bulk, grad=rng.uniform(0, 1.2))


def arm_joints(sh: Arr, s: float, sx: float, mode: str, swing: float) -> tuple[Arr, Arr]:
    if mode == "swing":
        e = np.array([sx * 0.08, math.sin(swing), -math.cos(swing)])
        w = np.array([sx * 0.03, math.sin(swing + 0.35), -math.cos(swing + 0.35)])
    elif mode == "pockets":
        e, w = np.array([sx * 0.15, -0.1, -0.98]), np.array([-sx * 0.25, 0.55, -0.8])
    elif mode == "front":
        e, w = np.array([sx * 0.1, 0.05, -0.99]), np.array([-sx * 0.3, 0.9, 0.2])
    elif mode == "lap":
        e, w = np.array([sx * 0.1, 0.35, -0.93]), np.array([-sx * 0.3, 0.95, 0.0])
    elif mode == "hug":
        e, w = np.array([sx * 0.3, 0.6, -0.75]), np.array([-sx * 0.5, 0.85, 0.1])
    else:  # down
        e, w = np.array([sx * 0.1, -0.02, -1]), np.array([sx * 0.03, 0.08, -1])
    el = sh + 0.29 * s * unit(e)
    return el, el + 0.26 * s * unit(w)


def skeleton(pose: str, s: float, rng: Rng) -> dict[str, Arr]:
    """Joints in the person's frame: x right, y forward (facing), z up, feet near z=0."""
    J = {}
    lean, swing, arms = 0.0, 0.0, rng.choice(["down", "down", "pockets", "front"])
    legs = {}
    if pose in ("standing", "walking", "lying"):
        pel = np.array([0, 0, 0.92 * s])
        phi = math.radians(rng.uniform(15, 28)) if pose == "walking" else 0.0
        if pose == "walking":
            arms, lean = "swing", math.radians(rng.uniform(2, 8))
        for side, sx, ph in (("R", 1, 1), ("L", -1, -1)):
            hip = pel + np.array([sx * 0.09 * s, 0, -0.04 * s])
            th = ph * phi
            sh_a = th * 0.4 if ph > 0 else th * 1.9
            kn = hip + 0.40 * s * unit([sx * 0.02, math.sin(th), -math.cos(th)])
            an = kn + 0.39 * s * unit([0, math.sin(sh_a), -math.cos(sh_a)])
            legs[side] = (hip, kn, an)
        swing = phi * 0.8
    elif pose == "sit_bench":
        pel = np.array([0, 0, 0.55 * s])
        arms = rng.choice(["lap", "lap", "down", "front"])
        lean = math.radians(rng.uniform(-8, 12))
        for side, sx in (("R", 1), ("L", -1)):
            hip = pel + np.array([sx * 0.09 * s, 0.02 * s, -0.04 * s])
            kn = hip + 0.40 * s * unit([sx * 0.04, 1, 0.0])
            an = kn + 0.44 * s * unit([0, 0.12, -1])
            legs[side] = (hip, kn, an)
    elif pose in ("sit_ground", "curl"):
        pel = np.array([0, 0, 0.13 * s])
        knees_up = pose == "curl" or rng.random() < 0.5
        arms = "hug" if knees_up else rng.choice(["lap", "down"])
        lean = math.radians(rng.uniform(10, 30) if knees_up else rng.uniform(-15, 5))
        for side, sx in (("R", 1), ("L", -1)):
            hip = pel + np.array([sx * 0.09 * s, 0.02 * s, -0.03 * s])
            if knees_up:
                kn = hip + 0.40 * s * unit([sx * 0.1, 0.75, 0.66])
                an = kn + 0.39 * s * unit([0, 0.3, -0.95])
            else:
                kn = hip + 0.40 * s * unit([sx * 0.02, 1, 0.12])
                an = kn + 0.39 * s * unit([0, 1, -0.15])
            legs[side] = (hip, kn, an)
    up = np.array([0, math.sin(lean), math.cos(lean)])
    J["pelvis"] = pel
    J["chest_lo"] = pel + 0.06 * s * up
    J["neck"] = pel + 0.58 * s * up
    J["head"] = pel + 0.715 * s * up + np.array([0, 0.01 * s, 0])
    for side, sx in (("R", 1), ("L", -1)):
        sh = pel + 0.51 * s * up + np.array([sx * 0.19 * s, 0, 0])
        ph = -1 if side == "R" else 1  # arm swings against the same-side leg
        el, wr = arm_joints(sh, s, sx, arms, ph * swing)
        J["sh" + side], J["el" + side], J["wr" + side] = sh, el, wr
        J["hip" + side], J["kn" + side], J["an" + side] = legs[side]
    return J


def body_prims(J: dict[str, Arr], s: float, t: dict[str, Any], obj: int, face_dir: ArrayLike = (0, 1, 0)) -> list[Prim]:
    b = t["bulk"]
    kw = dict(eps=0.96, obj=obj, skycool=t["skycool"])
    P = []
    head_up = unit(J["head"] - J["neck"])
    Mh = frame_from(head_up, face_dir)
    hr = np.array([0.085, 0.10, 0.12]) * s + (0.018 if t["hatted"] else 0.0)
    P.append(ell(J["head"], Mh, hr, t["hat"], face=dict(dir=Mh[:, 1], up=Mh[:, 2], rup=hr[2], mode=t["face_mode"],
                                                         T_face=t["face"], T_scarf=t["scarf"]), **{**kw, "eps": 0.97}))
    P.append(seg(J["neck"] - 0.03 * s * head_up, J["head"] - 0.06 * s * head_up, 0.065 * s + b, t["scarf"] - 1.0, **kw))
    tor_up = unit(J["neck"] - J["chest_lo"])
    Mt = frame_from(tor_up, face_dir)
    half = np.linalg.norm(J["neck"] - J["chest_lo"]) / 2
    P.append(ell((J["neck"] + J["chest_lo"]) / 2, Mt, (0.19 * s + b, 0.125 * s + b, half + 0.02), t["coat"],
                 grad=(Mt[:, 2], t["grad"] * 0.5), **kw))
    P.append(ell(J["pelvis"], Mt, (0.17 * s + b, 0.12 * s + 0.8 * b, 0.13 * s), (t["coat"] + t["legs"]) / 2, **kw))
    for sd in ("R", "L"):
        P.append(seg(J["sh" + sd], J["el" + sd], 0.055 * s + b, t["coat"] - 0.5, **kw))
        P.append(seg(J["el" + sd], J["wr" + sd], 0.045 * s + b * 0.8, t["coat"] - 1.0, **kw))
        hand_c = J["wr" + sd] + 0.06 * s * unit(J["wr" + sd] - J["el" + sd])
        P.append(seg(J["wr" + sd], hand_c + 0.03 * s * unit(J["wr" + sd] - J["el" + sd]), 0.042 * s, t["hand"],
                     rad2=0.028 * s, **{**kw, "eps": 0.97}))
        P.append(seg(J["hip" + sd], J["kn" + sd], 0.085 * s + b * 0.6, t["legs"], **kw))
        P.append(seg(J["kn" + sd], J["an" + sd], 0.06 * s + b * 0.5, t["legs"] - 1.0, **kw))
        leg_dir = unit(J["an" + sd] - J["kn" + sd])
        foot_fwd = unit(np.array(face_dir, float) - np.dot(face_dir, leg_dir) * leg_dir)
        fc = J["an" + sd] + 0.04 * s * leg_dir + 0.05 * s * foot_fwd
        Mf = frame_from(leg_dir, foot_fwd)
        P.append(ell(fc, Mf, (0.05 * s, 0.13 * s, 0.05 * s), t["boots"], **kw))
    return P


def place(prims: list[Prim], Rw: Arr, tw: ArrayLike, ground: bool = True) -> list[Prim]:
    out = [p.moved(Rw, np.zeros(3)) for p in prims]
    dz = -min(p.lowest_z() for p in out) + 0.005 if ground else 0.0
    return [p.moved(np.eye(3), np.asarray(tw, float) + np.array([0, 0, dz])) for p in out]


def make_person(sc: Scene, rng: Rng, pose: str, xy: Arr, heading: float, obj: int, mild: bool, wind: float,
                seat_h: float | None = None) -> tuple[list[Prim], dict[str, Any]]:
    Hm = rng.uniform(1.5, 1.9)
    s = Hm / 1.75
    t = person_temps(rng, sc.Ta, mild, wind)
    lie = None
    if pose == "lying":
        lie = rng.choice(["back", "side", "curl"])
        J = skeleton("curl" if lie == "curl" else "lying", s, rng)
    else:
        J = skeleton(pose, s, rng)
    prims = body_prims(J, s, t, obj)
    if lie is not None:
        R = rotx(math.pi / 2)
        if lie in ("side", "curl"):
            R = roty(rng.choice([-1, 1]) * math.pi / 2) @ R
        prims = [p.moved(R, np.zeros(3)) for p in prims]
    Rz = rotz(heading)
    if pose == "sit_bench":
        prims = place(prims, Rz, (xy[0], xy[1], 0.0), ground=False)
    else:
        prims = place(prims, Rz, (xy[0], xy[1], 0.0))
    return prims, dict(pose=pose if lie is None else f"lying-{lie}", height_m=round(Hm, 2), coat_c=round(t["coat"], 1))


def make_sleeper(sc: Scene, rng: Rng, xy: Arr, heading: float, obj: int, face_visible: bool,
                 style: str) -> tuple[list[Prim], dict[str, Any]]:
    """Sleeping bag or blanket, long axis along the local y (head end +y), then placed."""
    Ta = sc.Ta
    Tb = Ta + rng.uniform(1, 5)
    kw = dict(eps=0.95, obj=obj, skycool=rng.uniform(0.2, 0.6))
    P = []
    L = rng.uniform(0.9, 1.05)
    if style == "bag":
        P.append(ell((0, 0.30 * L, 0.17), np.eye(3), (0.33, 0.58 * L, 0.17), Tb, grad=(np.array([0, 1.0, 0]), 0.6), **kw))
        P.append(ell((0, -0.50 * L, 0.13), np.eye(3), (0.26, 0.55 * L, 0.13), Tb - rng.uniform(0, 1.0), **kw))
        hood_c = np.array([0, 0.92 * L, 0.16])
        P.append(ell(hood_c, np.eye(3), (0.23, 0.22, 0.16), Tb + rng.uniform(0, 1.5), **kw))
        head_c = hood_c + np.array([0, 0.03, 0.10])
    else:  # blanket over a body lying on its side / curled
        P.append(ell((0, 0.05, 0.2), np.eye(3), (0.42, 0.85 * L, 0.2), Tb, grad=(np.array([0, 1.0, 0]), 0.8), **kw))
        P.append(ell((rng.uniform(-0.1, 0.1), 0.45 * L, 0.26), np.eye(3), (0.30, 0.38, 0.18), Tb + rng.uniform(0, 1.0), **kw))
        P.append(ell((0, -0.65 * L, 0.14), np.eye(3), (0.32, 0.35, 0.14), Tb - rng.uniform(0, 1), **kw))
        head_c = np.array([0, 0.95 * L, 0.22])
        P.append(ell(head_c - np.array([0, 0.06, 0.01]), np.eye(3), (0.2, 0.14, 0.14), Tb + 0.5, **kw))
    if face_visible:
        face_dir = unit([rng.uniform(-0.6, 0.6), 0.25, 1.0])
        Mh = frame_from(np.array([0, 1.0, 0]), face_dir)
        hr = np.array([0.09, 0.10, 0.12])
        P.append(ell(head_c, Mh, hr, Tb + 1.0, eps=0.97, obj=obj,
                     face=dict(dir=Mh[:, 1], up=Mh[:, 2], rup=hr[2], mode="open", T_face=rng.uniform(28, 34),
                               T_scarf=Tb)))
    prims = place(P, rotz(heading), (xy[0], xy[1], 0.0))
    # cardboard (or mat) underneath, warmed where the body lies
    if rng.random() < 0.8:
        c = np.array(xy, float)
        sc.decals.append(Decal("rect", (c, heading + math.pi / 2, rng.uniform(0.95, 1.15), rng.uniform(0.45, 0.6)), "set",
                               Ta + sc.ground_off + rng.uniform(0.3, 1.5), soft=0.04))
        sc.decals.append(Decal("rect", (c, heading + math.pi / 2, 0.7, 0.25), "add", rng.uniform(0.3, 1.5), profile="gauss"))
    return prims, dict(pose=f"sleeper-{style}" + ("-face" if face_visible else ""), coat_c=round(Tb, 1))


# ----------------------------------------------------------------------------- decoys
def add_dog(sc: Scene, rng: Rng, xy: Arr, heading: float, cat: bool = False) -> None:
    obj = sc.decoy_id("cat" if cat else "dog")
    L = rng.uniform(0.4, 0.5) if cat else rng.uniform(0.5, 1.0)
    k = L / 0.8
    Tf = sc.Ta + (rng.uniform(5, 12) if cat else rng.uniform(4, 12))
    kw = dict(eps=0.96, obj=obj, skycool=rng.uniform(0.3, 1.0))
    P = []
    hh = 0.36 * k if not cat else 0.22 * k
    lying = rng.random() < 0.25
    if lying:
        P.append(ell((0, 0, 0.13 * k), np.eye(3), (0.18 * k, 0.32 * k, 0.13 * k), Tf, **kw))
        P.append(ell((0.05 * k, 0.3 * k, 0.12 * k), np.eye(3), (0.08 * k, 0.11 * k, 0.08 * k), Tf + 1.0, **kw))
    else:
        P.append(ell((0, 0, hh + 0.08 * k), frame_from((0, 0, 1), (0, 1, 0)), (0.12 * k, 0.30 * k, 0.12 * k), Tf, **kw))
        P.append(seg((0, 0.25 * k, hh + 0.1 * k), (0, 0.33 * k, hh + 0.22 * k), 0.07 * k, Tf, **kw))
        Mh = frame_from((0, 0, 1), (0, 1, 0))
        hr = np.array([0.075, 0.12, 0.08]) * k
        P.append(ell((0, 0.40 * k, hh + 0.26 * k), Mh, hr, Tf + 0.5,
                     face=dict(dir=np.array([0, 1.0, 0]), up=np.array([0, 0, 1.0]), rup=hr[2], mode="open",
                               T_face=sc.Ta + rng.uniform(10, 22), T_scarf=Tf), **kw))
        for sx in (-1, 1):
            for sy in (-1, 1):
                top = np.array([sx * 0.07 * k, sy * 0.21 * k, hh + 0.04 * k])
                P.append(seg(top, top * [1, 1, 0] + [0, sy * 0.02 * k, 0.0], 0.032 * k, Tf - 1.5, **kw))
        P.append(seg((0, -0.28 * k, hh + 0.1 * k), (0, -0.48 * k, hh + 0.2 * k), 0.025 * k, Tf - 1.0, **kw))
    sc.prims += place(P, rotz(heading), (xy[0], xy[1], 0.0))
    sc.occ.append((xy[0], xy[1], 0.4 * k))


def add_car(sc: Scene, rng: Rng, xy: Arr, heading: float, warm: bool = False) -> None:
    obj = sc.decoy_id("warm car" if warm else "car")
    Ta = sc.Ta
    Lc, Wc = rng.uniform(4.1, 4.9), rng.uniform(1.72, 1.86)
    body_T = Ta - rng.uniform(0.5, 2.5) if sc.night else Ta + rng.uniform(1, 6)
    glass_T = Ta - rng.uniform(0.5, 2.0) if sc.night else Ta + rng.uniform(0, 3)
    kw = dict(obj=obj)
    P = [box((0, 0, 0.62), np.eye(3), (Wc / 2, Lc / 2, 0.32), body_T, eps=0.9, skycool=0.8 if sc.night else 0, **kw),
         box((0, -0.15 * Lc, 1.2), np.eye(3), (Wc / 2 - 0.08, 0.27 * Lc, 0.26), glass_T, eps=0.85,
             top=body_T - 0.5, **kw)]
    hood_T = rng.uniform(30, 60) if warm else body_T
    P.append(box((0, 0.34 * Lc, 0.955), np.eye(3), (Wc / 2 - 0.05, 0.15 * Lc, 0.02), hood_T, eps=0.9, **kw))
    grille_T = rng.uniform(20, 45) if warm else body_T
    P.append(box((0, Lc / 2 + 0.01, 0.55), np.eye(3), (Wc / 2 - 0.2, 0.02, 0.15), grille_T, eps=0.9, **kw))
    tyre_T = Ta + (rng.uniform(4, 12) if warm else rng.uniform(-0.5, 1.0))
    for sx in (-1, 1):
        for sy in (-1, 1):
            P.append(ell((sx * (Wc / 2 - 0.12), sy * 0.32 * Lc, 0.32), np.eye(3), (0.11, 0.32, 0.32), tyre_T, eps=0.95, **kw))
    if warm:
        P.append(box((0.5, -Lc / 2 - 0.04, 0.28), np.eye(3), (0.045, 0.06, 0.045), rng.uniform(60, 110), eps=0.9, **kw))
    Rz = rotz(heading)
    c = np.array([xy[0], xy[1], 0.0])
    sc.prims += [p.moved(Rz, c) for p in P]
    # sheltered (and, if warm, melted) ground beneath the car
    sc.decals.append(Decal("rect", (np.array(xy, float), heading + math.pi / 2, Lc / 2, Wc / 2), "add",
                           rng.uniform(0.5, 2.0) + (rng.uniform(2, 6) if warm else 0.0), profile="gauss"))
    if warm:
        ex = Rz @ np.array([0.5, -Lc / 2 - 0.5, 0.45]) + c
        sc.trans.append(ell(ex, Rz, (0.35, 0.7, 0.3), Ta + rng.uniform(5, 15), alpha=rng.uniform(0.2, 0.45)))
    sc.occ.append((xy[0], xy[1], Lc / 2 + 0.3))


def add_lamp(sc: Scene, rng: Rng, xy: Arr, heading: float) -> None:
    obj = sc.decoy_id("street lamp")
    h = rng.uniform(5, 9)
    Rz = rotz(heading)
    c = np.array([xy[0], xy[1], 0.0])
    T_head = rng.uniform(20, 45) if rng.random() < 0.6 else rng.uniform(60, 110)
    P = [box((0, 0, h / 2), np.eye(3), (0.07, 0.07, h / 2), sc.Ta - 0.5, eps=0.9, obj=obj),
         box((0, 0.6, h - 0.05), np.eye(3), (0.04, 0.6, 0.04), sc.Ta - 0.5, eps=0.9, obj=obj),
         box((0, 1.15, h - 0.15), np.eye(3), (0.15, 0.3, 0.07), T_head, eps=0.9, obj=obj, hot=True)]
    sc.prims += [p.moved(Rz, c) for p in P]
    sc.occ.append((xy[0], xy[1], 0.3))


def add_manhole(sc: Scene, rng: Rng, xy: Arr, vent: bool = False) -> None:
    sc.decoy_id("heating vent" if vent else "steaming manhole")
    c = np.array(xy, float)
    Ta = sc.Ta
    if vent:
        th = rng.uniform(0, math.pi)
        sc.decals.append(Decal("rect", (c, th, rng.uniform(0.3, 0.6), rng.uniform(0.4, 0.8)), "add", rng.uniform(3, 8),
                               profile="gauss"))
        sc.decals.append(Decal("rect", (c, th, rng.uniform(0.25, 0.4), rng.uniform(0.3, 0.6)), "set",
                               rng.uniform(12, 35), soft=0.04))
    else:
        sc.decals.append(Decal("disk", (c, rng.uniform(0.8, 1.6)), "add", rng.uniform(1, 5), profile="gauss"))
        sc.decals.append(Decal("disk", (c, rng.uniform(0.3, 0.36)), "set", Ta + rng.uniform(6, 30), soft=0.04))
    if sc.night and rng.random() < 0.85:
        hz = rng.uniform(0.6, 1.6)
        sc.trans.append(ell((c[0], c[1], hz), rotz(rng.uniform(0, 6)), (rng.uniform(0.35, 0.8), rng.uniform(0.35, 0.8), hz),
                            Ta + rng.uniform(2, 10), alpha=rng.uniform(0.2, 0.55)))
    sc.occ.append((xy[0], xy[1], 0.5))


def add_bin(sc: Scene, rng: Rng, xy: Arr, heading: float) -> None:
    obj = sc.decoy_id("bin")
    big = rng.random() < 0.3
    hx, hy, hz = (0.9, 0.5, 0.6) if big else (0.3, 0.3, rng.uniform(0.45, 0.55))
    T = sc.Ta + rng.uniform(-0.5, 3)
    sc.prims.append(box((0, 0, hz), np.eye(3), (hx, hy, hz), T, eps=0.93, obj=obj, skycool=0.5).moved(
        rotz(heading), np.array([xy[0], xy[1], 0.0])))
    sc.occ.append((xy[0], xy[1], max(hx, hy) + 0.1))


def add_bags(sc: Scene, rng: Rng, xy: Arr) -> None:
    """Garbage bags / bundled belongings: lumps a little above the air temperature."""
    obj = sc.decoy_id("bags")
    for _ in range(rng.integers(1, 4)):
        r = rng.uniform(0.2, 0.4)
        o = rng.normal(0, 0.3, 2)
        sc.prims.append(ell((xy[0] + o[0], xy[1] + o[1], r * 0.7), rotz(rng.uniform(0, 6)), (r, r * 1.2, r * 0.75),
                            sc.Ta + rng.uniform(0, 2.5), eps=0.92, obj=obj, skycool=0.8))
    sc.occ.append((xy[0], xy[1], 0.7))


def add_tree(sc: Scene, rng: Rng, xy: Arr) -> None:
    obj = sc.decoy_id("tree")
    h = rng.uniform(4, 12)
    T = sc.Ta + rng.uniform(-1.0, 1.0)
    sc.prims.append(box((xy[0], xy[1], h * 0.2), np.eye(3), (0.12, 0.12, h * 0.2), sc.Ta + rng.uniform(-0.5, 0.8), eps=0.95, obj=obj))
    if rng.random() < 0.6:  # conifer
        rr = rng.uniform(1.0, 2.2)
        sc.prims.append(ell((xy[0], xy[1], h * 0.55), np.eye(3), (rr, rr, h * 0.45), T, eps=0.97, obj=obj,
                            skycool=rng.uniform(0.5, 2.0)))
        sc.occ.append((xy[0], xy[1], rr))
    else:
        sc.occ.append((xy[0], xy[1], 0.4))


def add_pipe(sc: Scene, rng: Rng, p0: Arr, p1: Arr) -> None:
    sc.decoy_id("warm pipe")
    sc.decals.append(Decal("seg", (p0, p1, rng.uniform(0.3, 0.8)), "add", rng.uniform(3, 15), profile="gauss"))


def add_building(sc: Scene, rng: Rng, c: Arr, heading: float, Lx: float, Ly: float, Hb: float, mild: bool = False,
                 door: bool = False, seed: int = 0) -> int:
    obj = sc.decoy_id("building")
    Ta = sc.Ta
    Tw = Ta + (rng.uniform(2, 9) if not mild else rng.uniform(2, 10))
    roof = Ta + rng.uniform(-1.0, 5.0)
    fa = dict(sp=rng.uniform(2.6, 3.6), ww=rng.uniform(1.0, 1.6), z1=rng.uniform(0.9, 1.6), fh=rng.uniform(2.8, 3.3),
              wh=rng.uniform(1.2, 1.6), top=Hb, lit=rng.uniform(0.2, 0.7), T_lit=Ta + rng.uniform(4, 14),
              T_dark=Ta + rng.uniform(0, 4), seed=int(rng.integers(1, 1 << 30)), leak=rng.uniform(0, 3))
    Rz = rotz(heading)
    sc.prims.append(box((0, 0, Hb / 2), np.eye(3), (Lx / 2, Ly / 2, Hb / 2), Tw, eps=0.93, obj=obj, top=roof,
                        facade=fa, skycool=0.0).moved(Rz, np.array([c[0], c[1], 0.0])))
    sc.buildings.append((np.array(c, float), heading, Lx, Ly, Hb, Tw))
    return obj


def in_building(sc: Scene, x: float, y: float, pad: float = 0.3) -> bool:
    for c, th, Lx, Ly, _, _ in sc.buildings:
        lx = (x - c[0]) * math.cos(th) + (y - c[1]) * math.sin(th)
        ly = -(x - c[0]) * math.sin(th) + (y - c[1]) * math.cos(th)
        if abs(lx) < Lx / 2 + pad and abs(ly) < Ly / 2 + pad:
            return True
    return False


def wall_vent(sc: Scene, rng: Rng, base: ArrayLike, normal: ArrayLike, along: ArrayLike) -> tuple[Arr, float]:
    """A warm exhaust grate low on a wall, warming the wall around it, with a steam wisp."""
    sc.decoy_id("wall vent")
    obj = sc.next_decoy
    z = rng.uniform(0.2, 0.6)
    c = np.asarray(base, float) + np.array([0, 0, z]) + 0.03 * np.asarray(normal, float)
    M = np.column_stack([unit(along), unit(normal), [0, 0, 1.0]])
    T = rng.uniform(18, 40)
    sc.prims.append(box(c, M, (rng.uniform(0.25, 0.45), 0.03, rng.uniform(0.15, 0.3)), T, eps=0.9, obj=obj))
    if rng.random() < 0.7:
        sc.trans.append(ell(c + 0.4 * np.asarray(normal) + np.array([0, 0, 0.5]), M, (0.5, 0.4, 0.7), sc.Ta + rng.uniform(3, 10),
                            alpha=rng.uniform(0.15, 0.4)))
    return c, T


# ----------------------------------------------------------------------------- scene kinds
def night_scene(rng: Rng, Ta: float) -> Scene:
    cloudy = rng.random() < 0.35
    T_zen = Ta - (rng.uniform(3, 8) if cloudy else rng.uniform(20, 35))
    cool = rng.uniform(0.5, 1.5) if cloudy else rng.uniform(1.5, 4.0)
    amps = (rng.uniform(0.25, 0.7), rng.uniform(0.08, 0.3), rng.uniform(0.03, 0.1))
    sc = Scene(rng, Ta, T_zen, -cool, amps, ground_eps=0.985, night=True)
    return sc


def mild_scene(rng: Rng, Ta: float) -> Scene:
    T_zen = Ta - rng.uniform(15, 30)
    amps = (rng.uniform(0.3, 1.0), rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.2))
    sc = Scene(rng, Ta, T_zen, rng.uniform(0.0, 2.5), amps, ground_eps=0.95, night=False)  # grass/soil, a bit warm
    return sc


def add_paths(sc: Scene, rng: Rng, cam: Camera, n: int, mild: bool) -> None:
    """Roads (cleared asphalt), trodden paths; in mild scenes sun-warmed asphalt."""
    for _ in range(n):
        g = sample_ground(cam, rng, margin=-80, max_range=150)
        if g is None:
            continue
        th = rng.uniform(0, math.pi)
        d = np.array([math.cos(th), math.sin(th)])
        Lr = rng.uniform(60, 200)
        p0, p1 = g - d * Lr / 2, g + d * Lr / 2
        if mild:
            Tr = sc.Ta + rng.uniform(2, 8)
            noise = sc.noise

            def road(x: Arr, y: Arr, Tr: float = Tr, noise: Noise = noise) -> Arr:
                return Tr + 0.3 * noise(x, y, 0.8)

            sc.decals.append(Decal("seg", (p0, p1, rng.uniform(2.5, 6)), "set", road, soft=0.3))
        elif rng.random() < 0.5:  # cleared road: asphalt holds a little heat
            Tr = sc.Ta + rng.uniform(-0.5, 2.0)
            sc.decals.append(Decal("seg", (p0, p1, rng.uniform(2.5, 5)), "set", Tr, soft=0.5))
            sc.decals.append(Decal("seg", (p0, p1, 0.25), "add", rng.uniform(-0.3, 0.6), soft=0.2))
        else:  # trodden path in snow
            sc.decals.append(Decal("seg", (p0, p1, rng.uniform(0.5, 1.5)), "add", rng.uniform(-0.5, 1.0), soft=0.5))


def sample_ground(cam: Camera, rng: Rng, margin: float = 10, max_range: float = 110, vmin: float | None = None,
                  tries: int = 60) -> Arr | None:
    for _ in range(tries):
        u = rng.uniform(margin, W - margin)
        v = rng.uniform(max(margin, vmin if vmin is not None else margin), H - margin)
        g = cam.ground_hit(u, v)
        if g is None or g[1] > max_range:
            continue
        return g[0]
    return None


def person_px_size(cam: Camera, xy: Arr) -> tuple[float, float]:
    u, v, z = cam.project(np.array([[xy[0], xy[1], 0.0], [xy[0], xy[1], 1.7]]))
    if np.any(z <= 0):
        return 0, 0
    up, _, _ = cam.project(np.array([[xy[0] + 0.45, xy[1], 1.0], [xy[0], xy[1] + 0.45, 1.0]]))
    return abs(v[1] - v[0]), max(abs(u[0] - up[0]), abs(u[0] - up[1]))


def inside(cam: Camera, xy: Arr, half: float, pad: float = 3) -> bool:
    pts = np.array([[xy[0] + dx, xy[1] + dy, z] for dx in (-half, half) for dy in (-half, half) for z in (0.0, 1.9)])
    u, v, z = cam.project(pts)
    return bool(np.all(z > 0) and np.all((u > pad) & (u < W - pad) & (v > pad) & (v < H - pad)))


def coverage(cam: Camera, prims: list[Prim], n: tuple[int, int] = (32, 26)) -> float:
    us = (np.arange(n[0]) + 0.5) * W / n[0]
    vs = (np.arange(n[1]) + 0.5) * H / n[1]
    D = cam.rays(us, vs).reshape(-1, 3)
    hit = np.zeros(D.shape[0], bool)
    for p in prims:
        hit |= np.isfinite(p.intersect(cam.C, D)[0])
    return float(hit.mean())


def populate_people(sc: Scene, cam: Camera, rng: Rng, n: int, poses: list[str], mild: bool, wind: float,
                    min_px: float = 5, tall_range: tuple[float, float] | None = None, cut_prob: float = 0.12,
                    near_walls: bool = False) -> None:
    pid = len(sc.people) + 1
    last = None
    for _i in range(n):
        for _ in range(80):
            m = 12
            if last is not None and rng.random() < 0.35:
                xy = last + rng.uniform(0.6, 1.5) * unit(rng.normal(size=2))
            else:
                m = -25 if rng.random() < cut_prob else 12
                g = sample_ground(cam, rng, margin=m, vmin=None)
                if g is None:
                    continue
                xy = g
            ht, wd = person_px_size(cam, xy)
            if max(ht, wd) < min_px:
                continue
            if tall_range is not None and not (tall_range[0] <= ht <= tall_range[1]):
                continue
            pose = rng.choice(poses)
            r = 0.45 if pose in ("standing", "walking") else 1.0
            if m > 0 and not inside(cam, xy, 0.5 if r < 0.5 else 1.0):
                continue
            if not sc.free(xy[0], xy[1], r) or in_building(sc, xy[0], xy[1], pad=0.9):
                continue
            break
        else:
            continue
        heading = rng.uniform(0, 2 * math.pi)
        if pose == "sit_bench":
            add_bench(sc, rng, xy, heading)
        prims, info = make_person(sc, rng, pose, xy, heading, pid, mild, wind)
        sc.prims += prims
        sc.people[pid] = dict(prims=prims, **info)
        sc.occ.append((xy[0], xy[1], r))
        last = np.array(xy, float)
        pid += 1


def add_bench(sc: Scene, rng: Rng, xy: Arr, heading: float) -> None:
    """Bench whose seat sits under a seated person (person frame: facing +y, seat centred on hips)."""
    obj = sc.decoy_id("bench")
    T = sc.Ta + rng.uniform(-1.0, 0.5)
    Rz = rotz(heading)
    c = np.array([xy[0], xy[1], 0.0])
    off = rng.uniform(-0.5, 0.5)
    P = [box((off, 0.05, 0.42), np.eye(3), (0.8, 0.22, 0.03), T, eps=0.93, obj=obj, skycool=0.8),
         box((off, -0.2, 0.72), np.eye(3), (0.8, 0.025, 0.22), T, eps=0.93, obj=obj),
         box((off - 0.7, 0.0, 0.2), np.eye(3), (0.03, 0.22, 0.2), T, eps=0.93, obj=obj),
         box((off + 0.7, 0.0, 0.2), np.eye(3), (0.03, 0.22, 0.2), T, eps=0.93, obj=obj)]
    sc.prims += [p.moved(Rz, c) for p in P]


def scatter(sc: Scene, cam: Camera, rng: Rng, what: str, n: int, **kw: Any) -> None:
    min_d = 0.0
    if getattr(cam, "kind", "") == "fixed":
        min_d = 12.0 if what == "car" else 5.0
    for _ in range(n):
        for _ in range(20):
            g = sample_ground(cam, rng, margin=-40, max_range=160)
            if g is None or in_building(sc, g[0], g[1], pad=1.0) or not sc.free(g[0], g[1], 1.0) \
                    or math.hypot(g[0] - cam.C[0], g[1] - cam.C[1]) < min_d:
                g = None
                continue
            break
        if g is None:
            continue
        h = rng.uniform(0, 2 * math.pi)
        if what == "dog":
            add_dog(sc, rng, g, h)
        elif what == "cat":
            add_dog(sc, rng, g, h, cat=True)
        elif what == "car":
            add_car(sc, rng, g, h, **kw)
        elif what == "lamp":
            add_lamp(sc, rng, g, h)
        elif what == "manhole":
            add_manhole(sc, rng, g)
        elif what == "vent":
            add_manhole(sc, rng, g, vent=True)
        elif what == "bin":
            add_bin(sc, rng, g, h)
        elif what == "tree":
            add_tree(sc, rng, g)
        elif what == "bags":
            add_bags(sc, rng, g)
        elif what == "pipe":
            th = rng.uniform(0, math.pi)
            d = np.array([math.cos(th), math.sin(th)]) * rng.uniform(8, 30)
            add_pipe(sc, rng, g - d, g + d)


def drone_camera(rng: Rng, alt_rng: tuple[float, float], pitch_rng: tuple[float, float]) -> Camera:
    alt = rng.uniform(*alt_rng)
    pitch = rng.uniform(*pitch_rng)
    hfov = float(rng.choice([32.0, 40.6, 45.0, 50.0, 61.0]))
    if alt > 70 and hfov > 50:
        hfov = 45.0
    roll = float(rng.uniform(-1.5, 1.5)) if rng.random() < 0.3 else 0.0
    cam = Camera((0, 0, alt), rng.uniform(0, 360), pitch, roll, hfov)
    cam.kind = "drone"
    return cam


def drone_building(sc: Scene, cam: Camera, rng: Rng, mild: bool, force: bool = False) -> Any:
    if not force and rng.random() < 0.5:
        return None
    g = sample_ground(cam, rng, margin=-60, max_range=150)
    if g is None:
        return None
    Lx, Ly, Hb = rng.uniform(10, 30), rng.uniform(8, 16), rng.uniform(4, 18)
    add_building(sc, rng, g, rng.uniform(0, math.pi), Lx, Ly, Hb, mild=mild)
    return sc.buildings[-1]


def n_people(rng: Rng) -> int:
    return 0 if rng.random() < 0.15 else int(rng.integers(1, 6))


def scene_drone(rng: Rng, kind: str, Ta: float) -> tuple[Camera, Scene]:
    if kind == "drone-nadir-night":
        cam = drone_camera(rng, (30, 90), (-90, -75))
    else:
        cam = drone_camera(rng, (20, 60), (-60, -30))
    sc = night_scene(rng, Ta)
    wind = rng.random()
    add_paths(sc, rng, cam, int(rng.integers(0, 3)), False)
    drone_building(sc, cam, rng, False)
    scatter(sc, cam, rng, "tree", int(rng.integers(0, 5)))
    if rng.random() < 0.4:
        scatter(sc, cam, rng, "car", int(rng.integers(1, 3)))
    if rng.random() < 0.3:
        scatter(sc, cam, rng, "dog", 1)
    if rng.random() < 0.25:
        scatter(sc, cam, rng, "manhole", 1)
    if rng.random() < 0.2:
        scatter(sc, cam, rng, "lamp", int(rng.integers(1, 3)))
    poses = ["standing", "standing", "walking", "walking", "sit_ground", "lying"]
    populate_people(sc, cam, rng, n_people(rng), poses, False, wind, min_px=3.5)
    return cam, sc


def street_camera(rng: Rng) -> Camera:
    hc = rng.uniform(4, 10)
    pitch = rng.uniform(-45, -20)
    hfov = rng.uniform(35, 60)
    cam = Camera((0, 0, hc), rng.uniform(0, 360), pitch, 0.0, hfov)
    cam.kind = "fixed"
    return cam


def street_layout(sc: Scene, cam: Camera, rng: Rng, mild: bool) -> list[tuple[Arr, Arr]]:
    """A facade (8-60 % of the frame) along one side of the view or across the back."""
    n_p, n_d, n_b, counts = len(sc.prims), len(sc.decals), len(sc.buildings), dict(sc.counts)
    for _ in range(25):
        walls = _street_layout(sc, cam, rng, mild)
        cov = coverage(cam, sc.prims[n_p:])
        if 0.08 <= cov <= 0.6:
            return walls
        del sc.prims[n_p:], sc.decals[n_d:], sc.buildings[n_b:]
        sc.counts = dict(counts)
    return _street_layout(sc, cam, rng, mild)


def _street_layout(sc: Scene, cam: Camera, rng: Rng, mild: bool) -> list[tuple[Arr, Arr]]:
    psi = math.radians(cam.yaw)
    f = np.array([math.sin(psi), math.cos(psi)])
    r = np.array([math.cos(psi), -math.sin(psi)])
    walls = []
    layout = rng.choice(["side", "back", "both"])
    Ta = sc.Ta
    if layout in ("side", "both"):
        side = rng.choice([-1, 1])
        a = side * rng.uniform(3.5, 7)
        depth = 12.0
        ang = math.radians(rng.uniform(-12, 12))
        fd = math.cos(ang) * f + math.sin(ang) * r
        n_fd = np.array([-fd[1], fd[0]])
        if np.dot(n_fd, r * side) < 0:
            n_fd = -n_fd
        base = r * a
        c = base + n_fd * depth / 2 + fd * 40
        heading = math.atan2(fd[1], fd[0])  # building local x along fd
        Hb = rng.uniform(8, 25)
        add_building(sc, rng, c, heading, 100.0, depth, Hb, mild=mild)
        walls.append((base, fd))
        # sidewalk along the facade, road beyond
        sw = rng.uniform(2.5, 5)
        Tsw = Ta + (rng.uniform(2, 6) if mild else rng.uniform(-1.5, 1.0))
        sc.decals.append(Decal("seg", (base - fd * 20 - side * r * sw / 2, base + fd * 120 - side * r * sw / 2, sw / 2), "set", Tsw, soft=0.15))
        Troad = Ta + (rng.uniform(3, 8) if mild else rng.uniform(-0.5, 2.0))
        rw = rng.uniform(3, 6)
        sc.decals.append(Decal("seg", (base - fd * 20 - side * r * (sw + rw), base + fd * 120 - side * r * (sw + rw), rw), "set", Troad, soft=0.3))
    if layout in ("back", "both"):
        dist = rng.uniform(12, 26)
        ang = math.radians(rng.uniform(-20, 20))
        n = math.cos(ang) * f + math.sin(ang) * r  # facade normal (away from camera)
        along = np.array([n[1], -n[0]])
        depth = 12.0
        c = n * (dist + depth / 2)
        Hb = rng.uniform(8, 25)
        heading = math.atan2(along[1], along[0])
        add_building(sc, rng, c, heading, 120.0, depth, Hb, mild=mild)
        walls.append((n * dist, along))
        sw = rng.uniform(2.5, 5)
        Tsw = Ta + (rng.uniform(2, 6) if mild else rng.uniform(-1.5, 1.0))
        sc.decals.append(Decal("seg", (n * (dist - sw / 2) - along * 60, n * (dist - sw / 2) + along * 60, sw / 2), "set", Tsw, soft=0.15))
        Troad = Ta + (rng.uniform(3, 8) if mild else rng.uniform(-0.5, 2.0))
        rw = rng.uniform(3, 6)
        sc.decals.append(Decal("seg", (n * (dist - sw - rw) - along * 60, n * (dist - sw - rw) + along * 60, rw), "set", Troad, soft=0.3))
    return walls


def wall_normal_toward_camera(base: Arr, along: Arr, cam: Camera) -> Arr:
    nrm = np.array([-along[1], along[0]])
    if np.dot(cam.C[:2] - base, nrm) < 0:
        nrm = -nrm
    return unit(nrm)


def add_door(sc: Scene, rng: Rng, base: Arr, along: Arr, nrm: Arr, s_along: float) -> None:
    obj = sc.decoy_id("door")
    c = np.array([*(base + along * s_along + nrm * 0.03), 1.05])
    M = np.column_stack([[*along, 0], [*nrm, 0], [0, 0, 1.0]])
    sc.prims.append(box(c, M, (0.55, 0.03, 1.05), sc.Ta + rng.uniform(5, 14), eps=0.9, obj=obj))
    # heat spilling from the door onto the step
    sc.decals.append(Decal("disk", (base + along * s_along + nrm * 0.6, 0.8), "add", rng.uniform(1, 3), profile="gauss"))


def scene_street(rng: Rng, Ta: float, mild: bool = False, cam: Camera | None = None) -> tuple[Camera, Scene]:
    cam = cam or street_camera(rng)
    sc = mild_scene(rng, Ta) if mild else night_scene(rng, Ta)
    if not mild:
        sc.ground_off = -rng.uniform(1.0, 3.0)
    walls = street_layout(sc, cam, rng, mild)
    doors = []
    for base, along in walls:
        nrm = wall_normal_toward_camera(base, along, cam)
        # a door somewhere visible along the wall
        for _ in range(20):
            s_al = rng.uniform(-15, 40)
            pt = base + along * s_al
            u, v, z = cam.project(np.array([[pt[0], pt[1], 1.0]]))
            if z[0] > 0 and 30 < u[0] < W - 30 and 30 < v[0] < H - 30:
                add_door(sc, rng, base, along, nrm, s_al)
                doors.append((base, along, nrm, s_al))
                break
    if rng.random() < 0.5:
        scatter(sc, cam, rng, "lamp", 1)
    if rng.random() < 0.5:
        scatter(sc, cam, rng, "bin", int(rng.integers(1, 3)))
    if rng.random() < 0.4:
        scatter(sc, cam, rng, "car", 1)
    if rng.random() < 0.3:
        scatter(sc, cam, rng, "tree", 1)
    wind = rng.random()
    n = n_people(rng)
    # someone lying at a doorway
    if doors and n > 0 and rng.random() < 0.45:
        base, along, nrm, s_al = doors[0]
        xy = base + along * (s_al + rng.uniform(0.8, 1.6)) + nrm * rng.uniform(0.5, 0.8)
        heading = math.atan2(along[1], along[0]) - math.pi / 2 + rng.choice([0, math.pi])
        pid = len(sc.people) + 1
        prims, info = make_person(sc, rng, "lying", xy, heading, pid, mild, wind)
        sc.prims += prims
        sc.people[pid] = dict(prims=prims, **info)
        sc.occ.append((xy[0], xy[1], 1.0))
        n -= 1
    poses = ["standing", "standing", "walking", "walking", "sit_bench", "sit_ground", "lying"]
    populate_people(sc, cam, rng, n, poses, mild, wind, min_px=8, tall_range=(45, 220))
    return cam, sc


def scene_sleepers(rng: Rng, Ta: float) -> tuple[Camera, Scene]:
    use_drone = rng.random() < 0.45
    if use_drone:
        cam = drone_camera(rng, (20, 60), (-90, -35))
        sc = night_scene(rng, Ta)
        b = None
        for _ in range(10):
            b = drone_building(sc, cam, rng, False, force=True)
            if b is not None:
                break
        walls = []
        if b is not None:
            c, th, Lx, Ly, _, _ = b
            ax = np.array([math.cos(th), math.sin(th)])
            ay = np.array([-math.sin(th), math.cos(th)])
            for sgn in (-1, 1):
                walls.append((c + sgn * ay * Ly / 2, ax, Lx))
                walls.append((c + sgn * ax * Lx / 2, ay, Ly))
        add_paths(sc, rng, cam, int(rng.integers(0, 2)), False)
    else:
        cam = street_camera(rng)
        sc = night_scene(rng, Ta)
        sc.ground_off = -rng.uniform(1.0, 3.0)
        ws = street_layout(sc, cam, rng, False)
        walls = [(base, along, 60.0) for base, along in ws]
    wind = rng.random()
    n = n_people(rng)
    n_sleep = min(n, int(rng.integers(1, 5))) if n else 0
    pid = 1
    for _i in range(n_sleep + (1 if n == 0 else 0)):
        decoy_only = n == 0
        for _ in range(60):
            if walls:
                base, along, span = walls[rng.integers(len(walls))]
                nrm: Arr | None = wall_normal_toward_camera(base, along, cam) if not use_drone else None
                if use_drone:
                    # outward normal: away from the building centre
                    c = sc.buildings[0][0]
                    nrm = unit(base - c) if np.linalg.norm(base - c) > 1e-6 else np.array([1.0, 0])
                    nrm = nrm - np.dot(nrm, along) * along
                    nrm = unit(nrm)
                assert nrm is not None
                s_al = rng.uniform(-span / 2 + 1, span / 2 - 1) if use_drone else rng.uniform(-10, 40)
                xy = base + along * s_al + nrm * rng.uniform(0.45, 0.8)
                heading = math.atan2(along[1], along[0]) - math.pi / 2 + rng.choice([0, math.pi])
            else:
                g = sample_ground(cam, rng, margin=15)
                if g is None:
                    continue
                xy, heading, nrm, base, along = g, rng.uniform(0, 6.3), None, None, None
            _ht, wd = person_px_size(cam, xy)
            u, v, z = cam.project(np.array([[xy[0], xy[1], 0.2]]))
            if z[0] <= 0 or not (-20 < u[0] < W + 20 and -20 < v[0] < H + 20) or max(wd, 0.0) < 5:
                continue
            if not sc.free(xy[0], xy[1], 1.1) or in_building(sc, xy[0], xy[1], pad=0.15):
                continue
            break
        else:
            continue
        if nrm is not None and rng.random() < 0.5:  # a heating vent on the wall behind the sleeper
            assert base is not None and along is not None  # set with nrm, from a wall
            vent_base = np.array([*(xy - nrm * np.dot(xy - base, nrm)), 0.0])
            wall_vent(sc, rng, vent_base, [*nrm, 0.0], [*along, 0.0])
        elif rng.random() < 0.25:
            add_manhole(sc, rng, xy + rng.normal(0, 0.6, 2) + (nrm if nrm is not None else 0) * 0.6, vent=True)
        if decoy_only:
            if rng.random() < 0.5:
                add_bags(sc, rng, xy)
            else:  # empty cardboard where someone slept
                sc.decals.append(Decal("rect", (np.array(xy), heading + math.pi / 2, 1.0, 0.5), "set", Ta + rng.uniform(0.2, 1.2), soft=0.04))
            sc.occ.append((xy[0], xy[1], 1.0))
            continue
        style = rng.choice(["bag", "bag", "blanket"])
        prims, info = make_sleeper(sc, rng, xy, heading, pid, face_visible=rng.random() < 0.45, style=style)
        sc.prims += prims
        sc.people[pid] = dict(prims=prims, **info)
        sc.occ.append((xy[0], xy[1], 1.1))
        pid += 1
        if rng.random() < 0.35:
            add_bags(sc, rng, xy + along * rng.choice([-1.5, 1.5]) if walls else xy + 1.5)
    if rng.random() < 0.4:
        scatter(sc, cam, rng, "bags", 1)
    rest = min(n - n_sleep, 2)
    if rest > 0:
        populate_people(sc, cam, rng, rest, ["standing", "walking", "sit_ground"], False, wind,
                        min_px=6, tall_range=None if use_drone else (40, 230))
    return cam, sc


def scene_dusk(rng: Rng, Ta: float) -> tuple[Camera, Scene]:
    r = rng.random()
    if r < 0.3:
        cam = drone_camera(rng, (20, 50), (-90, -70))
    elif r < 0.65:
        cam = drone_camera(rng, (20, 45), (-60, -30))
    else:
        cam, sc = scene_street(rng, Ta, mild=True)
        if rng.random() < 0.4:
            scatter(sc, cam, rng, "dog", 1)
        return cam, sc
    sc = mild_scene(rng, Ta)
    add_paths(sc, rng, cam, int(rng.integers(1, 4)), True)
    drone_building(sc, cam, rng, True)
    scatter(sc, cam, rng, "tree", int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        scatter(sc, cam, rng, "car", int(rng.integers(1, 4)))
    if rng.random() < 0.4:
        scatter(sc, cam, rng, "dog", 1)
    if rng.random() < 0.2:
        scatter(sc, cam, rng, "bin", 2)
    poses = ["standing", "standing", "walking", "walking", "sit_ground", "lying"]
    populate_people(sc, cam, rng, n_people(rng), poses, True, rng.random(), min_px=3.5)
    return cam, sc


def scene_clutter(rng: Rng, Ta: float) -> tuple[Camera, Scene]:
    r = rng.random()
    if r < 0.3:
        cam = drone_camera(rng, (30, 80), (-90, -70))
        sc = night_scene(rng, Ta)
        drone_building(sc, cam, rng, False)
        add_paths(sc, rng, cam, int(rng.integers(1, 3)), False)
    elif r < 0.65:
        cam = drone_camera(rng, (20, 60), (-60, -30))
        sc = night_scene(rng, Ta)
        drone_building(sc, cam, rng, False, force=rng.random() < 0.7)
        add_paths(sc, rng, cam, int(rng.integers(1, 3)), False)
    else:
        cam = street_camera(rng)
        sc = night_scene(rng, Ta)
        sc.ground_off = -rng.uniform(1.0, 3.0)
        street_layout(sc, cam, rng, False)
    fixed = r >= 0.65
    scatter(sc, cam, rng, "car", int(rng.integers(1, 4)))
    scatter(sc, cam, rng, "car", 1, warm=True)
    scatter(sc, cam, rng, "manhole", int(rng.integers(0, 3)))
    scatter(sc, cam, rng, "vent", int(rng.integers(0, 2)))
    scatter(sc, cam, rng, "lamp", int(rng.integers(1, 3)))
    scatter(sc, cam, rng, "dog", int(rng.integers(0, 3)))
    scatter(sc, cam, rng, "cat", int(rng.integers(0, 2)))
    scatter(sc, cam, rng, "bin", int(rng.integers(1, 4)))
    if rng.random() < 0.7:
        scatter(sc, cam, rng, "pipe", 1)
    if rng.random() < 0.3:
        scatter(sc, cam, rng, "bags", 1)
    poses = ["standing", "standing", "walking", "walking", "sit_ground", "lying"] + (["sit_bench"] if fixed else [])
    populate_people(sc, cam, rng, n_people(rng), poses, False, rng.random(), min_px=3.5 if not fixed else 8,
                    tall_range=(45, 220) if fixed else None)
    return cam, sc


# ----------------------------------------------------------------------------- sensor & output
def sensor(Tc: Arr, rng: Rng) -> tuple[Arr, float]:
    sig = rng.uniform(0.6, 1.5)
    out = cv2.GaussianBlur(Tc, (0, 0), sig)
    yy, xx = np.mgrid[0:H, 0:W]
    r2 = ((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / ((W / 2) ** 2 + (H / 2) ** 2)
    out = out + rng.uniform(-0.5, 0.3) * r2
    out = out + rng.normal(0, rng.uniform(0.015, 0.06), W)[None, :] + rng.normal(0, 0.01, H)[:, None]
    out = out + rng.normal(0, rng.uniform(0.03, 0.1), (H, W))
    return out, sig


def labels_for(cam: Camera, sc: Scene, ids: Arr, ss: int = SS) -> tuple[list[list[int]], list[list[int]], list[dict[str, Any]]]:
    people, ignore, info = [], [], []
    for pid, rec in sc.people.items():
        m = (ids == pid)
        vis = int(m.sum())
        if vis == 0:
            continue
        cov = m.reshape(H, ss, W, ss).mean(axis=(1, 3))
        sel = cov >= 0.5
        if sel.sum() == 0:
            sel = cov > 0
        ys, xs = np.nonzero(sel)
        bx = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        total, outside = person_alone(cam, rec["prims"], ss)
        frac = vis / max(total, 1)
        cut = outside > 0
        rec_out = dict(box=bx, visible=round(min(frac, 1.0), 2), cut=bool(cut), pose=rec["pose"])
        if cut or frac < 0.3 or sel.sum() < 3:
            ignore.append(bx)
            rec_out["ignored"] = True
        else:
            people.append(bx)
        info.append(rec_out)
    return people, ignore, info


def latlon(base: tuple[float, float], x: float, y: float) -> tuple[float, float]:
    lat0, lon0 = base
    return lat0 + y / M_PER_DEG, lon0 + x / (M_PER_DEG * math.cos(math.radians(lat0)))


def fixed_ground_points(cam: Camera) -> list[tuple[int, int, Arr]]:
    pts = []
    for fv in (0.6, 0.75, 0.95):
        for fu in (0.08, 0.5, 0.92):
            u, v = round(W * fu), round(H * fv)
            g = cam.ground_hit(u, v)
            if g is None or g[1] > 250:
                continue
            pts.append((u, v, g[0]))
    return pts


def timestamp(rng: Rng, mild: bool) -> str:
    tz = timezone(timedelta(hours=8))
    if mild:
        day = datetime(2024, 4, 1, tzinfo=tz) + timedelta(days=int(rng.integers(0, 45)))
        if rng.random() < 0.5:
            day = datetime(2024, 9, 20, tzinfo=tz) + timedelta(days=int(rng.integers(0, 40)))
        t = day + timedelta(hours=17.5 + rng.uniform(0, 2.2))
    else:
        day = datetime(2024, 12, 1, tzinfo=tz) + timedelta(days=int(rng.integers(0, 88)))
        t = day + timedelta(hours=19 + rng.uniform(0, 10))
    return t.replace(microsecond=0, second=0).isoformat()


def make_frame(kind: str, rng: Rng) -> tuple[Arr, dict[str, Any], list[list[int]], list[list[int]], dict[str, Any]]:
    if kind == "dusk-mild":
        Ta = rng.uniform(2, 12)
    elif kind == "drone-nadir-night" or kind == "drone-oblique-night":
        Ta = rng.uniform(-30, -5)
    else:
        Ta = rng.uniform(-28, -5)
    if kind.startswith("drone"):
        cam, sc = scene_drone(rng, kind, Ta)
    elif kind == "street-fixed":
        cam, sc = scene_street(rng, Ta)
    elif kind == "sleepers":
        cam, sc = scene_sleepers(rng, Ta)
    elif kind == "dusk-mild":
        cam, sc = scene_dusk(rng, Ta)
    else:
        cam, sc = scene_clutter(rng, Ta)
    Ts, ids = render(cam, sc)
    Tc = Ts.reshape(H, SS, W, SS).mean(axis=(1, 3))
    Tout, sig = sensor(Tc, rng)
    ck = np.clip(np.rint((Tout + KELVIN) * 100.0), 0, 65535).astype(np.uint16)
    people, ignore, info = labels_for(cam, sc, ids)
    base = CITIES[int(rng.integers(len(CITIES)))]
    base = (base[0] + rng.uniform(-0.03, 0.03), base[1] + rng.uniform(-0.03, 0.03))
    meta = {"captured_at": timestamp(rng, kind == "dusk-mild"), "width": W, "height": H, "ambient_c": round(float(Ta), 2)}
    if cam.kind == "drone":
        lat, lon = latlon(base, 0.0, 0.0)
        meta = {"camera_id": f"indep2-uav-{int(rng.integers(1, 9))}", "kind": "drone", **meta,
                "lat": round(lat, 7), "lon": round(lon, 7), "alt_m": round(float(cam.C[2]), 2),
                "yaw_deg": round(float(cam.yaw), 2), "pitch_deg": round(float(cam.pitch), 2),
                "roll_deg": round(float(cam.roll), 2), "hfov_deg": round(float(cam.hfov), 2)}
    else:
        gp = []
        for u, v, xy in fixed_ground_points(cam):
            la, lo = latlon(base, xy[0], xy[1])
            gp.append([u, v, round(la, 8), round(lo, 8)])
        meta = {"camera_id": f"indep2-pole-{int(rng.integers(100, 999))}", "kind": "fixed", **meta, "ground_points": gp}
    extra = dict(camera=dict(pos=[round(float(a), 2) for a in cam.C], yaw=round(cam.yaw, 2), pitch=round(cam.pitch, 2),
                             hfov=round(cam.hfov, 2)),
                 blur_sigma=round(sig, 2), sky_zenith_c=round(float(sc.T_zen), 1), ground_off_k=round(float(sc.ground_off), 2),
                 decoys=sc.counts, people=info)
    return ck, meta, people, ignore, extra


def preview(ck: Arr, people: list[list[int]], ignore: list[list[int]], path: str) -> None:
    t = ck.astype(np.float32)
    lo, hi = np.percentile(t, [1, 99.7])
    g = np.clip((t - lo) / max(hi - lo, 1) * 255, 0, 255).astype(np.uint8)
    img = cv2.applyColorMap(g, cv2.COLORMAP_INFERNO)
    for x, y, w, h in people:
        cv2.rectangle(img, (x - 1, y - 1), (x + w, y + h), (0, 255, 0), 1)
    for x, y, w, h in ignore:
        cv2.rectangle(img, (x - 1, y - 1), (x + w, y + h), (255, 255, 0), 1)
    cv2.imwrite(path, img)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-kind", type=int, default=10)
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--previews", default=None, help="folder for 8-bit previews with boxes")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    if a.previews:
        os.makedirs(a.previews, exist_ok=True)
    labels: dict[str, dict[str, Any]] = {"frames": {}}
    truth = {}
    for kind in a.kinds.split(","):
        for i in range(a.per_kind):
            rng = np.random.default_rng([a.seed, KINDS.index(kind), i])
            ck, meta, people, ignore, extra = make_frame(kind, rng)
            name = f"{kind}_{i:03d}"
            cv2.imwrite(os.path.join(a.out, name + ".png"), ck)
            with open(os.path.join(a.out, name + ".json"), "w") as fh:
                json.dump(meta, fh, indent=1)
            labels["frames"][name + ".png"] = {"people": people, "ignore": ignore, "tags": [kind]}
            truth[name + ".png"] = extra
            if a.previews:
                preview(ck, people, ignore, os.path.join(a.previews, f"{os.path.basename(a.out.rstrip('/'))}_{name}.png"))
            print(f"{name}: {len(people)} people, {len(ignore)} ignore, decoys {extra['decoys']}", flush=True)
    with open(os.path.join(a.out, "labels.json"), "w") as fh:
        json.dump(labels, fh, indent=1)
    # render-side facts kept outside the labelled folder (the bench reads only the files above)
    with open(os.path.join(os.path.dirname(os.path.abspath(a.out)), os.path.basename(a.out.rstrip("/")) + "_truth.json"), "w") as fh:
        json.dump(truth, fh, indent=1)


if __name__ == "__main__":
    main()

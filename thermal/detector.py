"""Find people in radiometric frames, in physical units, fast.

Pipeline (about 1-2 ms for 640x512 on one core):
1. Background: the working copy averaged into 8x8-pixel cells, then a grey-level
   opening (removes warm things smaller than ~7 cells) and a light blur; this
   follows vignetting, warm facades and snow/asphalt patches but not people.
   The working copy is the frame halved (4x fewer pixels) unless people would
   be only a pixel or two there: small frames (<= 320x256) and coarse ground
   sampling keep full resolution.
2. Candidates: pixels warmer than background by max(2.5 °C, 6 noise sigma),
   grouped as external contours. Clothing is a few to 15 °C above ambient, so
   2.5 °C keeps even well-insulated sleepers.
3. Each candidate is measured at full resolution inside its bbox only: peak
   and mean temperature, local background from a ring around it, second
   moments converted to metres with the camera model (metres per pixel across
   the line of sight, depression angle, the image direction of the vertical),
   hot-spot size and uniformity. A blob longer or wider than anyone
   (people sitting or lying together) that shows two or more resolved faces
   is split among them, each warm pixel going to its nearest face. A face found
   without its body (thick clothing on frozen ground, below the threshold) is
   grown into the body connected to it at half the threshold, within a body's
   reach: a face ends a body, so that low level is searched only there. A faceless spot no
   warmer than clothing may likewise be the warm end of a body below the threshold (a sleeping
   bag's hood end over ground warmer than the air): its body is searched for the same way and
   kept when it is an object's (sharp outline, several times the spot) and scores as well; so is
   a face with part of its clothing (a head and shoulders), whose body is grown only through
   pixels clearly warmer than the air, and a grown body's box is drawn round its own outline.
4. A fuzzy score multiplies memberships, each a physical argument:
   - a person's surface never exceeds skin temperature (~35 °C, 40 with
     margin); engines, exhausts and lamps do;
   - a person's projected size lies in the envelope of standing (1.5-1.9 m
     tall, 0.4-0.6 m wide), sitting (~1 m) and lying (1.5-1.9 x 0.4-0.6 m,
     foreshortened along the range by sin(depression), so that along the image's
     vertical it spans no more than its length's share of the range plus its low
     height's); a size is known only to
     about a pixel, so a few-pixel blob is judged leniently;
   - a person is not uniform: a small hot face/hands over cooler clothing,
     while vents, manholes and windows are uniform plates;
   - skin-temperature areas are small (a face is ~0.2 m), and clothing is at
     most ~15 °C above ambient: a patch bigger than a face that is at skin
     temperature, or warmer than clothing can be, is a vent, manhole or window;
   - a face a few pixels wide is blurred below skin temperature: its
     temperature is unmixed with the share of it the hottest pixel can hold at
     this ground sample distance (and the optics blur) before it counts;
   - a face in hard frost can read 5-20 °C yet stand 20-30 K above the air, where no clothing,
     fur or dog's head reaches: a face-sized spot that warm is skin whatever its degrees (cold_skin);
   - dogs are at most ~1.15 m long (with the head), 0.35 m wide and 0.75 m high,
     fur only a few degrees above ambient, no skin-temperature spot: a blob
     without a face whose silhouette fits inside such a dog's, seen at this
     depression angle with any heading, is a dog (or a hooded person we cannot
     tell from one); a standing person seen obliquely, or anyone wider than a
     dog's body from above, does not fit.
   - in a mild scene (dusk, spring) a face at range reads 15-20 °C and clothing can
     be as warm: degrees no longer tell a face, its place and contrast do. A small
     spot warmer than the blob's own clothing at the top end of an upright blob
     wider than a dog, in an oblique view, is a face too (top_face): relative to
     the scene, not to a fixed skin temperature.
   - a sleeping bag's or blanket's surface is only 1.5-5 K above the air (clothing 4-15): a
     lying, body-sized, sharp-edged blob clearly warmer than its surroundings is warm enough
     from 1.5 K above the air (BAG_OVER_AIR_K; at night snow is colder than the air).
   Sizes in metres are blur-corrected (MEAS_EXCESS_PX) before these tests.
   Candidates overlapping a better-scored one (a face's body and a fragment of
   it) are the same person: reported once.
Without a pose (pixel-only mode) the size membership falls back to relative
bounds: a person covers 3 px to 35 % of the image's short side.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

from core.errors import FrameError
from core.records import Detection
from thermal.cameras import (
    BeyondHorizonError,
    Camera,
    FrameMeta,
    HomographyCamera,
    check_meta_size,
    make_camera,
    reduction_factor,
)
from thermal.frames import ThermalImage
from thermal.grey import candidate_table, grey_posture, keep_best, load_model, person_px
from thermal.scene import background, noise_sigma, reduced
from thermal.tracking import iou

HALF_RES_FACTOR = 0.8  # averaging 2x2 lowers a small blob's contrast; be a little more lenient
MIN_DELTA_C = 2.5  # clothing is at least a few °C above its surroundings
NOISE_K = 6.0
MIN_AREA_PX = 3
SMALL_FRAME_PX = 320 * 256  # frames up to this many pixels are searched at full resolution
PERSON_MIN_PX = 3.0  # below this many pixels per 0.5 m (a person's width), search at full resolution
MAX_CANDIDATES = 64
SKIN_MAX_C = 40.0  # nothing on a person is hotter than skin (35 °C) plus margin
SKIN_MIN_C = 24.0  # a visible face or hand, blurred by the optics
SCORE_MIN = 0.5
# A face (~0.2 m) over cooler clothing: how much of its warmth reaches the hottest pixel depends
# on the pixel footprint and the optics blur (PSF, ~1 px sigma for small thermal lenses).
FACE_RADIUS_M = 0.1
PSF_SIGMA_PX = 1.0
FACE_FRAC_MIN = 0.15  # below this a face is unresolved; do not amplify noise further
CLOTHING_MAX_K = 15.0  # clothing (and fur) is at most this much above ambient
OVERWARM_MARGIN_K = 3.0  # noise and a clothing temperature ramp
# a blob's moment extent exceeds the object by ~2 px: the +1 px pixel footprint and
# the optics blur (~0.7 px sigma on each edge) at the half-contrast level
MEAS_EXCESS_PX = 2.0
SIZE_TOL_PX = 1.0  # a blob's extent is known to about a pixel (sampling phase, blur, threshold)
# a dog: 0.6-1 m body, ~0.3 m wide, head ~0.17 m beyond it, back up to ~0.75 m
DOG_BOX_M = (1.15, 0.35, 0.75)  # the largest dog as a solid box: length with head, width, height
DOG_HEADINGS = tuple(math.radians(a) for a in range(0, 180, 15))
CALIPER_DIRS = tuple(math.radians(a) for a in range(0, 180, 15))  # directions a silhouette's widths are compared in
_CALIPER_UNIT = np.array([[math.cos(a) for a in CALIPER_DIRS], [math.sin(a) for a in CALIPER_DIRS]])
# blob/dog extent ratio: fits a dog at 1.0, clearly larger at 1.1. The solid box already overstates
# any real dog's silhouette (legs, a rounded back), and measurement excess is allowed for in the
# ratio: a ramp to 1.2 refused faceless people up to a fifth larger than the box (no face: 0.82 -> 0.90
# at seed 11, 0.79 -> 0.89 at 23), for one false dog in ~24 dogs more (tests/unit/thermal)
DOG_FIT = (1.0, 1.1)
# a uniform warm quadrilateral is a slab (window, door, grille): hot_ratio below SLAB_HOT_RATIO[0] fully
# (people 0.15-0.7, faceless ones from 0.19; windows 0.04-0.13), its outline within QUAD_TOL_PX of four
# straight sides or filling QUAD_FILL_MIN of the smallest four-sided polygon around it (a thin window's
# sharp corners are blunted by blur), judged on blobs at least SLAB_MIN_PX on each side
SLAB_HOT_RATIO = (0.08, 0.14)
QUAD_TOL_PX = 1.2
QUAD_FILL_MIN = 0.95
SLAB_MIN_PX = 6
# a uniform warm strip of even width is a slab too (_strip): across its length, its width at the
# STRIP_QUANTILES percentiles (the narrow fifth against the widest tenth) within STRIP_EVEN of each other, at
# least STRIP_LONG times as long as wide, judged from STRIP_MIN_WIDTH_PX across (a head's narrowing must show)
STRIP_QUANTILES = (20.0, 90.0)
STRIP_EVEN = (0.7, 0.8)
STRIP_LONG = (2.6, 3.0)
STRIP_MIN_WIDTH_PX = 3
# parallel bars (see _bars): a blob whose warmest parts are two or more thin bars side by side, each
# running its length, is a facade's paired windows or a grille seen from above
BAR_MIN_PX = 3  # a bar has at least this many pixels
BAR_LONG = (2.5, 3.0)  # a bar's length over its width
BAR_SPAN = (0.4, 0.6)  # the stretch two bars share over the longer one's length
BAR_RUN = (0.55, 0.65)  # the longer bar's length over the blob's extent along it (a body's legs: about half)
BAR_PARALLEL_COS = 0.94  # bars within ~20 degrees of each other
# a lit facade's windows (_window_rows): WINDOW_ROW_MIN look-alikes (box sides within a factor WINDOW_ALIKE,
# warmth within WINDOW_WARMTH_ALIKE) whose centres lie within WINDOW_LINE_TOL of the box's short side of one
# line, at a pitch of one to WINDOW_PITCH_MAX box extents that varies by at most WINDOW_PITCH_SPREAD
WINDOW_ROW_MIN = 4
WINDOW_ALIKE = 1.25
WINDOW_WARMTH_ALIKE = 1.5
WINDOW_LINE_TOL = 0.3
WINDOW_PITCH_MAX = 4.0
WINDOW_PITCH_SPREAD = 1.6
WINDOW_SKIP_MAX = 3  # a gap may span this many pitches (unlit windows between lit ones)
WINDOW_PITCH_STEP = 1.2  # the pitch changes by at most this factor from one gap to the next
# from nearly straight above (sin of the depression from DOG_TOP_VIEW_SIN[0], fully at [1]) a dog is a long
# blob and a person a compact one: below DOG_TOP_ELONGATION[0] (spread ratio) a faceless blob is no dog
DOG_TOP_VIEW_SIN = (0.9, 0.97)
DOG_TOP_ELONGATION = (1.5, 1.8)
# a face told by its place and contrast, not its degrees (top_face), used in mild scenes only:
# where the warmest clothing (ambient + CLOTHING_MAX_K) comes within MILD_K of the face
# membership's lower end (SKIN_MIN_C - 4), degrees no longer tell a face from clothing
MILD_K = 6.0
# cold_skin: a face-sized spot this far above the air (K) is skin, partly from [0], fully from [1]: fur is at
# most CLOTHING_MAX_K above the air and a dog's head (eyes, muzzle) shows up to DOG_HEAD_K more
DOG_HEAD_K = 8.0
COLD_SKIN_OVER_AIR_K = (CLOTHING_MAX_K + DOG_HEAD_K - 2.0, CLOTHING_MAX_K + DOG_HEAD_K)
TOP_FACE_COS = (0.4, 0.55)  # cos(depression): a view oblique enough for a body to have a top
TOP_FACE_EXCESS_K = (1.5, 2.5)  # the spot above the blob's own clothing
TOP_FACE_UPRIGHT = (1.8, 2.2)  # extent along the vertical / width: a standing person at cos >= 0.55 is >= ~1.9
TOP_FACE_PLACE = (0.35, 0.5)  # the spot's offset up from the centroid / half the extent along the vertical
TOP_FACE_WIDER_M = 0.1  # shoulders (0.45-0.6 m) are wider than the widest dog (DOG_BOX_M) by this
# a blob longer or wider than any one person (m) may be several: split it at its faces,
# which are at least a head's width apart
GROUP_MIN_M = (2.4, 1.1)
GROUP_FACE_GAP_M = 0.35
GROUP_FACE_FRAC_MIN = 0.2  # faces must be resolved (face_fraction) to be counted
GROUP_MAX = 8
BODY_ASPECT = (2.0, 2.6)
PLATE_EXCESS_K = (6.0, 9.0)  # above its surroundings a uniform blob is clothing below 6 K, a plate above 9 K  # length/width of a standing or lying body (plates, vents, windows: below 2)
# within this of the air a surface may be at the air's temperature (the air's reading is a station's;
# a tarpaulin, a bin or a car is at the air's temperature): no body's warmth
AIR_READING_K = 1.0
# an insulated sleeper's surface above the air (see _memberships): 1.5-5 K, so warm enough in full from 1.5 K
BAG_OVER_AIR_K = (AIR_READING_K, 1.5)
EDGE_SHARP = (0.15, 0.3)  # outline slope / contrast per px: warm ground at or below 0.15, an object above 0.3
# a halo (_halo): an outline fully as soft as steam's below HALO_EDGE[0], an object's from [1] (people on the
# bench's generator frames from 0.29, though weakly warm bags and cold clothing can measure 0.06-0.08; steam
# round the drill's vents and manholes 0.08-0.13), judged on blobs at least HALO_MIN_PX across
HALO_EDGE = (0.1, 0.15)
FLATNESS_MIN_PX = 12  # a blob's warmth is judged flat (uniform, warm ground) only from this many pixels
HALO_MIN_PX = 6.0
SAME_PERSON_IOU = 0.5  # two candidates' boxes overlapping this much are one person (a face and its body)
LONE_FACE_M = 0.45  # a warm spot no longer than this (a head) that unmixes to skin is a face
BODY_REACH_M = 2.0  # a face's body lies within this distance of it (standing, sitting or lying)
BODY_LEVEL = 0.5  # a face's body is searched for at this share of the warmth threshold
# and, when nothing grew there, this much above the background (and FAINT_BODY_NOISE noise sigmas):
# on a cold night clothing may be only 1-2 K above the air over snow about as cold, so a lying
# body can stand ~1 K above the ground, below half the threshold (1.25 K)
FAINT_BODY_K = 0.6
FAINT_BODY_NOISE = 4.0
# the edge of an object hiding part of a blob (_occluding_edge)
OCCLUDED_BASE = 0.6  # the blob's last row along the cut spans this share of its widest row
OCCLUDED_DEPTH_PX = 4  # rows each side of the cut line that are compared
OCCLUDED_DEPTH_MIN_PX = 4  # the blob reaches at least this far from the line
OCCLUDED_GAP_PX = 2  # beside the blob, skip its blur
OCCLUDED_FLAT = 0.5  # across each side's rows the warmth changes by at most this share of the step
OCCLUDED_STEP_SIGMA = (4.0, 6.0)  # the occluder's step over its standard error
OCCLUDED_STEP_K = (0.2, 0.4)  # and in kelvin (a row's fixed-pattern offset is up to ~0.1 K)
# an unheated object (a parked car, a bin, a snowbank, a garden wall) stays within a couple of K of the
# ground at night; a larger step is a heated facade, whose lit windows end on its edges
OCCLUDED_STEP_MAX_K = (2.0, 3.0)
OCCLUDED_HIDDEN = 0.6  # an occluder hides at most this share of a body that still shows its face
OCCLUDED_LONGER = tuple(1.0 / (1.0 - OCCLUDED_HIDDEN * k / 3) for k in range(1, 4))  # lengths tried
# a faceless warm spot may be the warm end of a body whose rest is below the threshold (a sleeping
# bag's hood end, the head and shoulders of a coat on frozen ground): the body it ends is searched
# for like a face's (_body_of_hood) when the spot is no longer than a head and shoulders or a hood end
HOOD_MAX_M = 0.9
HOOD_GROW = 2.5  # and kept at this many times the spot's area at least (a hood is ~1/6 of a bag)
# a face's spot with part of its clothing: the rest of the body adds this share of the spot at least (a
# face tens of K over the threshold grows by a fraction of a pixel of blur round it at half the threshold)
FACE_GROW = 1.5
GREY_LEARNED_PERSON_PX = 8.0  # 8-bit frames: the classifier learned people about this many pixels wide
LEVEL_SPLITS = 2  # a blob too big for one person and without faces is re-thresholded this many times at most
LEVEL_STEP = 0.5  # each time higher by half its clothing contrast (at least the base threshold)
LIE_HEIGHT_M = 0.4  # a body lying on the ground, in a bag or under a blanket, rises no higher than this
# centroid heights (m) used to put a person's visible centre above the feet
CENTROID_HEIGHT_M = {"standing": 0.9, "sitting": 0.45, "lying": 0.15, "unknown": 0.4}

_K3 = np.ones((3, 3), np.uint8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=64)
def camera_for(meta: FrameMeta, width: int, height: int) -> Camera | None:
    """Camera model for a frame, None without a pose; FrameError when metadata and image
    disagree (size, principal point, no ground in view) or the pose is unusable: a bad pose
    must be refused, not turned into people without a position."""
    shape = np.empty((height, width), np.uint8)
    if not meta.has_pose:
        check_meta_size(meta, shape)
        return None
    if (meta.width is not None and meta.width != width) or (meta.height is not None and meta.height != height):
        check_meta_size(meta, shape)  # names the mismatch before a camera is built for the wrong size
    cam = make_camera(meta, width, height)
    check_meta_size(meta, shape, cam)
    return cam


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 below lo, 1 above hi, linear between."""
    if hi <= lo:
        return 1.0 if x >= hi else 0.0
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def _skin(t_c: float) -> float:
    """Membership of skin's temperature: none 4 K below SKIN_MIN_C, full 2 K above it."""
    return _ramp(t_c, SKIN_MIN_C - 4.0, SKIN_MIN_C + 2.0)


def _band(x: float, lo0: float, lo1: float, hi1: float, hi0: float) -> float:
    """Trapezoid membership: 0 outside [lo0, hi0], 1 inside [lo1, hi1]."""
    return min(_ramp(x, lo0, lo1), 1.0 - _ramp(x, hi1, hi0))


def detection_id(camera_id: str, captured_at: str, bbox: tuple[int, int, int, int]) -> str:
    """Deterministic id: the same frame always yields the same ids (replays, retries)."""
    key = f"{camera_id}|{captured_at}|{bbox[0]},{bbox[1]},{bbox[2]},{bbox[3]}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def face_fraction(m_per_px: float) -> float:
    """Share of a face's excess temperature that survives in the hottest pixel at this scale."""
    r = FACE_RADIUS_M / max(m_per_px, 1e-6)
    var = PSF_SIGMA_PX**2 + 1.0 / 12.0  # optics blur plus the pixel's own footprint
    return 1.0 - math.exp(-r * r / (2.0 * var))


def _face_sized(f: Blob, m_per_px: float) -> float:
    """Membership of the hottest spot's size in a blurred face's (1 up to 1.5 times its half-maximum area,
    0 from 3 times): a larger warm spot is resolved, no face mixed into its surroundings."""
    r = FACE_RADIUS_M / max(m_per_px, 1e-6)
    face_area_px = math.pi * (r * r + (1.18 * PSF_SIGMA_PX) ** 2)  # a blurred face's half-maximum area
    return 1.0 - _ramp(f.spot_px / face_area_px, 1.5, 3.0)


def spot_temperature(f: Blob, m_per_px: float, ambient: float | None) -> float:
    """Lower bound of the hottest spot's own temperature, as if it were a face blurred into its blob.

    A face a few pixels wide loses most of its excess to the pixel footprint and
    the optics, so its peak is unmixed with the face fraction; the surroundings
    are taken as warm as clothing can be (ambient + 15 K, or the measured level
    if warmer), which keeps a dog's head or a blurred warm edge from passing as
    skin. A hot spot much larger than a blurred face is resolved: no unmixing.
    """
    frac = max(face_fraction(m_per_px), FACE_FRAC_MIN)
    frac += (1.0 - frac) * (1.0 - _face_sized(f, m_per_px))
    base = max(f.level, (f.bg if ambient is None else ambient) + CLOTHING_MAX_K)
    if f.t_max <= base:
        return f.t_max
    return base + (f.t_max - base) / frac


def top_face(f: Blob, m_per_px: float, sin_dep: float, ambient: float | None) -> float:
    """Membership of a face told by its place and its contrast, not its degrees (0..1).

    In a mild scene (dusk, spring: ground near +10 °C) a face at 40-80 m mixes with the
    clothing around it and reads 15-20 °C, below the skin threshold, and clothing itself may be
    that warm (up to ambient + CLOTHING_MAX_K): degrees no longer tell a face. What still does
    is relative: exposed skin is warmer than the clothing on the same body (clothing's surface
    lies between skin and air), and a face is where a standing body ends upwards. So: a hot
    spot no bigger than a blurred face, clearly warmer than this blob's own clothing, at the
    top end of a blob that is upright in an oblique view (a body is taller than wide, a dog
    longer than tall) and wider than any dog (a dog heading along the line of sight is upright
    too, its head on top). Seen from above there is no top end to tell: 0. In a cold scene 0
    too: there a face, however blurred, unmixes to skin over its clothing (spot_temperature),
    and a warm spot that does not is a hood or a dog's head.
    """
    ref = f.bg if ambient is None else ambient
    mild = _ramp(ref + CLOTHING_MAX_K, SKIN_MIN_C - 4.0 - MILD_K, SKIN_MIN_C - 4.0)
    c = math.sqrt(max(0.0, 1.0 - sin_dep * sin_dep))
    view = min(mild, _ramp(c, *TOP_FACE_COS))
    if view <= 0.0:
        return 0.0
    small = _face_sized(f, m_per_px)
    warmer = _ramp(f.t_max - f.level, *TOP_FACE_EXCESS_K)
    ux, uy = f.up_x, f.up_y
    up_ext = extent_along(f, ux, uy)
    across = extent_along(f, -uy, ux)
    upright = _ramp(up_ext / across, *TOP_FACE_UPRIGHT)
    wide = _ramp(_metres(across, m_per_px), DOG_BOX_M[1], DOG_BOX_M[1] + TOP_FACE_WIDER_M)
    top = _ramp(((f.spot_cx - f.cx) * ux + (f.spot_cy - f.cy) * uy) / (0.5 * up_ext), *TOP_FACE_PLACE)
    return min(view, small, warmer, upright, wide, top)


def cold_skin(f: Blob, m_per_px: float, ambient: float | None) -> float:
    """Membership of exposed skin told relative to the air, not by its degrees (0..1).

    A face in hard frost (wind, wet skin, an emissivity that reflects a cold sky, blur) can read
    5-20 °C, below the skin threshold, yet stand 20-30 K above the air, where nothing else on a
    person or an animal reaches: clothing and fur are at most CLOTHING_MAX_K above it, and a dog's
    head (eyes, muzzle) at most DOG_HEAD_K over its fur (COLD_SKIN_OVER_AIR_K). A spot that warm
    and no bigger than a blurred face is skin; a larger one is a vent, a manhole or a window
    (_plate), and a lamp or an engine is hotter than skin (SKIN_MAX_C).
    """
    if ambient is None:
        return 0.0
    return min(_face_sized(f, m_per_px), _ramp(f.t_max - ambient, *COLD_SKIN_OVER_AIR_K))


def _up_direction(cam: Camera, u: float, v: float) -> tuple[float, float]:
    """Unit image direction in which a vertical object at pixel (u, v) extends upwards.

    Off the image centre a drone's tilt and roll lean verticals away from the image
    columns; a homography knows no heights, so a fixed camera is taken as level.
    """
    x, y = cam.pixel_to_xy(u, v, 0.0)
    try:
        u1, v1 = cam.xy_to_pixel(x, y, 1.0)
    except FrameError:
        return (0.0, -1.0)
    du, dv = u1 - u, v1 - v
    n = math.hypot(du, dv)
    if n < 1e-3:  # looking straight down on it: no up direction in the image
        return (0.0, -1.0)
    return (du / n, dv / n)


def extent_along(f: Blob, dx: float, dy: float) -> float:
    """Moment extent (px) of a blob along the unit direction (dx, dy), like major/minor."""
    var = dx * dx * f.mu20 + 2.0 * dx * dy * f.mu11 + dy * dy * f.mu02
    return 4.0 * math.sqrt(max(var, 0.0)) + 1.0


@functools.lru_cache(maxsize=128)
def _dog_silhouettes(sin_dep_q: float) -> tuple[tuple[tuple[float, float, float], ...], np.ndarray]:
    """Second moments (across^2, up^2, across*up; m^2) of the largest dog's silhouette per heading,
    and its widths (m) along CALIPER_DIRS (one row per heading).

    The dog is a solid box (DOG_BOX_M) on the ground; its silhouette is the filled
    convex hull of the projected corners (the mask a blob is measured on), not the
    box's volume, whose projection is concentrated in the middle.
    """
    s = sin_dep_q
    c = math.sqrt(max(0.0, 1.0 - s * s))
    length, width, height = DOG_BOX_M
    out = []
    widths = []
    for phi in DOG_HEADINGS:
        cp, sp = math.cos(phi), math.sin(phi)
        pts = []
        for a in (-0.5, 0.5):
            for b in (-0.5, 0.5):
                across = a * length * cp - b * width * sp  # ground point across the line of sight
                along = a * length * sp + b * width * cp  # ground point along it (shows as up * sin)
                for z in (0.0, height):
                    pts.append((across, along * s + z * c))
        hull = cv2.convexHull(np.array(pts, np.float32))
        mo = cv2.moments(hull)
        area = mo["m00"]
        if area <= 1e-9:
            continue
        out.append((mo["mu20"] / area, mo["mu02"] / area, mo["mu11"] / area))
        # its widths (m) along CALIPER_DIRS, angles from the across direction towards the up direction
        widths.append(np.ptp(hull.reshape(-1, 2).astype(np.float64) @ _CALIPER_UNIT, axis=0))
    return tuple(out), np.array(widths)


def _dog_ratio(f: Blob, m_per_px: float, sin_dep: float) -> float:
    """How much larger than the largest dog the blob is, at the dog's best-fitting heading.

    Blob and dog silhouettes are compared as second moments in metres in the
    image plane (across the line of sight, and along the image's up direction):
    the result is the largest factor by which the blob exceeds the dog in any
    direction; <= 1 means it fits inside some dog's silhouette. Second moments alone let a
    rounded blob wider than the dog pass (an ellipse spreads 3/4 as much as a box of its width):
    where they say it may fit, its widths along CALIPER_DIRS (of its largest connected part)
    are compared with the dog's too, as a convex dog holding it must be as wide in every direction.
    """
    ux, uy = f.up_x, f.up_y
    mu20, mu02, mu11 = f.mu20, f.mu02, f.mu11
    ax, ay = -uy, ux
    k = m_per_px * m_per_px
    baa = k * (ax * ax * mu20 + 2 * ax * ay * mu11 + ay * ay * mu02)
    buu = k * (ux * ux * mu20 + 2 * ux * uy * mu11 + uy * uy * mu02)
    bau = k * (ax * ux * mu20 + (ax * uy + ay * ux) * mu11 + ay * uy * mu02)
    slack = (1.0 / 12.0 + PSF_SIGMA_PX**2) * k  # a mask's pixel footprint and blur widen it
    dogs, dog_widths = _dog_silhouettes(round(max(0.0, min(1.0, sin_dep)), 2))
    ratios = []
    for daa, duu, dau in dogs:
        daa += slack
        duu += slack
        # largest generalised eigenvalue of (blob, dog): det(B - l D) = 0
        a2 = daa * duu - dau * dau
        a1 = -(baa * duu + buu * daa - 2.0 * bau * dau)
        a0 = baa * buu - bau * bau
        disc = max(a1 * a1 - 4.0 * a2 * a0, 0.0)
        ratios.append(math.sqrt(max((-a1 + math.sqrt(disc)) / (2.0 * a2), 0.0)))
    if not ratios:
        return math.inf
    if min(ratios) >= DOG_FIT[1]:
        return min(ratios)
    widths = _caliper_widths(f)
    if widths is None:
        return min(ratios)
    # a convex dog holds the blob only if it is at least as wide in every direction; the mask is
    # wider than the object by its pixel footprint and blur (MEAS_EXCESS_PX). The outline's
    # uncertainty of about a pixel (SIZE_TOL_PX) is not given to the dog: at 0.1 m a pixel it
    # would let every faceless person seen from above (0.4-0.55 m across) fit the 0.35 m dog, and
    # this test only refuses, so a doubt should keep a person, not a dog
    caliper = (widths / (dog_widths / m_per_px + MEAS_EXCESS_PX)).max(axis=1)
    return min(max(r, float(c)) for r, c in zip(ratios, caliper, strict=True))


def _elongation(f: Blob) -> float:
    """Ratio of the blob's principal spreads (from its second moments): 1 for a disc, 3 for a 3:1 bar."""
    half = (f.mu20 + f.mu02) / 2.0
    if half <= 1e-9:
        return 1.0  # a single pixel
    common = math.sqrt(((f.mu20 - f.mu02) / 2.0) ** 2 + f.mu11**2)
    return math.sqrt((half + common) / max(half - common, 1e-6))


def _dog_shaped(f: Blob, sin_dep: float) -> float:
    """Membership of a dog's shape, as far as the view can tell one.

    Seen from nearly straight above, a standing dog is long and narrow (a body 0.6-1 m long and
    0.25-0.35 m wide, its head beyond one end): its blob is at least 1.8 times as long as wide even
    blurred (the generator's dogs from above: 3 in 200 below 1.5). A person seen from above is compact:
    shoulders 0.45-0.5 m across a chest 0.25-0.3 m deep with the head between them, a hat or hood and no
    face to see from there. So a compact faceless blob in a top view is not taken for a dog (it was,
    and almost every person seen from above by an independently rendered drone was refused); a dog
    curled up asleep is compact too, and passes. In oblique views a dog heading towards the camera
    or broadside can look compact, so there the shape decides nothing.
    """
    top = _ramp(sin_dep, *DOG_TOP_VIEW_SIN)
    return 1.0 - (1.0 - _ramp(_elongation(f), *DOG_TOP_ELONGATION)) * top


def _main_outline(f: Blob) -> np.ndarray | None:
    """The outline of the shape's largest connected part (a bbox may hold pieces of other blobs)."""
    if f.shape is None:
        return None
    contours, _ = cv2.findContours(np.ascontiguousarray(f.shape, np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    return max(contours, key=lambda c: (cv2.contourArea(c), len(c)))  # its outline holds its hull


def _quadrilateral(f: Blob) -> float:
    """1 when the blob's outline is a quadrilateral with straight sides, else 0.

    Windows, doors, grilles and plates are; people are not (a head narrower than the shoulders,
    arms, a rounded back), nor a bag's rounded ends. Straight to QUAD_TOL_PX, or filling
    QUAD_FILL_MIN of the four-sided polygon that holds it with the least area: a facade's window
    seen at a grazing angle is a thin parallelogram whose sharp corners blur and threshold cut
    off, so its outline has six short sides or more. People fill a median 0.83-0.86 of theirs
    (the generator's styles and raycast seeds 1-2), though one in twenty fills 0.93-0.98: only a
    uniform blob is judged a slab. On raycast seeds 1-2 this took 19 false people of 108 and no
    person. Only judged where a side is SLAB_MIN_PX long: on fewer pixels every blob is a small
    polygon."""
    if min(f.bw, f.bh) < SLAB_MIN_PX:
        return 0.0
    main = _main_outline(f)
    if main is None:
        return 0.0
    hull = cv2.convexHull(main)
    if len(cv2.approxPolyDP(hull, QUAD_TOL_PX, True)) <= 4:
        return 1.0
    area = cv2.contourArea(hull)
    return 1.0 if area > 0 and area >= QUAD_FILL_MIN * cv2.contourArea(cv2.approxPolyN(hull, 4)) else 0.0


def _strip(f: Blob) -> float:
    """Membership of a strip of even width: a lit window or a door on a facade seen at a grazing angle, a
    pipe's warm line, as wide over most of its length as at its widest. A body is not: a standing or lying
    person narrows to the head (0.2 m against shoulders of 0.45-0.6 m, an eighth of the length or more)
    and to the feet, a sitting one is short, a sleeping bag tapers to the feet and rounds at the hood.
    Measured on the shape's largest connected part, across its principal axis in slices a pixel thick: the
    STRIP_QUANTILES[0] percentile of the widths against the STRIP_QUANTILES[1] one (blur and a facade's
    slant round a window's ends over a pixel or two only). Too thin a blob (a head's narrowing under a
    pixel) is not judged."""
    if f.shape is None:
        return 0.0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(f.shape, np.uint8), connectivity=8)
    if n < 2:
        return 0.0
    main = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    ys, xs = np.nonzero(labels == main)
    x, y = xs - xs.mean(), ys - ys.mean()
    theta = 0.5 * math.atan2(2.0 * float((x * y).mean()), float((x * x).mean() - (y * y).mean()))
    along = x * math.cos(theta) + y * math.sin(theta)
    across = -x * math.sin(theta) + y * math.cos(theta)
    slices = (along - along.min()).astype(np.int64)
    lo = np.full(int(slices.max()) + 1, np.inf)
    hi = np.full(int(slices.max()) + 1, -np.inf)
    np.minimum.at(lo, slices, across)
    np.maximum.at(hi, slices, across)
    widths = (hi - lo + 1.0)[np.isfinite(lo)]
    narrow, wide = np.percentile(widths, STRIP_QUANTILES)
    if wide < STRIP_MIN_WIDTH_PX:
        return 0.0
    return _ramp(float(narrow / wide), *STRIP_EVEN) * _ramp(widths.size / float(wide), *STRIP_LONG)


def _bars(f: Blob) -> float:
    """Membership of parallel bars: a facade's paired windows (a frame or a mullion between two panes) or a
    grille seen from above, whose warmest parts (above 75 % of the contrast) are two thin bars (BAR_LONG)
    side by side over most of their length (BAR_SPAN) and running the blob's length (BAR_RUN; blur and the
    wall round a window add a fringe), a cooler stripe between them. Blur merges the bars into one faceless
    blob of a lying body's size and warmth (independently rendered nadir frames, dev seed 6: 5 of 20 false
    people). A body's warmest part is its head or trunk, one piece; its legs may be warmer than a thick coat
    and make two bars, but over about half of its length, and two people side by side are no thin bars."""
    if f.hot is None or f.shape is None or f.hot_px < 2 * BAR_MIN_PX:
        return 0.0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(f.hot, np.uint8), connectivity=8)
    parts = sorted(range(1, n), key=lambda i: -stats[i, cv2.CC_STAT_AREA])[:2]
    if len(parts) < 2 or stats[parts[1], cv2.CC_STAT_AREA] < BAR_MIN_PX:
        return 0.0
    bars = []
    for i in parts:
        ys, xs = np.nonzero(labels == i)
        x, y = xs - xs.mean(), ys - ys.mean()
        theta = 0.5 * math.atan2(2.0 * float((x * y).mean()), float((x * x).mean() - (y * y).mean()))
        c, s = math.cos(theta), math.sin(theta)
        width = float(np.ptp(-x * s + y * c)) + 1.0
        bars.append((c, s, xs * c + ys * s, width))
    (c0, s0, a0, w0), (c1, s1, _, w1) = bars
    if abs(c0 * c1 + s0 * s1) < BAR_PARALLEL_COS:
        return 0.0
    # both measured along the first bar's axis: side by side, the shorter over the same stretch as the longer
    ys1, xs1 = np.nonzero(labels == parts[1])
    a1 = xs1 * c0 + ys1 * s0
    l0, l1 = float(np.ptp(a0)) + 1.0, float(np.ptp(a1)) + 1.0
    shared = min(float(a0.max()), float(a1.max())) - max(float(a0.min()), float(a1.min())) + 1.0
    # and they run the blob's length: a body's legs, which thin trousers can leave warmer than a coat, are
    # about half of it (the trunk and head beyond them)
    sy, sx = np.nonzero(f.shape)
    length = float(np.ptp(sx * c0 + sy * s0)) + 1.0
    return min(_ramp(l0 / w0, *BAR_LONG), _ramp(l1 / w1, *BAR_LONG), _ramp(shared / max(l0, l1), *BAR_SPAN),
               _ramp(max(l0, l1) / length, *BAR_RUN))


def _caliper_widths(f: Blob) -> np.ndarray | None:
    """Widths (px, with the pixel footprint) of the blob's shape along CALIPER_DIRS, the angles
    measured from the across direction (-up_y, up_x) towards the up direction; of its largest
    connected part only (a bbox may hold pieces of other blobs). None without a shape."""
    main = _main_outline(f)
    if main is None:
        return None
    hull = main.reshape(-1, 2).astype(np.float64)
    ax, ay, ux, uy = -f.up_y, f.up_x, f.up_x, f.up_y
    dirs = np.array([[ax, ux], [ay, uy]]) @ _CALIPER_UNIT  # image components of each direction
    return np.asarray(np.ptp(hull @ dirs, axis=0) + np.abs(dirs).sum(axis=0))


def _metres(extent_px: float, m_per_px: float) -> float:
    """Blur-corrected size in metres of a moment extent (never below half of it)."""
    return max(extent_px - MEAS_EXCESS_PX, 0.5 * extent_px) * m_per_px


def _band_near(x: float, tol: float, lo0: float, lo1: float, hi1: float, hi0: float) -> float:
    """Trapezoid membership of the best value within +-tol of x (a size known to +-tol)."""
    best = min(max(min(max(x, lo1), hi1), x - tol), x + tol)  # x moved towards the plateau by <= tol
    return _band(best, lo0, lo1, hi1, hi0)


def _size_score(major_m: float, minor_m: float, sin_dep: float, vertical: bool,
                tol: float = 0.0) -> tuple[float, str]:
    """Membership of a blob's size in the person envelope, and the likeliest posture
    (see _posture_sizes)."""
    return max((m, p) for p, m in _posture_sizes(major_m, minor_m, sin_dep, vertical, tol).items())


def _posture_sizes(major_m: float, minor_m: float, sin_dep: float, vertical: bool,
                   tol: float = 0.0, up_m: float | None = None) -> dict[str, float]:
    """Membership of a blob's size in each posture's envelope (standing, lying, sitting).

    Sizes are metres across the line of sight, already corrected for blur
    (see MEAS_EXCESS_PX) and known to +-`tol` (about a pixel: a few-pixel blob
    says little about its size); moment extents still overestimate box-like
    shapes by ~15 %. Upright bodies are seen as height * cos(depression) plus
    their footprint * sin(depression); footprints on the ground shrink along the
    range by sin(depression). `up_m`, the blob's extent along the image direction of
    the vertical, bounds what lies on the ground: its length along the range shrinks by
    sin(depression), and only its low height (LIE_HEIGHT_M) rises by cos(depression).
    """
    s = max(0.05, min(1.0, sin_dep))
    c = math.sqrt(max(0.0, 1.0 - s * s))
    t = tol
    # standing: 1.5-1.9 m tall on a 0.4-0.6 m footprint; from overhead a compact ~0.5 x 0.6 m blob
    st_lo, st_hi = 1.5 * c + 0.4 * s, 1.9 * c + 0.6 * s
    stand = min(_band_near(major_m, t, 0.7 * st_lo - 0.1, 0.85 * st_lo, 1.2 * st_hi + 0.15, 1.45 * st_hi + 0.35),
                _band_near(minor_m, t, 0.12, 0.25, 0.8, 1.05))
    # lying: 1.5-1.9 x 0.4-0.6 m on the ground, any orientation; up to ~1 m wide under a blanket
    lie = min(_band_near(major_m, t, 0.6, 0.95, 2.2, 2.7), _band_near(minor_m, t, 0.15 * s, 0.25 * s, 0.9, 1.2),
              _ramp((major_m + t) / max(minor_m - t, 0.05), 1.3, 1.8))
    if up_m is not None:
        lie = min(lie, 1.0 - _ramp(up_m - t, 2.2 * s + LIE_HEIGHT_M * c, 2.7 * s + 1.25 * LIE_HEIGHT_M * c))
    # sitting / curled up: head 0.85-1.05 m up over a 0.45-0.95 m footprint (legs, bag), 0.45-0.7 m wide
    si_lo, si_hi = 0.85 * c + 0.45 * s, 1.05 * c + 0.95 * s
    sit = min(_band_near(major_m, t, 0.7 * si_lo - 0.05, 0.85 * si_lo, 1.2 * si_hi + 0.15, 1.45 * si_hi + 0.35),
              _band_near(minor_m, t, 0.15, 0.3, 0.95, 1.25))
    if vertical and c > 0.4:
        lie *= 0.7
    else:
        stand *= 0.85 if c > 0.5 else 1.0
    return {"standing": stand, "lying": lie, "sitting": sit}


@dataclass(frozen=True)
class Blob:
    """One candidate measured at full resolution: temperatures (°C), shape (px), hot spot."""

    bg: float  # local background: mean of the non-warm pixels of a ring around the blob
    t_max: float
    t_mean: float
    contrast: float  # t_max - bg
    level: float  # the clothing: mean of the blob's pixels below 60 % of its contrast
    cx: float  # centroid, frame pixels
    cy: float
    major: float  # moment extents (px) of the half-contrast mask
    minor: float
    mu20: float
    mu02: float
    mu11: float
    vertical: bool  # major axis near the image columns and clearly elongated
    hot_ratio: float  # (t_max - interior mean) / contrast: ~0 for a uniform plate
    hot_px: int  # pixels above 75 % of the contrast
    spot_px: int  # the hottest spot at half its height above the clothing
    spot_cx: float  # its centroid, frame pixels
    spot_cy: float
    over_px: int  # pixels warmer than clothing can be
    over_min_px: float  # their smallest possible area before blur
    area: int
    bx: int  # tight bbox of the warm pixels, frame pixels
    by: int
    bw: int
    bh: int
    edge: float = 0.0  # steepest fall of warmth at the blob's outline, per px, over the clothing contrast
    # the half-contrast mask (0/1, the bbox's pixels from bx, by) the shape was measured on
    shape: np.ndarray | None = field(default=None, compare=False, repr=False)
    up_x: float = 0.0  # image direction of the vertical at the blob (set once a camera is known)
    up_y: float = -1.0
    cut: float = 0.0  # membership of an occluding edge along one side (see _occluding_edge)
    # the warm mask (0/255, the bbox's pixels from bx, by) the occluding edge is judged on
    warm: np.ndarray | None = field(default=None, compare=False, repr=False)
    # the pixels above 75 % of the contrast (0/1, aligned with `shape`): the blob's warmest parts (see _bars)
    hot: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class _Patch:
    """A candidate's bbox with padding, and the background resampled to it."""

    frame: np.ndarray  # padded region of the frame
    bg: np.ndarray  # background over the same region
    x0: int
    y0: int


def _patch(frame_c: np.ndarray, bg_work: np.ndarray, scale: int, x: int, y: int, bw: int, bh: int) -> _Patch | None:
    """The padded region around a bbox and its background at full resolution (bg_work is 1/scale)."""
    h, w = frame_c.shape
    pad = max(3, max(bw, bh) // 2)
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
    if scale == 1:
        bgp = bg_work[y0:y1, x0:x1]
    else:
        hx0, hy0 = x0 // scale, y0 // scale
        hx1, hy1 = min(bg_work.shape[1], (x1 + scale - 1) // scale), min(bg_work.shape[0], (y1 + scale - 1) // scale)
        if hx1 <= hx0 or hy1 <= hy0:
            return None
        bgp = cv2.resize(bg_work[hy0:hy1, hx0:hx1], ((hx1 - hx0) * scale, (hy1 - hy0) * scale),
                         interpolation=cv2.INTER_LINEAR)[y0 - scale * hy0 : y1 - scale * hy0,
                                                         x0 - scale * hx0 : x1 - scale * hx0]
    roi_pad = frame_c[y0:y1, x0:x1]
    if bgp.shape != roi_pad.shape:
        return None
    return _Patch(roi_pad, bgp, x0, y0)


def _moments(size_mask: np.ndarray) -> tuple[float, float, float, float, float, float, float, bool]:
    """Centroid, central moments, extents of an equivalent uniform ellipse (+1 px footprint), and
    whether the blob is upright in the image: (cx, cy, mu20, mu02, mu11, major, minor, vertical)."""
    mo = cv2.moments(size_mask.view(np.uint8), binaryImage=True)
    cx, cy = mo["m10"] / mo["m00"], mo["m01"] / mo["m00"]
    mu20, mu02, mu11 = mo["mu20"] / mo["m00"], mo["mu02"] / mo["m00"], mo["mu11"] / mo["m00"]
    common = math.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    major = 4.0 * math.sqrt(max((mu20 + mu02) / 2 + common, 0.0)) + 1.0
    minor = 4.0 * math.sqrt(max((mu20 + mu02) / 2 - common, 0.0)) + 1.0
    angle = 0.5 * math.atan2(2 * mu11, mu20 - mu02)  # of the major axis, from the image x axis
    vertical = abs(math.cos(angle)) < 0.5 and major > 1.4 * minor
    return cx, cy, mu20, mu02, mu11, major, minor, vertical


def _overwarm(vals: np.ndarray, bg: float, ambient: float | None) -> tuple[int, float]:
    """Pixels warmer than any clothing can be (relative to the air, or to the ground when that is
    warmer), and their smallest possible area: blur keeps the excess's integral, and nothing
    here is hotter than skin."""
    ref = max(bg + 1.0 if ambient is None else ambient, bg)
    over_t = ref + CLOTHING_MAX_K + OVERWARM_MARGIN_K
    over = vals[vals > over_t]
    return int(over.size), float(over.sum() - over_t * over.size) / max(SKIN_MAX_C - over_t, 1.0)


def _features(frame_c: np.ndarray, bg_work: np.ndarray, scale: int, delta: float, x: int, y: int, bw: int,
              bh: int, ambient: float | None = None, part: np.ndarray | None = None) -> Blob | None:
    """Temperatures and shape of one candidate, at full resolution inside its bbox only.

    The blob is re-thresholded locally against the background (`bg_work`, at
    1/`scale` resolution); the local background is the mean of the non-warm
    pixels of a ring around it. Size is measured at half the clothing contrast
    (like a full width at half maximum) so optics blur and the detection
    threshold do not inflate it. `part` (a 0/255 mask of the bbox) keeps one
    person's share of a blob that several people make together.
    """
    patch = _patch(frame_c, bg_work, scale, x, y, bw, bh)
    if patch is None:
        return None
    warm = cv2.compare(cv2.subtract(patch.frame, patch.bg), delta, cv2.CMP_GT)  # type: ignore[call-overload]
    ring = cv2.bitwise_not(warm)
    if cv2.countNonZero(ring) < 4:
        return None
    bg = cv2.mean(patch.frame, ring)[0]
    roi = frame_c[y : y + bh, x : x + bw]
    m = np.ascontiguousarray(warm[y - patch.y0 : y - patch.y0 + bh, x - patch.x0 : x - patch.x0 + bw])
    if part is not None:
        m = cv2.bitwise_and(m, part)
    sel = m > 0
    vals = roi[sel]
    if vals.size < MIN_AREA_PX:
        return None
    t_max, t_mean = float(vals.max()), float(vals.mean())
    contrast = t_max - bg
    if contrast <= 0:
        return None
    cool = vals[vals < bg + 0.6 * contrast]
    level = float(cool.mean()) if cool.size >= 3 else t_mean
    size_m = (roi >= bg + 0.5 * (level - bg)) & sel
    shape_m = size_m if np.count_nonzero(size_m) >= 2 else sel
    cx, cy, mu20, mu02, mu11, major, minor, vertical = _moments(shape_m)
    # uniformity: how far the hottest spot stands above the blob's interior
    interior = cv2.erode(m, _K3) if min(bw, bh) >= 4 else m
    core_vals = roi[interior > 0]
    core = float(core_vals.mean()) if core_vals.size >= 3 else t_mean
    over_px, over_min_px = _overwarm(vals, bg, ambient)
    spot = cv2.bitwise_and(cv2.compare(roi, t_max - 0.5 * (t_max - level), cv2.CMP_GE), m)  # type: ignore[call-overload]
    mo = cv2.moments(spot, binaryImage=True)
    spot_n = max(mo["m00"], 1e-9)  # empty only for a frame with non-finite values
    tx, ty, tw, th = cv2.boundingRect(m)
    edge = _edge_sharpness(patch, size_m, x, y, level - bg)
    hot = (roi >= bg + 0.75 * contrast) & sel
    return Blob(
        bg=bg, t_max=t_max, t_mean=t_mean, contrast=contrast, level=level, cx=x + cx, cy=y + cy,
        major=major, minor=minor, mu20=mu20, mu02=mu02, mu11=mu11, vertical=vertical,
        hot_ratio=(t_max - core) / contrast, hot_px=int(np.count_nonzero(hot)),
        spot_px=round(mo["m00"]), spot_cx=x + mo["m10"] / spot_n, spot_cy=y + mo["m01"] / spot_n, over_px=over_px,
        over_min_px=over_min_px, area=int(vals.size), bx=x + tx, by=y + ty, bw=tw, bh=th, edge=edge,
        shape=shape_m[ty : ty + th, tx : tx + tw], warm=m[ty : ty + th, tx : tx + tw],
        hot=hot[ty : ty + th, tx : tx + tw],
    )


def _side_step(frame: np.ndarray, mask: np.ndarray, gap: int) -> tuple[float, float]:
    """Step (in noise sigmas) across the line of the mask's last row, beside the blob on both sides
    and under it, when it is one consistent step: frame and mask oriented so the side is the bottom."""
    counts = np.count_nonzero(mask, axis=1)
    rows = np.flatnonzero(counts)
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size and counts[rows[-1]] == 1 and rows.size > 1:
        rows = rows[:-1]  # a single pixel past the line is the threshold's noise, not the blob's end
    if rows.size < OCCLUDED_DEPTH_MIN_PX or cols.size < 2:
        return 0.0, 0.0  # a strip along the line, not the rest of a body cut across
    r1, c0, c1 = int(rows[-1]), int(cols[0]), int(cols[-1])
    width = c1 - c0 + 1
    if counts[r1] < OCCLUDED_BASE * int(counts.max()):
        # the blob does not end along this side with its full cross-section (a body lying aslant,
        # cut by a line, ends with the span of each of its lines; a tapering end with less): no cut
        return 0.0, 0.0
    d = max(2, min(OCCLUDED_DEPTH_PX, (int(rows[-1] - rows[0]) + 1) // 2))
    reach = max(3, width // 2)
    h, w = frame.shape
    if r1 - d - 1 < 0 or r1 + gap + d >= h or c0 - gap - reach < 0 or c1 + gap + reach >= w:
        return 0.0, 0.0
    above = slice(r1 - d, r1)
    below = slice(r1 + gap, r1 + gap + d)
    left = slice(c0 - gap - reach, c0 - gap + 1)
    right = slice(c1 + gap, c1 + gap + reach + 1)
    # paired by line across the cut: a column's (or row's) fixed-pattern offset cancels
    diff_l = frame[below, left].mean(axis=0) - frame[above, left].mean(axis=0)
    diff_r = frame[below, right].mean(axis=0) - frame[above, right].mean(axis=0)
    step_l, step_r = float(diff_l.mean()), float(diff_r.mean())
    under = float(frame[below, c0 : c1 + 1].mean())
    occl = (float(frame[below, left].mean()) + float(frame[below, right].mean())) / 2.0
    if step_l * step_r <= 0 or abs(step_l - step_r) > 0.5 * max(abs(step_l), abs(step_r)) or \
            abs(under - occl) > 0.5 * min(abs(step_l), abs(step_r)):
        return 0.0, 0.0
    sigma = math.sqrt((float(diff_l.var()) / diff_l.size + float(diff_r.var()) / diff_r.size) / 2.0) + 0.01
    step = min(abs(step_l), abs(step_r))
    # an edge, not a slope (the halo of steam round a vent, warm ground): each side of the line is flat
    sides = np.hstack([frame[r1 - d : r1 + gap + d, left], frame[r1 - d : r1 + gap + d, right]]).mean(axis=1)
    if max(abs(float(sides[d - 1] - sides[0])), abs(float(sides[-1] - sides[-d]))) > OCCLUDED_FLAT * step:
        return 0.0, 0.0
    return step / sigma, step


def _occluding_edge(frame_c: np.ndarray, m: np.ndarray, x: int, y: int) -> float:
    """Membership of an occluder's edge along one side of the blob (a parked car, a wall, a bin).

    Whatever hides part of a body is wider than the body, and its surface, at its own temperature,
    meets the ground along a line: beside the blob, on both sides of it, the ground changes by the
    same step across the line the blob ends on, and the region beyond that line is one surface
    under the blob and beside it. A dog (or any blob standing on open ground) has ground all round.
    Such a blob is only the visible part of something larger: its fitting a dog says nothing, nor
    its having no warmer part (the head may be behind the occluder), so both refusals are lifted
    by this membership. The step must exceed its standard error (OCCLUDED_STEP_SIGMA) and 0.2-0.4 K
    (OCCLUDED_STEP_K) and stay below a heated wall's (OCCLUDED_STEP_MAX_K), and the blob's last row
    must span OCCLUDED_BASE of its widest row (a body lying aslant and cut ends with the span of each of
    its rows; a pixel of noise past the line is no row).
    """
    h, w = m.shape
    pad = max(h, w) + 4
    y0, y1 = max(0, y - pad), min(frame_c.shape[0], y + h + pad)
    x0, x1 = max(0, x - pad), min(frame_c.shape[1], x + w + pad)
    # a step that runs the whole frame along its row or column is the sensor's (a row's or column's
    # fixed-pattern offset) or a road's edge, not an object's that hides a body: lines are taken
    # relative to their median across the frame (of every 4th pixel: a line's level, cheaply)
    rows = np.median(frame_c[y0:y1, ::4], axis=1)
    cols = np.median(frame_c[::4, x0:x1], axis=0)
    frame = frame_c[y0:y1, x0:x1]
    mask = np.zeros(frame.shape, bool)
    mask[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = m > 0
    by_row = frame - rows[:, None]
    by_col = (frame - cols[None, :]).T
    best = 0.0
    for fr, mk in ((by_row, mask), (by_row[::-1], mask[::-1]), (by_col, mask.T), (by_col[::-1], mask.T[::-1])):
        t, step = _side_step(fr, mk, OCCLUDED_GAP_PX)
        best = max(best, _ramp(t, *OCCLUDED_STEP_SIGMA) * _ramp(step, *OCCLUDED_STEP_K) *
                   (1.0 - _ramp(step, *OCCLUDED_STEP_MAX_K)))
    return best


def _edge_sharpness(patch: _Patch, size_m: np.ndarray, x: int, y: int, step: float) -> float:
    """Median steepest warmth gradient (K/px) at the half-contrast mask's outline, over `step`.

    An object (a body, a blanket over one) ends at an edge blurred only by the optics: a step
    blurred by a ~1 px PSF falls at ~0.4 of its height per pixel. Ground warmed from below or by
    the day varies over metres: a bump of that contrast falls a few times slower. So a sharp
    outline says "object", which lets a weakly warm one (an insulated sleeper) count as warm.
    """
    if step <= 0 or np.count_nonzero(size_m) < 4:
        return 0.0
    mask = size_m.view(np.uint8)
    outline = cv2.subtract(mask, cv2.erode(mask, _K3, borderType=cv2.BORDER_REPLICATE))
    gx = cv2.Sobel(patch.frame, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch.frame, cv2.CV_32F, 0, 1, ksize=3)
    ox, oy = x - patch.x0, y - patch.y0
    h, w = mask.shape
    # the steepest gradient within a pixel of the outline: a weak blob's mask may end near its top
    mag = cv2.dilate(cv2.magnitude(gx, gy), _K3)[oy : oy + h, ox : ox + w]
    vals = mag[outline > 0]
    return float(np.median(vals)) / (8.0 * step) if vals.size else 0.0


def _memberships(f: Blob, m_per_px: float | None, sin_dep: float, short_side: int,
                 ambient: float | None) -> tuple[dict[str, float], str]:
    """Each physical argument as a membership 0..1 (named, for the score and for diagnosis)."""
    t_max, contrast = f.t_max, f.contrast
    if t_max > SKIN_MAX_C:
        return {"hot": 1.0}, "unknown"  # engine, exhaust, lamp: hotter than any skin
    # warm enough: 5 K above the surroundings, or 3 K for a sharp-edged object (see _edge_sharpness)
    warm = _ramp(contrast, MIN_DELTA_C, 5.0 - 2.0 * _ramp(f.edge, *EDGE_SHARP))
    if ambient is not None:
        warm = min(warm, _ramp(t_max - ambient, 2.0, 4.0))
    skin = _skin(t_max)
    vertical = f.vertical
    face = skin
    if m_per_px is not None:
        face = max(_skin(spot_temperature(f, m_per_px, ambient)), cold_skin(f, m_per_px, ambient))
        major_m, minor_m = _metres(f.major, m_per_px), _metres(f.minor, m_per_px)
        sizes = _posture_sizes(major_m, minor_m, sin_dep, vertical, SIZE_TOL_PX * m_per_px,
                               _metres(extent_along(f, f.up_x, f.up_y), m_per_px))
        size, posture = max((m, p) for p, m in sizes.items())
        if f.cut > 0.0 and face > 0.0:
            # a face over an occluder's edge (a head and shoulders above a car or a wall): the blob is
            # the visible part of a body whose length the occluder hides, up to OCCLUDED_HIDDEN of it
            hidden = max((m, p) for k in OCCLUDED_LONGER for p, m in
                         _posture_sizes(major_m * k, minor_m, sin_dep, vertical, SIZE_TOL_PX * m_per_px).items())
            if face * f.cut * hidden[0] > size:
                size, posture = face * f.cut * hidden[0], hidden[1]
        plate = _plate(f, m_per_px, skin)
        # no face and a silhouette that some dog could make (any heading): a dog, or a hooded
        # person we cannot tell from one
        if ambient is not None and contrast >= 5.0 - 2.0 * _ramp(f.edge, *EDGE_SHARP):
            # a sleeping bag or blanket: the insulation leaves its surface 1.5-5 K above the air
            # (clothing shows 4-15), so over snow colder than the air a body-shaped, sharp-edged
            # object clearly warmer than its surroundings is warm enough from 1.5 K above the air,
            # as far as its size is a lying body's: seen obliquely, a bag's outline (wider than a
            # body, its hood end raised) may fit sitting or standing better, which is no reason
            # to judge its warmth as clothing's
            warm = max(warm, min(sizes["lying"], _ramp(t_max - ambient, *BAG_OVER_AIR_K)))
        face_any = max(face, top_face(f, m_per_px, sin_dep, ambient))
        dog = (1.0 - face_any) * (1.0 - _ramp(_dog_ratio(f, m_per_px, sin_dep), *DOG_FIT)) * _dog_shaped(f, sin_dep) \
            * (1.0 - f.cut) if face_any < 1.0 else 0.0
    else:
        major_px = f.major
        size = _band(major_px, 2.0, 3.0, 0.35 * short_side, 0.5 * short_side)
        aspect = major_px / max(f.minor, 1e-3)
        posture = "unknown"
        if aspect > 2.0 and major_px > 6:
            posture = "standing" if vertical else "lying"
        plate = _ramp(f.hot_px, 30.0, 80.0) * skin
        dog = 0.0
    # uniform blob: vent/manhole/window (face-over-clothing gives hot_ratio >~0.3); but a hooded
    # person or a sleeping bag is uniform too, and no plate is as long for its width as a body
    uniform = 1.0 - _ramp(f.hot_ratio, 0.08, 0.2) if f.area >= FLATNESS_MIN_PX else 0.0
    uniform *= 1.0 - _ramp(f.major / max(f.minor, 1e-3), *BODY_ASPECT)
    # and a person without a face is uniform at clothing warmth; vents, manholes and windows are warmer
    uniform *= _ramp(contrast, *PLATE_EXCESS_K)
    # a blob an occluder cuts may owe its uniformity to the hidden rest of the body, its head among
    # it (see _occluding_edge)
    uniform *= 1.0 - f.cut
    # but a straight-sided quadrilateral with no warmer part (no head, no face) is a window, a door or a
    # grille whatever its length and warmth: seen at a grazing angle a facade's window is as long for its
    # width as a standing body, and a double-glazed one no warmer than clothing (independently rendered
    # street and drone frames: half the false people)
    if f.hot_ratio < SLAB_HOT_RATIO[1]:
        # (unless an occluder cut it: then one straight side is the occluder's, not the object's). Flat
        # warmth that fades slowly at its outline, whatever its shape, is warm ground, not a body on it: the
        # heat of a buried pipe or a vent spreads through the snow over tens of centimetres, where an
        # object's edge is blurred only by the optics (see _edge_sharpness, EDGE_SHARP); a sleeping bag is as
        # flat but has an object's edge (an edge of 0 was not measured: too few pixels, no clothing step). A strip as
        # wide along its length as at its widest is a window, a door or a pipe too thin for the quadrilateral test
        # (_strip): a body narrows to its head and feet
        slab = max(_quadrilateral(f), _strip(f), 1.0 - _ramp(f.edge, *EDGE_SHARP) if f.area >= FLATNESS_MIN_PX and f.edge > 0.0
                   else 0.0)
        uniform = max(uniform, (1.0 - _ramp(f.hot_ratio, *SLAB_HOT_RATIO)) * slab * (1.0 - f.cut))
    # faceless warmth in parallel bars each as long as the blob (a facade's paired windows seen from above)
    # is no body, however warm its parts are over each other
    if face < 1.0:
        uniform = max(uniform, _bars(f) * (1.0 - face) * (1.0 - f.cut))
    return {"warm": warm, "skin": skin, "face": face, "size": size, "plate": plate, "uniform": uniform,
            "dog": dog, "halo": _halo(f, m_per_px, face)}, posture


def _halo(f: Blob, m_per_px: float | None, face: float) -> float:
    """Membership of a warm halo round a heat source, not a body: steam round a vent or a manhole fades
    over a metre or more, while anything solid, a body or a blanket, ends at an edge blurred only by the
    optics (see _edge_sharpness); and inside it the vent or manhole is far warmer than the halo
    (PLATE_EXCESS_K over the blob's level), where on a faceless body nothing is more than a clothing
    ramp or a hood end warmer than the rest. A face keeps the blob (a weakly warm body's outline can
    measure soft), unless its spot is too large for any face (_face_sized 0: a warm plate). An outline
    not measured (edge 0: too few pixels, no contrast) says nothing. Fixed street cameras' steam
    halos were 4 of the 6 false people of the drill at seed 11."""
    if m_per_px is None or f.minor < HALO_MIN_PX or f.edge <= 0.0:
        return 0.0
    not_face = 1.0 - face if _face_sized(f, m_per_px) > 0.0 else 1.0
    return (1.0 - _ramp(f.edge, *HALO_EDGE)) * _ramp(f.t_max - f.level, *PLATE_EXCESS_K) * not_face


def _plate(f: Blob, m_per_px: float, skin: float) -> float:
    """Membership of a plate: a skin-hot area bigger than a face or hands (vent, manhole, window), or
    any area bigger than a face that is warmer than clothing can be: only skin is, and skin shows
    in small patches (as a disc's diameter; blur spreads a small hot patch by about a PSF sigma all
    round, and spreads a hot patch's excess without changing its integral)."""
    hot_m = math.sqrt(f.hot_px) * m_per_px
    over_px = max(math.sqrt(f.over_px / math.pi) - PSF_SIGMA_PX, math.sqrt(f.over_min_px / math.pi), 0.0)
    over_m = 2.0 * over_px * m_per_px
    return max(_ramp(hot_m, 0.35, 0.6) * skin, _ramp(over_m, 0.35, 0.55))


def _score(f: Blob, m_per_px: float | None, sin_dep: float, short_side: int,
           ambient: float | None) -> tuple[float, str]:
    """Fuzzy person score 0..1 and posture from the physical memberships."""
    m, posture = _memberships(f, m_per_px, sin_dep, short_side, ambient)
    if "hot" in m:
        return 0.0, posture
    temp_like = 0.75 + 0.25 * m["face"]  # no visible skin (hood, sleeping bag): still a candidate, on size alone
    score = m["warm"] * m["size"] * temp_like * (1.0 - 0.9 * m["plate"]) * (1.0 - 0.85 * m["uniform"]) * \
        (1.0 - 0.7 * m["dog"]) * (1.0 - 0.9 * m["halo"])
    return float(min(1.0, max(0.0, score))), posture


Candidate = tuple[Blob, float | None, float]  # features, metres per pixel, sin(depression)


def work_scale(frame_c: np.ndarray, cam: Camera | None) -> int:
    """Find candidates on a half-resolution copy (4x fewer pixels) only when people stay big enough.

    Averaging 2x2 pixels costs a blob of a pixel or two most of its contrast, so
    small frames (Lepton-class, 160x120) and coarse ground sampling (a standing
    person's ~0.5 m under PERSON_MIN_PX pixels at the image centre) keep full resolution.
    """
    h, w = frame_c.shape
    if w * h <= SMALL_FRAME_PX:
        return 1
    if cam is not None:
        try:
            m_per_px, _ = cam.scale_at(w / 2.0, h / 2.0)
        except FrameError:
            return 2
        if 0.5 / m_per_px < PERSON_MIN_PX:
            return 1
    return 2


def candidates(frame_c: np.ndarray, cam: Camera | None, ambient: float | None = None) -> list[Candidate]:
    """Warm blobs with their features and the camera scale at their centroid, largest first."""
    h, w = frame_c.shape
    scale = work_scale(frame_c, cam)
    work = reduced(frame_c, scale)
    bg_work = background(work)
    noise = noise_sigma(frame_c)
    delta = max(MIN_DELTA_C, NOISE_K * noise)
    factor = 1.0 if scale == 1 else HALF_RES_FACTOR
    mask = cv2.compare(cv2.subtract(work, bg_work), factor * delta, cv2.CMP_GT)  # type: ignore[call-overload]
    # external contours are ~20x faster than connectedComponentsWithStats here
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for c in contours:
        bx, by, bbw, bbh = cv2.boundingRect(c)
        x0, y0 = max(0, scale * bx - 1), max(0, scale * by - 1)
        boxes.append((x0, y0, min(w, scale * (bx + bbw) + 1) - x0, min(h, scale * (by + bbh) + 1) - y0))
    order = sorted(range(len(contours)), key=lambda i: -boxes[i][2] * boxes[i][3])
    search = _Search(frame_c, bg_work, scale, cam, ambient, noise)
    out: list[Candidate] = []
    for i in order[:MAX_CANDIDATES]:
        _x, _y, bw, bh = boxes[i]
        if bw * bh < 4 * MIN_AREA_PX:
            break
        out.extend(_measure(search, boxes[i], delta, 0))
    return out


@dataclass(frozen=True)
class _Search:
    """What measuring a candidate needs besides its box: the frame, its background, the camera."""

    frame: np.ndarray
    bg_work: np.ndarray  # background at 1/scale resolution
    scale: int
    cam: Camera | None
    ambient: float | None
    noise: float = 0.0  # the frame's noise sigma (K)


def _too_big(f: Blob, m_per_px: float | None) -> bool:
    """Longer or wider than anyone: several people, or a person merged with a warm road or wall.

    A length is judged with a pixel's allowance (SIZE_TOL_PX): a body is long and square-ended, and
    moments overestimate such a shape's length by ~15 % (an ellipse's they measure exactly), so a
    lying body seen diagonally at 0.15 m/px, its warm face at one end, measures 2.4 m. Across, a
    body is rounded: its width is taken as measured."""
    if m_per_px is None:
        return False
    return (_metres(f.major, m_per_px) - SIZE_TOL_PX * m_per_px > GROUP_MIN_M[0] or
            _metres(f.minor, m_per_px) > GROUP_MIN_M[1])


def _measure(s: _Search, box: tuple[int, int, int, int], delta: float, depth: int) -> list[Candidate]:
    """One candidate box measured; a blob too big for one person is split at its faces or, failing
    that, re-thresholded higher (LEVEL_SPLITS times at most) so people come apart from each other
    and from warm ground they touch."""
    h, w = s.frame.shape
    x, y, bw, bh = box
    oversized = bw > 0.6 * w or bh > 0.6 * h
    f = None if oversized else _features(s.frame, s.bg_work, s.scale, delta, x, y, bw, bh, s.ambient)
    whole = _scaled(f, s.cam) if f is not None else None
    if f is not None and whole is None:
        return []  # above the horizon: sky, not a person on the ground
    if whole is not None and whole[1] is not None:
        parts = _split_by_faces(s.frame, whole[0], whole[1], x, y, bw, bh, delta, s.ambient)
        if parts:
            blobs = [_features(s.frame, s.bg_work, s.scale, delta, x, y, bw, bh, s.ambient, part) for part in parts]
            return [c for c in (_scaled(b, s.cam) for b in blobs if b is not None) if c is not None]
    hot = f is not None and f.t_max > SKIN_MAX_C  # an engine or a lamp with its surroundings: nobody to free
    if whole is not None and whole[1] is not None and not hot and _lone_face(whole[0], whole[1], s.ambient):
        body = _body_of_face(s, whole[0], whole[1], delta)
        if body is not None and body[0].area <= HOOD_GROW * whole[0].area:
            body = _faint_body(s, whole, delta) or body
        if body is not None:
            return [body]
    if depth == 0 and whole is not None and not hot:
        body = _body_of_hood(s, whole, delta)
        if body is not None:
            return [body]
    if depth < LEVEL_SPLITS and not hot and (oversized or (whole is not None and _too_big(whole[0], whole[1]))):
        higher = delta + max(delta, LEVEL_STEP * (f.level - f.bg)) if f is not None else 2.0 * delta
        pieces = _pieces(s, box, higher)
        if pieces:
            return [c for b in pieces for c in _measure(s, b, higher, depth + 1)]
    return [whole] if whole is not None else []


def _lone_face(f: Blob, m_per_px: float, ambient: float | None) -> bool:
    """A warm spot no bigger than a head whose hottest pixel unmixes to skin: a face, maybe
    without its body (clothing on a cold night can be barely warmer than the ground around it)."""
    return _metres(f.major, m_per_px) <= LONE_FACE_M and spot_temperature(f, m_per_px, ambient) >= SKIN_MIN_C


def _body_of_hood(s: _Search, spot: Candidate, delta: float) -> Candidate | None:
    """The body a warm spot (a hood end, or a face with part of its clothing) ends, or None to keep
    the spot as it is.

    A sleeping bag's surface is only 1.5-5 K above the air and the ground may be as warm: often
    only its warmer hood end passes the threshold, and a coat on frozen ground may show only the
    head and shoulders. Such a spot is searched for its body like a face (_body_of_face: at half
    the threshold, connected to it, within a body's reach), and the body replaces it when it is
    the body of an object, not more of the same thing or of the ground:
    - the spot is clothing, no warmer than clothing can be (a vent, a manhole or an engine part
      is warmer: their steam and their surroundings are no body), or a face (a spot that unmixes
      to skin, no bigger than a face: no plate) with part of its clothing: on a cold night the rest
      of the clothing may be barely warmer than the ground. A face's body is grown only through
      pixels more than AIR_READING_K above the air: its warmth next to the face made the spot,
      so what is no warmer than the air (a bin, a car, a snowbank in front of the person, over
      snow colder than the air) is not its body;
    - the body covers HOOD_GROW times the spot at least (a lower contour of the same object, its
      blur skirt, adds far less; a hood end is about a sixth of a bag), or FACE_GROW times a face's
      spot (it holds part of the clothing already, and a face tens of K over the threshold grows by
      a fraction of a pixel of blur at half the threshold);
    - it ends at an outline sharper than warm ground's (EDGE_SHARP: ground warmed from below or
      by the day fades over metres), and is not too big for one person;
    - it scores better as a person than the spot alone.
    The body's box is drawn round its own outline (_outlined). Only at the detection threshold: a
    piece of a blob re-thresholded higher would grow back into it.
    """
    f, m_per_px, _ = spot
    ambient = s.ambient
    if m_per_px is None or ambient is None or _metres(f.major, m_per_px) > HOOD_MAX_M:
        return None
    short = min(s.frame.shape)
    face = f.t_max > ambient + CLOTHING_MAX_K + OVERWARM_MARGIN_K
    if face and (f.t_max > SKIN_MAX_C or spot_temperature(f, m_per_px, ambient) < SKIN_MIN_C + 2.0
                 or _plate(f, m_per_px, _skin(f.t_max)) > 0.0):
        return None  # neither clothing nor a face (its membership 1): a vent, a manhole, an engine part
    body = _body_of_face(s, f, m_per_px, delta, above_air=face)
    if body is None or body[0].area <= (FACE_GROW if face else HOOD_GROW) * f.area or body[0].edge < EDGE_SHARP[0] \
            or _too_big(*body[:2]):
        return None
    if _score(*body, short, ambient)[0] < _score(*spot, short, ambient)[0]:
        return None
    return (_outlined(body[0], s.frame.shape), body[1], body[2])


def _outlined(f: Blob, frame_shape: tuple[int, ...]) -> Blob:
    """The blob with its box drawn round its half-contrast shape (and a pixel of blur), not round
    the low level it was grown at: that level also reaches into whatever touches the body at
    about the air's temperature (a bin, a car, a snowbank in front of it), the body's outline is
    where its own warmth halves."""
    if f.shape is None or not f.shape.any():
        return f
    ys, xs = np.nonzero(f.shape)
    h, w = frame_shape[:2]
    x0, y0 = max(0, f.bx + int(xs.min()) - 1), max(0, f.by + int(ys.min()) - 1)
    x1, y1 = min(w, f.bx + int(xs.max()) + 2), min(h, f.by + int(ys.max()) + 2)
    return replace(f, bx=x0, by=y0, bw=x1 - x0, bh=y1 - y0)


def _faint_body(s: _Search, face: Candidate, delta: float) -> Candidate | None:
    """The body of a face that did not grow at half the threshold, searched lower (FAINT_BODY_K, and
    above the noise), or None.

    Clothing 1-2 K above the air over snow about as cold (a cold night, a thin coat, wind) leaves a
    lying or sitting body only ~1 K above the ground: at half the threshold the face grows only by
    its blur skirt. Lower, ground texture would join it too, so the body is grown only through
    pixels clearly warmer than the air (a body's surface is, the ground and what lies on it need
    not be) and kept only as an object's body: HOOD_GROW times the face at least, a sharp outline,
    not too big for one person, scoring as well as the face alone.
    """
    f, m_per_px, _ = face
    if m_per_px is None or s.ambient is None:
        return None
    level = max(FAINT_BODY_K, FAINT_BODY_NOISE * s.noise)
    if level >= BODY_LEVEL * delta:
        return None
    body = _body_of_face(s, f, m_per_px, delta, above_air=True, level=level)
    if body is None or body[0].area <= HOOD_GROW * f.area or body[0].edge < EDGE_SHARP[0] or _too_big(*body[:2]):
        return None
    short = min(s.frame.shape)
    if _score(*body, short, s.ambient)[0] < _score(*face, short, s.ambient)[0]:
        return None
    return (_outlined(body[0], s.frame.shape), body[1], body[2])


def _body_of_face(s: _Search, f: Blob, m_per_px: float, delta: float, above_air: bool = False,
                  level: float | None = None) -> Candidate | None:
    """The pixels warmer than the background by BODY_LEVEL of the threshold that are connected to
    a face, within a body's reach of it: a body ends at its face, so its warmth, however low,
    is searched for there only (elsewhere that level would be ground texture and noise).
    `above_air`: only pixels more than AIR_READING_K above the air (when it is known); `level`: the
    warmth above the background searched at instead (K)."""
    h, w = s.frame.shape
    reach = max(2, round(BODY_REACH_M / m_per_px))
    u, v = min(w - 1, round(f.cx)), min(h - 1, round(f.cy))
    x0, y0, x1, y1 = max(0, u - reach), max(0, v - reach), min(w, u + reach + 1), min(h, v + reach + 1)
    patch = _patch(s.frame, s.bg_work, s.scale, x0, y0, x1 - x0, y1 - y0)
    if patch is None:
        return None
    low = BODY_LEVEL * delta if level is None else level
    ox, oy = x0 - patch.x0, y0 - patch.y0
    warm = cv2.compare(cv2.subtract(patch.frame, patch.bg), low, cv2.CMP_GT)[oy : oy + y1 - y0, ox : ox + x1 - x0]  # type: ignore[call-overload]
    if above_air and s.ambient is not None:
        air = cv2.compare(patch.frame, s.ambient + AIR_READING_K, cv2.CMP_GT)[oy : oy + y1 - y0, ox : ox + x1 - x0]  # type: ignore[call-overload]
        warm = cv2.bitwise_and(warm, air)
    _, labels = cv2.connectedComponents(np.ascontiguousarray(warm), connectivity=8)
    label = labels[v - y0, u - x0]
    if label == 0:
        return None
    body = np.where(labels == label, 255, 0).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(body)
    blob = _features(s.frame, s.bg_work, s.scale, low, x0 + bx, y0 + by, bw, bh, s.ambient,
                     np.ascontiguousarray(body[by : by + bh, bx : bx + bw]))
    return _scaled(blob, s.cam) if blob is not None else None


def _pieces(s: _Search, box: tuple[int, int, int, int], level: float) -> list[tuple[int, int, int, int]]:
    """Boxes (frame pixels, 1 px margin) of the parts of a box warmer than the background by `level`."""
    h, w = s.frame.shape
    x, y, bw, bh = box
    patch = _patch(s.frame, s.bg_work, s.scale, x, y, bw, bh)
    if patch is None:
        return []
    ox, oy = x - patch.x0, y - patch.y0
    diff = cv2.subtract(patch.frame, patch.bg)[oy : oy + bh, ox : ox + bw]
    mask = cv2.compare(diff, level, cv2.CMP_GT)  # type: ignore[call-overload]
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        px, py, pw, ph = cv2.boundingRect(c)
        if pw * ph < 4 * MIN_AREA_PX:
            continue
        x0, y0 = max(0, x + px - 1), max(0, y + py - 1)
        out.append((x0, y0, min(w, x + px + pw + 1) - x0, min(h, y + py + ph + 1) - y0))
    return out if len(out) >= 1 and out != [box] else []


def _scaled(f: Blob, cam: Camera | None) -> Candidate | None:
    """The blob with its up direction, metres per pixel and sin(depression) at its centroid;
    (f, None, 1.0) without a camera, None above the horizon."""
    if cam is None:
        return (f, None, 1.0)
    try:
        m_per_px, sin_dep = cam.scale_at(f.cx, f.cy)
        up_x, up_y = _up_direction(cam, f.cx, f.cy)
    except FrameError:
        return None
    return (replace(f, up_x=up_x, up_y=up_y), m_per_px, sin_dep)


def _split_by_faces(frame_c: np.ndarray, f: Blob, m_per_px: float, x: int, y: int, bw: int, bh: int,
                    delta: float, ambient: float | None) -> list[np.ndarray]:
    """One 0/255 mask per person of a blob too big for one person, when it shows two or more
    faces at least GROUP_FACE_GAP_M apart (people sitting or lying together); else [].

    A face is a local maximum that unmixes to skin temperature (see spot_temperature);
    each warm pixel goes to its nearest face.
    """
    if _metres(f.major, m_per_px) <= GROUP_MIN_M[0] and _metres(f.minor, m_per_px) <= GROUP_MIN_M[1]:
        return []
    frac = face_fraction(m_per_px)
    if frac < GROUP_FACE_FRAC_MIN:
        return []  # faces blurred into a pixel or two: a window or a lamp looks the same
    roi = frame_c[y : y + bh, x : x + bw]
    base = max(f.level, (f.bg if ambient is None else ambient) + CLOTHING_MAX_K)
    face_t = min(base + (SKIN_MIN_C - 4.0 - base) * frac, SKIN_MIN_C - 4.0)
    if f.t_max < face_t:
        return []
    gap = max(3, round(GROUP_FACE_GAP_M / m_per_px) | 1)
    peaks = (roi >= cv2.dilate(roi, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (gap, gap)))) & \
        (roi >= face_t) & (roi <= SKIN_MAX_C)
    n, _, _, centres = cv2.connectedComponentsWithStats(peaks.view(np.uint8), connectivity=8)
    if n - 1 > 4 * GROUP_MAX:  # a noisy plateau (a warm plate), not a few faces
        return []
    # a face is a small spot: at half its height above the clothing it covers no more than a
    # blurred face (a plate's maximum, e.g. a vent's, sits on a wide plateau)
    r = FACE_RADIUS_M / m_per_px
    face_area_px = 2.0 * math.pi * (r + 1.18 * PSF_SIGMA_PX) ** 2
    reach = math.ceil(math.sqrt(face_area_px))  # a face's spot fits well inside this window
    faces: list[tuple[float, float]] = []
    for cx, cy in centres[1:]:
        if len(faces) > GROUP_MAX or any((cx - a) ** 2 + (cy - b) ** 2 < (gap / 2.0) ** 2 for a, b in faces):
            continue
        u, v = min(bw - 1, round(cx)), min(bh - 1, round(cy))
        u0, v0 = max(0, u - reach), max(0, v - reach)
        win = roi[v0 : v + reach + 1, u0 : u + reach + 1] >= 0.5 * (float(roi[v, u]) + f.level)
        _, labels = cv2.connectedComponents(win.view(np.uint8), connectivity=8)
        spot = labels == labels[v - v0, u - u0]
        edge = spot[0].any() or spot[-1].any() or spot[:, 0].any() or spot[:, -1].any()
        if np.count_nonzero(spot) <= face_area_px and not edge:
            faces.append((float(cx), float(cy)))
    if not 2 <= len(faces) <= GROUP_MAX:
        return []
    warm = (roi > f.bg + delta)
    yy, xx = np.mgrid[0:bh, 0:bw]
    d2 = np.stack([(xx - a) ** 2 + (yy - b) ** 2 for a, b in faces])
    nearest = d2.argmin(axis=0)
    return [np.where(warm & (nearest == k), 255, 0).astype(np.uint8) for k in range(len(faces))]


def _frame_ids(meta: FrameMeta | None, frame_name: str | None,
               captured_at: datetime | None) -> tuple[str, datetime]:
    """Camera id and time of a frame: from the metadata, else the frame name and `captured_at`
    or, failing that, the Unix epoch (UTC)."""
    if meta is not None:
        return meta.camera_id, meta.captured_at
    return frame_name or "unknown", captured_at or EPOCH


def _checked(frame: np.ndarray) -> np.ndarray:
    if frame.ndim != 2 or frame.size == 0:
        raise FrameError(f"frame must be a non-empty 2-D array, got shape {frame.shape}")
    h, w = frame.shape
    if h < 8 or w < 8:
        raise FrameError(f"frame {w}x{h} is too small")
    return frame if frame.dtype == np.float32 else frame.astype(np.float32)


def _alike(a: Blob, b: Blob) -> bool:
    """Two blobs a facade could repeat: box sides within WINDOW_ALIKE of each other, and warmth within
    WINDOW_WARMTH_ALIKE (rooms behind the windows are heated differently)."""
    lo, hi = 1.0 / WINDOW_ALIKE, WINDOW_ALIKE
    return lo <= a.bw / b.bw <= hi and lo <= a.bh / b.bh <= hi and \
        min(a.contrast, b.contrast) * WINDOW_WARMTH_ALIKE >= max(a.contrast, b.contrast)


def _even_pitch(gaps: np.ndarray, size: float) -> bool:
    """Whether the gaps along a row are a facade's pitch: each one to WINDOW_SKIP_MAX pitches (an
    unlit window between two lit ones doubles a gap), the pitch at most WINDOW_PITCH_MAX box extents,
    changing from one gap to the next by at most WINDOW_PITCH_STEP (perspective) and along the row by
    at most WINDOW_PITCH_SPREAD. Pitches are counted outwards from the shortest gap."""
    start = int(np.argmin(gaps))
    units = np.empty(len(gaps))
    units[start] = gaps[start]
    for order in (range(start + 1, len(gaps)), range(start - 1, -1, -1)):
        prev = float(gaps[start])
        for i in order:
            steps = max(1.0, round(float(gaps[i]) / prev))
            unit = float(gaps[i]) / steps
            if steps > WINDOW_SKIP_MAX or not 1.0 / WINDOW_PITCH_STEP <= unit / prev <= WINDOW_PITCH_STEP:
                return False
            units[i] = prev = unit
    return bool(units.max() <= WINDOW_PITCH_MAX * size and units.max() <= WINDOW_PITCH_SPREAD * units.min())


def _window_rows(blobs: list[Blob], anchors: list[int]) -> set[int]:
    """Those of `anchors` (indices of blobs) that are faceless and one of WINDOW_ROW_MIN or more
    look-alikes in a regular row.

    A lit facade repeats its windows: the same size and warmth at an even pitch along a line,
    rows of them (independently rendered oblique drone and dusk frames: a false person on each of
    up to 17 windows, too thin or too unevenly warm for the slab test). People do not line up
    like that at an even pitch with the same size and warmth, and one with a visible face is never
    taken for a window. The pitch may grow along the row (perspective), and unlit windows leave
    gaps of two or three pitches (_even_pitch)."""
    faceless = [k for k, f in enumerate(blobs) if _skin(f.t_max) < 0.5]
    out: set[int] = set()
    for a in anchors:
        fa = blobs[a]
        if a in out or _skin(fa.t_max) >= 0.5:
            continue
        members = [a, *(b for b in faceless if b != a and _alike(fa, blobs[b]))]
        if len(members) < WINDOW_ROW_MIN:
            continue
        offs = np.array([(blobs[c].cx - fa.cx, blobs[c].cy - fa.cy) for c in members])
        dist = np.hypot(offs[:, 0], offs[:, 1])
        tol = WINDOW_LINE_TOL * min(fa.bw, fa.bh)
        for j in range(1, len(members)):
            if dist[j] < 1e-6:
                continue
            dx, dy = offs[j] / dist[j]
            on_line = np.abs(offs[:, 1] * dx - offs[:, 0] * dy) <= tol
            if np.count_nonzero(on_line) < WINDOW_ROW_MIN:
                continue
            along = offs[on_line] @ np.array([dx, dy])
            order = np.argsort(along)
            gaps = np.diff(along[order])
            size = abs(dx) * fa.bw + abs(dy) * fa.bh  # the box's extent along the line
            # the run around the anchor (along 0) whose gaps are a facade's pitch
            lo = hi = int(np.flatnonzero(order == 0)[0])  # the anchor is members[0]
            while lo > 0 and size <= gaps[lo - 1] and _even_pitch(gaps[lo - 1 : hi], size):
                lo -= 1
            while hi < len(gaps) and size <= gaps[hi] and _even_pitch(gaps[lo : hi + 1], size):
                hi += 1
            if hi - lo + 1 >= WINDOW_ROW_MIN:
                line = [c for c, keep in zip(members, on_line, strict=True) if keep]
                out.update(line[i] for i in order[lo : hi + 1])
                break
    return out.intersection(anchors)


def _scored_seen_whole(frame_c: np.ndarray, f: Blob, m_per_px: float | None, sin_dep: float, short: int,
                       ambient: float | None) -> tuple[Blob, float, str]:
    """The blob's score and posture; a blob refused as a dog or a uniform plate is scored again once
    it is known whether an occluder cuts it (_occluding_edge: judged only then, as it costs a few
    medians of the frame's lines)."""
    score, posture = _score(f, m_per_px, sin_dep, short, ambient)
    if score >= SCORE_MIN or m_per_px is None or f.warm is None:
        return f, score, posture
    m, _ = _memberships(f, m_per_px, sin_dep, short, ambient)
    if m.get("dog", 0.0) <= 0.0 and m.get("uniform", 0.0) <= 0.0 and (m.get("face", 0.0) <= 0.0 or m["size"] >= 1.0):
        return f, score, posture
    cut = _occluding_edge(frame_c, f.warm, f.bx, f.by)
    if cut <= 0.0:
        return f, score, posture
    f = replace(f, cut=cut)
    return f, *_score(f, m_per_px, sin_dep, short, ambient)


def detect(frame_c: np.ndarray, meta: FrameMeta | None, frame_name: str | None = None, *,
           captured_at: datetime | None = None) -> list[Detection]:
    """People in one radiometric frame (float32 °C); lat/lon/error_m filled when the pose allows.

    Without metadata (pixel-only mode) the camera id is the frame name and the
    time is `captured_at` or, failing that, the Unix epoch (UTC).
    """
    frame_c = _checked(frame_c)
    h, w = frame_c.shape
    cam = camera_for(meta, w, h) if meta is not None else None
    ambient = meta.ambient_c if meta is not None else None
    camera_id, when = _frame_ids(meta, frame_name, captured_at)
    out: list[Detection] = []
    short = min(h, w)
    scored = [_scored_seen_whole(frame_c, f, m_per_px, sin_dep, short, ambient)
              for f, m_per_px, sin_dep in candidates(frame_c, cam, ambient)]
    # a row is searched from every candidate, refused or not (a refused window is still one of its row)
    windows = _window_rows([f for f, _, _ in scored], list(range(len(scored))))
    for k, (f, score, posture) in sorted(enumerate(scored), key=lambda c: -c[1][1]):  # the best first: once
        bbox = (int(f.bx), int(f.by), int(f.bw), int(f.bh))
        if score < SCORE_MIN or k in windows or any(iou(bbox, d.bbox) >= SAME_PERSON_IOU for d in out):
            continue
        out.append(_detection(cam, camera_id, when, bbox, (f.cx, f.cy), posture, score, frame_name,
                              (round(f.t_max, 2), round(f.t_mean, 2))))
    out.sort(key=lambda d: (d.bbox[1], d.bbox[0]))
    return out


def _detection(cam: Camera | None, camera_id: str, when: datetime, bbox: tuple[int, int, int, int],
               centre: tuple[float, float], posture: str, score: float, frame_name: str | None,
               temps: tuple[float | None, float | None]) -> Detection:
    """One Detection record, placed on the ground when the camera allows."""
    lat = lon = err = None
    if cam is not None:
        lat, lon, err = _locate(cam, centre, bbox, posture)
    return Detection(
        detection_id=detection_id(camera_id, when.isoformat(), bbox), camera_id=camera_id, captured_at=when,
        bbox=bbox, posture=posture, t_max_c=temps[0], t_mean_c=temps[1], score=round(score, 3), lat=lat, lon=lon,
        error_m=err, frame=frame_name,
    )


def detect_grey(grey: np.ndarray, meta: FrameMeta | None, frame_name: str | None = None, *,
                captured_at: datetime | None = None) -> list[Detection]:
    """People in one 8-bit frame (grey levels, warm bright): see thermal/grey.py.

    Temperatures are unknown (None): grey levels after gain control are no degrees.
    """
    grey = _checked(grey)
    h, w = grey.shape
    cam = camera_for(meta, w, h) if meta is not None else None
    camera_id, when = _frame_ids(meta, frame_name, captured_at)
    model = load_model()
    k = _grey_reduction(cam, w, h)
    small_cam = cam
    if k > 1 and meta is not None:
        grey = reduced(grey, k)
        small_cam = camera_for(_reduced_meta(meta, k, w // k, h // k), w // k, h // k)
    table = candidate_table(grey, small_cam)
    p = model.predict(table.rows)
    passed = np.nonzero(p >= model.threshold)[0]  # records only for these: most candidates are not people
    out: list[Detection] = []
    for c, p_c in keep_best(table.candidates(passed), p[passed], model.threshold):
        x, y, bw, bh = c.bbox
        bbox = (min(w - 1, k * x), min(h - 1, k * y), k * bw, k * bh)
        out.append(_detection(cam, camera_id, when, bbox, (k * c.cx + (k - 1) / 2.0, k * c.cy + (k - 1) / 2.0),
                              grey_posture(c.features), p_c, frame_name, (None, None)))
    out.sort(key=lambda d: (d.bbox[1], d.bbox[0]))
    return out


def _grey_reduction(cam: Camera | None, w: int, h: int) -> int:
    """Integer factor that brings people near the size the classifier learned them at (close
    fixed cameras and low flights show people several times larger than HIT-UAV's 60-130 m)."""
    if cam is None:
        return 1
    e_px = person_px(cam, w / 2.0, h / 2.0)[0]
    return max(1, min(4, int(e_px / GREY_LEARNED_PERSON_PX + 0.25)))


def _reduced_meta(meta: FrameMeta, k: int, w: int, h: int) -> FrameMeta:
    """The same camera for an image reduced k times: pixel quantities divided by k."""
    def div(x: float | None) -> float | None:
        return None if x is None else x / k

    points = tuple((u / k, v / k, lat, lon) for u, v, lat, lon in meta.ground_points)
    return replace(meta, width=w, height=h, ground_points=points, fx=div(meta.fx), fy=div(meta.fy), cx=div(meta.cx),
                   cy=div(meta.cy))


def detect_image(img: ThermalImage, meta: FrameMeta | None, frame_name: str | None = None, *,
                 captured_at: datetime | None = None) -> list[Detection]:
    """People in a decoded frame of either kind: radiometric (°C) or 8-bit (grey levels).

    A frame larger than the detector's MAX_WIDTH x MAX_HEIGHT (a 1280x1024 core, a street camera's
    still) is reduced to fit by the smallest integer factor, averaging pixels (a coarser core sees
    the same scene), with its camera model; the detections' boxes are given back in its own pixels.
    """
    run = detect if img.radiometric else detect_grey
    h, w = img.pixels.shape[:2]
    k = reduction_factor(w, h)
    if k == 1:
        return run(img.pixels, meta, frame_name, captured_at=captured_at)
    check_meta_size(meta, img.pixels)  # its metadata must describe this frame: the reduced copy's is made to fit
    small = reduced(img.pixels, k)
    small_meta = _reduced_meta(meta, k, w // k, h // k) if meta is not None else None
    found = run(small, small_meta, frame_name, captured_at=captured_at)
    return [_enlarged(d, k, w, h) for d in found]


def _enlarged(d: Detection, k: int, w: int, h: int) -> Detection:
    """A detection of a frame reduced k times, in the frame's own pixels (its place on the ground is the same)."""
    x, y, bw, bh = d.bbox
    x0, y0 = min(w - 1, k * x), min(h - 1, k * y)
    bbox = (x0, y0, min(k * bw, w - x0), min(k * bh, h - y0))
    return replace(d, bbox=bbox, detection_id=detection_id(d.camera_id, d.captured_at.isoformat(), bbox))


def _locate(cam: Camera, centre: tuple[float, float], bbox: tuple[int, int, int, int],
            posture: str) -> tuple[float | None, float | None, float | None]:
    """Ground position of a person: centroid ray at the body's centroid height (drones),
    feet or body centre on the ground plane (homography cameras)."""
    u, v = centre
    height = CENTROID_HEIGHT_M.get(posture, 0.4)
    try:
        if isinstance(cam, HomographyCamera) and posture in ("standing", "sitting"):
            v = bbox[1] + bbox[3] - (0.5 if posture == "standing" else 0.25 * bbox[3])
            height = 0.0
        lat, lon = cam.pixel_to_ground(u, v, height)
        err = cam.error_m(u, v)
    except (BeyondHorizonError, FrameError):
        return None, None, None
    return round(lat, 7), round(lon, 7), round(err, 2)


def baseline_detect(frame_c: np.ndarray, meta: FrameMeta | None = None) -> list[dict[str, Any]]:
    """Bare OpenCV baseline for the benchmark: global threshold + connected components.

    Threshold = frame median + 5 °C; blobs of at least 12 pixels are "people".
    """
    thr = float(np.median(frame_c[::4, ::4])) + 5.0
    mask = cv2.compare(frame_c, thr, cv2.CMP_GT)  # type: ignore[call-overload]
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area >= 12:
            out.append({"bbox": [x, y, bw, bh], "score": 1.0})
    return out

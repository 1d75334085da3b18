"""Follow people across frames to know how long each has stayed still.

Fixed cameras: detections of the same camera are associated by bbox overlap
(IoU) or centroid distance, in pixels. Drones (or any detection with a ground
position): associated by ground distance, across cameras and passes, so a
second drone pass over the same sleeper continues the track.

`still_s` counts from the moment the person last moved more than the
stillness radius from its anchor; a track not seen for `max_gap_s` is dropped.
A detection dated before its track's last sighting (a camera clock reset to
2000, a late retry) is reported on the track but does not rewrite it.
A frame dated far ahead (a camera whose clock jumped to 2099) would do worse:
it expired the camera's tracks and re-anchored them there, and every later,
correctly dated frame was older than that sighting, so a sleeper's stillness
never counted again. `Tracker.admit` bounds a frame by event time, as the desk
bounds its records: more than the policy's `max_ahead_min` past the latest
clock tick, or, before any tick, past the camera's latest frame, is refused
(`future_time`) before it can move a track.
The tracker is pure and deterministic, and its whole state round-trips through
`to_dict`/`from_dict` so a Faust table can hold it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from core.records import Detection, check_not_ahead, parse_time
from geo.distance import haversine_m
from thermal.cameras import FrameMeta

MATCH_RADIUS_M = 4.0  # drone passes: same person if within a few metres
STILL_RADIUS_M = 2.0  # moved less than this from the anchor: still
MIN_IOU = 0.3
MAX_GAP_S = 20 * 60.0


def iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Intersection over union of two (x, y, w, h) pixel boxes."""
    iw = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


# A detection box that overlaps a labelled person's box this much is that person (the thermal bench's hits, the drill's score).
HIT_IOU_MIN = 0.3


def centre_inside(p: Sequence[int], t: Sequence[int]) -> bool:
    """Whether box p's centre lies in box t (both x, y, w, h)."""
    u, v = p[0] + p[2] / 2.0, p[1] + p[3] / 2.0
    return bool(t[0] <= u <= t[0] + t[2] and t[1] <= v <= t[1] + t[3])


def pair_boxes(preds: Sequence[Sequence[int]], truths: Sequence[Sequence[int]], iou_min: float, *,
               centre_in: bool = False) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (pred index, truth index), best overlap first: IoU at least `iou_min`, or with
    `centre_in` the pred's centre inside the truth's box (a small blob labelled loosely)."""
    pairs = sorted(((iou(p, t), i, j) for i, p in enumerate(preds) for j, t in enumerate(truths)), reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    out = []
    for v, i, j in pairs:
        if i in used_p or j in used_t or (v < iou_min and not (centre_in and centre_inside(preds[i], truths[j]))):
            continue
        used_p.add(i)
        used_t.add(j)
        out.append((i, j))
    return out


def _centre(b: list[int]) -> tuple[float, float]:
    return (b[0] + b[2] / 2.0, b[1] + b[3] / 2.0)


class Tracker:
    """Deterministic multi-camera tracker; `update` returns detections with track_id/still_s."""

    def __init__(self, match_radius_m: float = MATCH_RADIUS_M, still_radius_m: float = STILL_RADIUS_M,
                 max_gap_s: float = MAX_GAP_S) -> None:
        self.match_radius_m = match_radius_m
        self.still_radius_m = still_radius_m
        self.max_gap_s = max_gap_s
        self.tracks: dict[str, dict[str, Any]] = {}
        self.latest_at: datetime | None = None  # the latest frame `admit` took: the bound before any clock tick

    # ------------------------------------------------------------------ state

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe state (for a Faust table)."""
        return {"match_radius_m": self.match_radius_m, "still_radius_m": self.still_radius_m,
                "max_gap_s": self.max_gap_s, "tracks": {k: dict(v) for k, v in sorted(self.tracks.items())},
                "latest_at": None if self.latest_at is None else self.latest_at.isoformat()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Tracker:
        """The tracker `to_dict` saved; a state saved before `latest_at` was kept takes its tracks' latest sighting."""
        t = cls(float(d.get("match_radius_m", MATCH_RADIUS_M)), float(d.get("still_radius_m", STILL_RADIUS_M)),
                float(d.get("max_gap_s", MAX_GAP_S)))
        t.tracks = {k: dict(v) for k, v in d.get("tracks", {}).items()}
        if "latest_at" in d:
            t.latest_at = None if d["latest_at"] is None else parse_time(d["latest_at"], "latest_at")
        elif t.tracks:
            t.latest_at = max(_last_seen(tr) for tr in t.tracks.values())
        return t

    # ------------------------------------------------------------------ event time

    def admit(self, at: datetime, tick: datetime | None, max_ahead_min: float) -> None:
        """Refuse a frame taken at `at` more than `max_ahead_min` past `tick`, the latest clock tick its reader has
        seen, or, without a tick, past the latest frame this tracker took (a RecordError of kind `future_time` naming
        both times); call it before `update`, which it leaves untouched then. A frame it takes becomes the latest.

        Event time, never the wall clock: the bound depends only on the frames and ticks read, in their order, so a
        replayed or simulated night decides as a live one. Without a tick the camera's own frames are the clock, as
        the desk's records are its clock until a tick comes: one frame dated 2099 would otherwise expire the camera's
        tracks and hold them there. Only a camera's first frame is bound by nothing (nothing to judge it against).
        A camera off for longer than the bound (the next flight) is refused until the clock confirms the time: once
        there is a tick, the tick alone bounds a frame, and a track (or latest frame) further ahead of it than the
        bound, which only a frame taken before the tick can have set, is forgotten, so the camera's correctly dated
        frames start it afresh rather than being older than its last sighting for as long as the wrong date is ahead.
        """
        if tick is not None:
            bound = tick + timedelta(minutes=max_ahead_min)
            for tid in sorted(self.tracks):
                if _last_seen(self.tracks[tid]) > bound:
                    del self.tracks[tid]
            if self.latest_at is not None and self.latest_at > bound:
                self.latest_at = None
            check_not_ahead(at, tick, max_ahead_min, "captured_at", "the thermal agent's clock tick")
        elif self.latest_at is not None:
            check_not_ahead(at, self.latest_at, max_ahead_min, "captured_at", "the camera's latest frame before any clock tick")
        if self.latest_at is None or at > self.latest_at:
            self.latest_at = at

    # ------------------------------------------------------------------ update

    def _cost(self, tr: dict[str, Any], det: Detection) -> float | None:
        """Lower is better; None when the detection cannot continue the track."""
        if det.lat is not None and det.lon is not None and tr.get("lat") is not None:
            dist = haversine_m(det.lat, det.lon, tr["lat"], tr["lon"])
            radius = max(self.match_radius_m, min(3 * self.match_radius_m, det.error_m or 0.0))
            return dist / radius if dist <= radius else None
        if tr["camera_id"] != det.camera_id:
            return None
        b = list(det.bbox)
        overlap = iou(b, tr["bbox"])
        if overlap >= MIN_IOU:
            return 1.0 - overlap
        (ax, ay), (bx, by) = _centre(b), _centre(tr["bbox"])
        size = max(b[2], b[3], tr["bbox"][2], tr["bbox"][3])
        d = math.hypot(ax - bx, ay - by)
        return 1.0 + d / size if d <= 0.5 * size else None

    def _moved(self, tr: dict[str, Any], det: Detection) -> bool:
        if det.lat is not None and det.lon is not None and tr.get("anchor_lat") is not None:
            # across drone passes the position error alone can look like a move
            radius = max(self.still_radius_m, det.error_m or 0.0)
            return haversine_m(det.lat, det.lon, tr["anchor_lat"], tr["anchor_lon"]) > radius
        (ax, ay), (bx, by) = _centre(list(det.bbox)), _centre(tr["anchor_bbox"])
        size = max(det.bbox[2], det.bbox[3], 1)
        return math.hypot(ax - bx, ay - by) > 0.5 * size

    def update(self, detections: list[Detection], meta: FrameMeta | None = None) -> list[Detection]:
        """Associate one frame's detections with tracks; returns them with track_id and still_s.

        `meta` is accepted for symmetry with detect(); the time is each
        detection's captured_at.
        """
        if not detections:
            return []
        now = max(d.captured_at for d in detections)
        self._expire(now)
        # greedy global matching on sorted (cost, track, detection): deterministic
        pairs = []
        for tid in sorted(self.tracks):
            tr = self.tracks[tid]
            for j, det in enumerate(detections):
                c = self._cost(tr, det)
                if c is not None:
                    pairs.append((c, tid, j))
        pairs.sort()
        used_t: set[str] = set()
        assigned: dict[int, str] = {}
        for _, tid, j in pairs:
            if tid in used_t or j in assigned:
                continue
            used_t.add(tid)
            assigned[j] = tid
        out = []
        for j, det in enumerate(detections):
            found = assigned.get(j)
            if found is not None:
                tid = found
            else:
                tid = "trk-" + hashlib.sha1(f"{det.camera_id}|{det.detection_id}".encode()).hexdigest()[:12]
                self.tracks[tid] = {"camera_id": det.camera_id, "anchor_at": det.captured_at.isoformat(),
                                    "anchor_lat": det.lat, "anchor_lon": det.lon, "anchor_bbox": list(det.bbox)}
            tr = self.tracks[tid]
            if found is not None and "last_at" in tr and det.captured_at < parse_time(tr["last_at"], "last_at"):
                # Older than the track's last sighting (a camera clock reset to 2000, a late retry): it reports on the
                # track but does not rewrite it, else one such frame expires the track or re-anchors it years back.
                still = max(0.0, (det.captured_at - parse_time(tr["anchor_at"], "anchor_at")).total_seconds())
                out.append(dataclasses.replace(det, track_id=tid, still_s=round(still, 1)))
                continue
            if self._moved(tr, det):
                tr.update(anchor_at=det.captured_at.isoformat(), anchor_lat=det.lat, anchor_lon=det.lon,
                          anchor_bbox=list(det.bbox))
            tr.update(camera_id=det.camera_id, last_at=det.captured_at.isoformat(), lat=det.lat, lon=det.lon,
                      bbox=list(det.bbox))
            still = max(0.0, (det.captured_at - parse_time(tr["anchor_at"], "anchor_at")).total_seconds())
            out.append(dataclasses.replace(det, track_id=tid, still_s=round(still, 1)))
        return out

    def _expire(self, now: datetime) -> None:
        for tid in sorted(self.tracks):
            last = parse_time(self.tracks[tid]["last_at"], "last_at") if "last_at" in self.tracks[tid] else now
            if (now - last).total_seconds() > self.max_gap_s:
                del self.tracks[tid]


def _last_seen(tr: dict[str, Any]) -> datetime:
    """When a track was last seen (its anchor when nothing has been seen since)."""
    return parse_time(tr.get("last_at", tr["anchor_at"]), "last_at")

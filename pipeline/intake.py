"""Raw payloads in, typed records out: validation, lexicon, gazetteer, geofence.

Every function raises `RecordError` with a reason a call-taker can act on;
the agent turns that into a dead letter carrying the original payload.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pipeline.context import Context
from pipeline.errors import RecordError
from pipeline.records import (
    ACK_STATUSES,
    CAPABILITIES,
    CHANNELS,
    COLD_WAVE_LEVELS,
    FLAGS,
    POSTURES,
    TEAM_STATUSES,
    THERMAL_CHANNEL,
    ClockTick,
    Detection,
    Report,
    TaskAck,
    TeamStatus,
    Tip,
    WeatherObservation,
    WeatherWarning,
    parse_time,
)

MAX_ID_LEN = 200
OPERATOR_STATUSES = ("reassign", "resolved")


def parse_json(raw: bytes | str) -> dict[str, Any]:
    """Decode one JSON object; anything else is a clear RecordError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
    except UnicodeDecodeError as exc:
        raise RecordError(f"payload is not UTF-8: {exc.reason} at byte {exc.start}", kind="malformed") from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", kind="malformed") from exc
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {type(obj).__name__}", kind="malformed")
    return obj


def _ident(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, bool) or value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"{name}: expected a non-empty string, got {type(value).__name__}", kind="wrong_type")
    if len(value) > MAX_ID_LEN:
        raise RecordError(f"{name}: longer than {MAX_ID_LEN} characters", kind="wrong_type")
    return value.strip()


def _number(obj: dict[str, Any], name: str, *, required: bool = True) -> float | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise RecordError(f"{name}: missing", kind="missing_field")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"{name}: expected a number, got {type(value).__name__} {value!r:.40}", kind="wrong_type")
    if not math.isfinite(value):
        raise RecordError(f"{name}: not a finite number", kind="wrong_type")
    return float(value)


def _choice(obj: dict[str, Any], name: str, allowed: tuple[str, ...], kind: str) -> str:
    value = obj.get(name)
    if value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a string, got {type(value).__name__}", kind="wrong_type")
    norm = value.strip().lower()
    if norm not in allowed:
        raise RecordError(f"{name}: unknown {name} {value!r:.40} (known: {', '.join(allowed)})", kind=kind)
    return norm


def _position(obj: dict[str, Any], ctx: Context) -> tuple[float, float]:
    lat, lon = _number(obj, "lat"), _number(obj, "lon")
    assert lat is not None and lon is not None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RecordError(f"lat/lon ({lat}, {lon}) are not coordinates", kind="out_of_area")
    if not ctx.index.in_service_area(lat, lon):
        raise RecordError(f"position ({lat:.5f}, {lon:.5f}) is outside the service area", kind="out_of_area")
    return lat, lon


def _flag_list(obj: dict[str, Any], name: str = "flags") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Known and unknown flags; unknown ones are reported, never fatal."""
    value = obj.get(name)
    if value is None:
        return (), ()
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"{name}: expected a list of strings", kind="wrong_type")
    norm = [v.strip().lower() for v in value]
    return tuple(f for f in FLAGS if f in norm), tuple(sorted({f for f in norm if f not in FLAGS}))


def parse_tip(obj: dict[str, Any], ctx: Context) -> Tip:
    """Validate a tip and put it on the map (coordinates or gazetteer address)."""
    tip_id = _ident(obj, "tip_id")
    channel = _choice(obj, "channel", CHANNELS, "unknown_channel")
    reported_at = parse_time(obj.get("reported_at"), "reported_at") if obj.get("reported_at") is not None else None
    if reported_at is None:
        raise RecordError("reported_at: missing", kind="missing_field")
    text = obj.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise RecordError(f"text: expected a string, got {type(text).__name__}", kind="wrong_type")
    if len(text.encode("utf-8")) > ctx.policy.max_text_bytes:
        raise RecordError(f"text: over {ctx.policy.max_text_bytes} bytes ({len(text.encode('utf-8'))})", kind="too_large")
    persons = obj.get("persons")
    if persons is not None:
        if isinstance(persons, bool) or not isinstance(persons, int) or not 1 <= persons <= ctx.policy.max_persons:
            raise RecordError(f"persons: expected a whole number 1..{ctx.policy.max_persons}, got {persons!r:.20}", kind="wrong_type")
    address = obj.get("address")
    if address is not None and not isinstance(address, str):
        raise RecordError(f"address: expected a string, got {type(address).__name__}", kind="wrong_type")
    if obj.get("lat") is not None or obj.get("lon") is not None:
        lat, lon = _position(obj, ctx)
    elif address and address.strip():
        place = ctx.gazetteer.resolve(address)
        if place is None:
            raise RecordError(f"address: unknown address {address!r:.80}", kind="unknown_address")
        lat, lon = place.lat, place.lon
    else:
        raise RecordError("neither lat/lon nor address given", kind="missing_field")
    form_flags, _unknown = _flag_list(obj)
    text_flags = ctx.lexicon.flags_in(text)
    flags = tuple(f for f in FLAGS if f in form_flags or f in text_flags)
    return Tip(
        tip_id=tip_id,
        channel=channel,
        reported_at=reported_at,
        lat=lat,
        lon=lon,
        text=text,
        address=address,
        persons=persons,
        flags=flags,
    )


def tip_report(tip: Tip, ctx: Context) -> Report:
    where = ctx.index.locate(tip.lat, tip.lon)
    return Report(
        report_id=tip.tip_id,
        source="tip",
        channel=tip.channel,
        at=tip.reported_at,
        lat=tip.lat,
        lon=tip.lon,
        district=where.district or "",
        zone_id=where.zone_id,
        key_area=where.key_area,
        flags=tip.flags,
        text=tip.text,
        address=tip.address,
        persons=tip.persons,
    )


def parse_detection(obj: dict[str, Any], ctx: Context) -> Detection:
    """A detection from the detector or an edge device (same schema)."""
    bbox = obj.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox):
        raise RecordError("bbox: expected [x, y, w, h] numbers", kind="wrong_type")
    posture = obj.get("posture") or "unknown"
    if posture not in POSTURES:
        raise RecordError(f"posture: unknown posture {posture!r:.20}", kind="wrong_type")
    lat, lon = _number(obj, "lat", required=False), _number(obj, "lon", required=False)
    if lat is None or lon is None:
        raise RecordError("detection has no ground position (lat/lon)", kind="missing_field")
    _position(obj, ctx)
    return Detection(
        detection_id=_ident(obj, "detection_id"),
        camera_id=_ident(obj, "camera_id"),
        captured_at=parse_time(obj.get("captured_at"), "captured_at"),
        bbox=(int(bbox[0]), int(bbox[1]), int(bbox[2]), int(bbox[3])),
        posture=posture,
        t_max_c=_number(obj, "t_max_c", required=False) or 0.0,
        t_mean_c=_number(obj, "t_mean_c", required=False) or 0.0,
        score=_number(obj, "score", required=False) or 0.0,
        lat=lat,
        lon=lon,
        error_m=_number(obj, "error_m", required=False),
        track_id=str(obj["track_id"]) if obj.get("track_id") is not None else None,
        still_s=_number(obj, "still_s", required=False) or 0.0,
        frame=str(obj["frame"]) if obj.get("frame") is not None else None,
    )


def detection_report(det: Detection, ctx: Context) -> Report:
    assert det.lat is not None and det.lon is not None
    where = ctx.index.locate(det.lat, det.lon)
    return Report(
        report_id=det.detection_id,
        source="detection",
        channel=THERMAL_CHANNEL,
        at=det.captured_at,
        lat=det.lat,
        lon=det.lon,
        district=where.district or "",
        zone_id=where.zone_id,
        key_area=where.key_area,
        camera_id=det.camera_id,
        track_id=det.track_id,
        posture=det.posture,
        still_s=det.still_s,
        score=det.score,
        error_m=det.error_m,
    )


def parse_weather(obj: dict[str, Any], ctx: Context) -> tuple[str, WeatherObservation | WeatherWarning]:
    """A weather record and the region it applies to ("*" for the whole city)."""
    region = obj.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise RecordError("region: expected a non-empty string", kind="wrong_type")
    known = {d.id for d in ctx.city.districts}
    if isinstance(region, str) and region not in known:
        raise RecordError(f"region: unknown region {region!r:.40} (known: {', '.join(sorted(known))})", kind="unknown_region")
    if "level" in obj or "issued_at" in obj:
        level = _choice(obj, "level", COLD_WAVE_LEVELS, "wrong_type")
        return region or "*", WeatherWarning(level=level, issued_at=parse_time(obj.get("issued_at"), "issued_at"), region=region)
    lat, lon = _number(obj, "lat", required=False), _number(obj, "lon", required=False)
    if region is None and lat is not None and lon is not None:
        _position(obj, ctx)
        region = ctx.index.locate(lat, lon).district
        if region is None:
            raise RecordError(f"station ({lat}, {lon}) is in no district", kind="out_of_area")
    temp = _number(obj, "temp_c")
    wind = _number(obj, "wind_ms")
    assert temp is not None and wind is not None
    if not -80 <= temp <= 60:
        raise RecordError(f"temp_c: implausible temperature {temp}", kind="wrong_type")
    if not 0 <= wind <= 100:
        raise RecordError(f"wind_ms: implausible wind speed {wind}", kind="wrong_type")
    obs = WeatherObservation(
        observed_at=parse_time(obj.get("observed_at"), "observed_at"),
        temp_c=temp,
        wind_ms=wind,
        region=region,
        lat=lat,
        lon=lon,
        station_id=str(obj["station_id"]) if obj.get("station_id") is not None else None,
    )
    return region or "*", obs


def parse_team_status(obj: dict[str, Any], ctx: Context) -> TeamStatus:
    caps = obj.get("capabilities")
    if caps is not None and (not isinstance(caps, list) or not all(isinstance(c, str) for c in caps)):
        raise RecordError("capabilities: expected a list of strings", kind="wrong_type")
    unknown = [c for c in caps or [] if c not in CAPABILITIES]
    if unknown:
        raise RecordError(f"capabilities: unknown {', '.join(unknown)} (known: {', '.join(CAPABILITIES)})", kind="wrong_type")
    lat, lon = _number(obj, "lat"), _number(obj, "lon")
    assert lat is not None and lon is not None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RecordError(f"lat/lon ({lat}, {lon}) are not coordinates", kind="out_of_area")
    return TeamStatus(
        team_id=_ident(obj, "team_id"),
        at=parse_time(obj.get("at"), "at"),
        status=_choice(obj, "status", TEAM_STATUSES, "wrong_type"),
        lat=lat,
        lon=lon,
        capabilities=tuple(c for c in CAPABILITIES if c in (caps or [])),
        name=str(obj["name"]) if obj.get("name") is not None else None,
        district=str(obj["district"]) if obj.get("district") is not None else None,
    )


def parse_ack(obj: dict[str, Any]) -> TaskAck:
    outcome = obj.get("outcome")
    if outcome is not None and not isinstance(outcome, str):
        raise RecordError("outcome: expected a string", kind="wrong_type")
    return TaskAck(
        event_id=_ident(obj, "event_id"),
        team_id=_ident(obj, "team_id"),
        status=_choice(obj, "status", ACK_STATUSES + OPERATOR_STATUSES, "wrong_type"),
        at=parse_time(obj.get("at"), "at"),
        outcome=outcome,
        incident_id=str(obj["incident_id"]) if obj.get("incident_id") is not None else None,
        by=str(obj["by"]) if obj.get("by") is not None else None,
    )


def parse_tick(obj: dict[str, Any]) -> ClockTick:
    return ClockTick(at=parse_time(obj.get("at"), "at"), source=str(obj.get("source") or "ticker"))

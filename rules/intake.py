"""Raw payloads in, typed records out: validation, lexicon, gazetteer, geofence.

Every function raises `RecordError` with a reason a call-taker can act on;
the agent turns that into a dead letter carrying the original payload.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType

from core.errors import RecordError
from core.records import (
    ACK_STATUSES,
    AGE_GROUPS,
    CAPABILITIES,
    CHANNELS,
    CITY_WIDE,
    COLD_WAVE_LEVELS,
    COMMAND_KINDS,
    FLAGS,
    OPERATOR_TEAM_ID,
    POSTURES,
    PRIORITIES,
    SEXES,
    TEAM_STATUSES,
    THERMAL_CHANNEL,
    ClockTick,
    Detection,
    OperatorCommand,
    Report,
    ReporterContact,
    TaskAck,
    TeamStatus,
    Tip,
    WeatherObservation,
    WeatherWarning,
    parse_time,
)
from core.textfold import fold, lookalike_key, shown_text
from core.validate import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_LABEL_CHARS,
    coordinates_in,
    id_problem,
    is_number,
    json_type,
    on_earth,
    plausible_year,
    read_coordinate,
    read_number,
    whole,
)
from geo.city import City, TeamBase
from rules.context import Context
from rules.policy import MIN_AIR_TEMP_C

OPERATOR_STATUSES = ("reassign", "resolved")
_BOM = b"\xef\xbb\xbf"
_WHOLE = re.compile(r"[0-9]{1,6}")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９\u3000", "0123456789 ")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_FLAG_SEPARATORS = re.compile(r"[,;、|]")
_FLAG_JOINERS = re.compile(r"[\s\-]+")
# Age groups that are flags too: a minor is escorted and reported to the police, the elderly raise a level.
AGE_FLAGS = ("minor", "elderly")
# Items of a flags list (a form's ticks and free words, a command's flags): the lexicon has 14 flags and a form a few
# free words; more is no call-taker's form.
MAX_FLAG_ITEMS = 100


def parse_json(raw: bytes | str | None) -> dict[str, Any]:
    """Decode one JSON object; anything else is a clear RecordError.

    A UTF-8 byte-order mark is tolerated (Windows tools write one); lone UTF-16
    surrogates (a `\\ud800` escape) are refused here: no output could carry them.
    """
    if raw is None:
        raise RecordError("empty payload (no value)", kind="malformed")
    if isinstance(raw, bytes | bytearray | memoryview):
        data = bytes(raw)
        if data.startswith(_BOM):
            data = data[len(_BOM) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(f"payload is not UTF-8: {exc.reason} at byte {exc.start}", kind="malformed") from exc
    else:
        text = raw.removeprefix("\ufeff")
    if not text.strip():
        raise RecordError("empty payload", kind="malformed")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", kind="malformed") from exc
    except RecursionError as exc:
        raise RecordError("malformed JSON: nested too deeply", kind="malformed") from exc
    except ValueError as exc:  # an integer literal with more than 4300 digits
        raise RecordError("malformed JSON: a number literal is too long", kind="malformed") from exc
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got {json_type(obj)}", kind="malformed")
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(obj)
    return obj


def _refuse_lone_surrogates(obj: dict[str, Any]) -> None:
    """Name the first field whose string holds a lone surrogate (valid pairs were joined by the decoder)."""
    stack: list[tuple[str, Any]] = [(k, v) for k, v in obj.items()]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RecordError(f"{path}: invalid Unicode (lone surrogate at character {exc.start})", kind="malformed") from exc
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((f"{path}.{key}", item))
                stack.append((f"{path} (a key)", key))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    for key in obj:
        try:
            key.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError("a field name holds invalid Unicode (lone surrogate)", kind="malformed") from exc


def _ident(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a non-empty string, got {json_type(value)}", kind="wrong_type")
    value = value.strip()
    if not value:
        raise RecordError(f"{name}: empty", kind="missing_field")
    if (problem := id_problem(value)) is not None:
        raise RecordError(f"{name}: {problem}", kind="wrong_type")
    return value


def _number(obj: dict[str, Any], name: str, *, required: bool = True) -> float | None:
    """A finite number; a numeric string ("45.77", as web forms send) is read as its number."""
    value = obj.get(name)
    if value is None:
        if required:
            raise RecordError(f"{name}: missing", kind="missing_field")
        return None
    found = read_number(value)
    if isinstance(found, str):
        raise RecordError(f"{name}: {found}", kind="wrong_type")
    return found


def _coordinate(obj: dict[str, Any], name: str) -> float:
    """A latitude or longitude: a number, or text as phones and forms write one (`core.validate.read_coordinate`)."""
    value = obj.get(name)
    if value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    found = read_coordinate(value, name)
    if isinstance(found, str):
        raise RecordError(f"{name}: {found}", kind="wrong_type")
    return found


def _choice(obj: dict[str, Any], name: str, allowed: tuple[str, ...], kind: str) -> str:
    value = obj.get(name)
    if value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a string, got {json_type(value)}", kind="wrong_type")
    norm = value.strip().lower()
    if norm not in allowed:
        raise RecordError(f"{name}: unknown {name} {value!r:.40} (known: {', '.join(allowed)})", kind=kind)
    return norm


def _form_value(obj: dict[str, Any], name: str, allowed: tuple[str, ...], ctx: Context) -> str | None:
    """An optional description field of the form; other spellings ("男", "F", "老人") come from the lexicon's [form_values].

    A blank value (a dropdown nobody chose) or one that says it is not known
    ("unknown", "不详": the lexicon's `unknown` spellings) is no value: the
    tip is kept without it, never dead-lettered for it.
    """
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a string, got {json_type(value)}", kind="wrong_type")
    if ctx.lexicon.unstated(value):
        return None
    found = ctx.lexicon.form_value(value, allowed)
    if found is None:
        raise RecordError(f"{name}: unknown {name} {value!r:.40} (known: {', '.join(allowed)})", kind="wrong_type")
    return found


def _channel(obj: dict[str, Any], ctx: Context) -> str:
    """The tip's channel; other spellings ("WeChat", "taxi", "外卖骑手") come from the lexicon's [channels]."""
    value = obj.get("channel")
    if value is None:
        raise RecordError("channel: missing", kind="missing_field")
    if not isinstance(value, str):
        raise RecordError(f"channel: expected a string, got {json_type(value)}", kind="wrong_type")
    if not value.strip():
        raise RecordError("channel: empty", kind="missing_field")
    channel = ctx.lexicon.channel(value)
    if channel is None:
        raise RecordError(f"channel: unknown channel {value!r:.40} (known: {', '.join(CHANNELS)})", kind="unknown_channel")
    return channel


def _time(obj: dict[str, Any], name: str) -> datetime:
    """An ISO 8601 time with a UTC offset, in a plausible year."""
    value = obj.get(name)
    if value is None:
        raise RecordError(f"{name}: missing", kind="missing_field")
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected an ISO 8601 string, got {json_type(value)}")
    at = parse_time(value, name)
    if not plausible_year(at):
        raise RecordError(f"{name}: implausible time {value!r:.40} (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})")
    return at


def _position(obj: dict[str, Any], ctx: Context) -> tuple[float, float]:
    lat, lon = _coordinate(obj, "lat"), _coordinate(obj, "lon")
    swapped = " (lat and lon swapped?)" if ctx.index.in_service_area(lon, lat) else ""
    if not on_earth(lat, lon):
        raise RecordError(f"lat/lon ({lat}, {lon}) are not coordinates{swapped}", kind="out_of_area")
    if not ctx.index.in_service_area(lat, lon):
        raise RecordError(f"position ({lat:.5f}, {lon:.5f}) is outside the service area{swapped}", kind="out_of_area")
    return lat, lon


def _flag_list(obj: dict[str, Any], name: str = "flags") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Known flag names and the other words as given; unknown ones are never fatal.

    Names are compared folded, with spaces and hyphens as `_` ("No ID",
    "domestic-violence"); a comma-separated string is read as a list.
    """
    value = obj.get(name)
    if value is None:
        return (), ()
    if isinstance(value, str):
        value = [v for v in _FLAG_SEPARATORS.split(fold(value)) if v.strip()]
    if not isinstance(value, list):
        raise RecordError(f"{name}: expected a list of strings, got {json_type(value)}", kind="wrong_type")
    if len(value) > MAX_FLAG_ITEMS:  # each is folded: 120 000 of them (a 1 MB record) held the event loop for a second
        raise RecordError(f"{name}: at most {MAX_FLAG_ITEMS} items, got {len(value)}", kind="wrong_type")
    bad = next((i for i, v in enumerate(value) if not isinstance(v, str)), None)
    if bad is not None:
        raise RecordError(f"{name}: expected a list of strings, item {bad} is {json_type(value[bad])}", kind="wrong_type")
    names = {v.strip(): _FLAG_JOINERS.sub("_", fold(v).strip()) for v in value if v.strip()}
    known = set(names.values())
    return tuple(f for f in FLAGS if f in known), tuple(sorted(v for v, n in names.items() if n not in FLAGS))


def _persons(obj: dict[str, Any], ctx: Context) -> int | None:
    """The form's head count: a whole number 1..max_persons (2.0 and "2" are read as 2)."""
    value = obj.get("persons")
    if value is None:
        return None
    limit = ctx.policy.max_persons
    if isinstance(value, str) and _WHOLE.fullmatch(digits := value.translate(_FULL_WIDTH_DIGITS).strip()):
        value = int(digits)  # "２" typed full width (not "²")
    persons = whole(value, 1, limit)
    if persons is None:
        raise RecordError(f"persons: expected a whole number 1..{limit}, got {json_type(value)} {value!r:.20}", kind="wrong_type")
    return persons


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    """An optional field that, when present, must be a string."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected a string, got {json_type(value)}", kind="wrong_type")
    return value


def _bounded_text(obj: dict[str, Any], name: str, ctx: Context) -> str | None:
    """An optional string field of at most max_text_bytes of UTF-8, without control characters (`shown_text`).

    A NUL (a C program's string end, sent along) means nothing in a call's
    words, and no PostgreSQL text can hold one: the ledger's write of the
    incident's text failed, and its feeder stopped. It is dropped, as are
    terminal escapes and bidirectional overrides; the tip is kept.
    """
    value = _opt_str(obj, name)
    if value is None:
        return None
    value = shown_text(value)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise RecordError(f"{name}: invalid Unicode (lone surrogate at character {exc.start})", kind="malformed") from exc
    if size > ctx.policy.max_text_bytes:
        raise RecordError(f"{name}: over {ctx.policy.max_text_bytes} bytes ({size})", kind="too_large")
    return value


def _locate(obj: dict[str, Any], address: str | None, ctx: Context) -> tuple[float, float, float | None]:
    """Coordinates when given and usable, else the address: a position written in it, else the gazetteer.

    Coordinates win when both are given (a phone's fix is more precise than
    a landmark). Unusable coordinates (0/0 from a phone without a fix, out of
    the area, not numbers) fall back to a resolvable address instead of
    losing the tip.
    """
    has_address = bool(address and address.strip())
    if obj.get("lat") is not None or obj.get("lon") is not None:
        try:
            lat, lon = _position(obj, ctx)
            accuracy = _number(obj, "accuracy_m", required=False)
            if accuracy is not None and not 0 <= accuracy <= 10_000:
                raise RecordError(f"accuracy_m: expected 0..10000 metres, got {accuracy}", kind="wrong_type")
            return lat, lon, accuracy
        except RecordError as exc:
            if not has_address:
                raise
            assert address is not None
            try:
                return _address_position(address, ctx)
            except RecordError as why:
                raise RecordError(f"{exc.reason}; {why.reason}", kind=exc.kind) from exc
    if has_address:
        assert address is not None
        return _address_position(address, ctx)
    raise RecordError("neither lat/lon nor address given", kind="missing_field")


def _address_position(address: str, ctx: Context) -> tuple[float, float, float | None]:
    """Where an address puts the tip: a latitude and longitude written in it (read off a phone: "45.7612,
    126.6310", "北纬45.7735 东经126.6170") when inside the service area, else the place the gazetteer finds;
    a written pair that is the service area's swapped is refused `out_of_area`, as in `lat`/`lon`."""
    written = coordinates_in(address)
    if written is not None and ctx.index.in_service_area(*written):
        return written[0], written[1], None
    place = ctx.gazetteer.resolve(address)
    if place is not None:
        return place.lat, place.lon, place.extent_m
    if written is not None and ctx.index.in_service_area(written[1], written[0]):
        raise RecordError(f"address: the position ({written[0]:.5f}, {written[1]:.5f}) it writes is outside the service area "
                          "(lat and lon swapped?)", kind="out_of_area")
    # Other numbers (a score, a pair of measurements) are no position the centre could use: an address it does not know.
    raise RecordError(f"address: unknown address {address!r:.80}", kind="unknown_address")


_WECHAT = re.compile(r"(?:wechat|weixin|微信|wx)\s*(?:号|id)?\s*(?:[:：]\s*|\s|(?<=号))\s*([a-z][-_a-z0-9]{5,19})", re.IGNORECASE)


# A local landline inside the contact's text (`电话：8765 4321`, `8765–4321`): 7 or 8 digits, the first 2-9.
_LOCAL_NUMBER = re.compile(r"(?<![\d+])([2-9]\d{2,3})[\s\-.()（）—–·]*(\d{4})(?!\d)")


def parse_contact(value: Any, area_code: str | None = None) -> tuple[str, str, str]:
    """A reporter contact as (normalized, masked, via): a mobile, a landline or a WeChat id.

    Numbers are read by libphonenumber in any written form (full-width digits,
    spaces, dots or dashes, +86/0086, a label such as 电话：); normalized forms
    are `tel:+8613812345678` and `wechat:abc_123`; the masked form keeps only
    what an operator needs to see that a contact exists. A local landline
    written without its area code (`8765 4321`, as callers in the city give
    it) is read in the city's `area_code` (city.json) when one is given. A
    valid number of another country (`+852 9123 4567`, `+7 912 345-67-89`) is
    kept in E.164 (`tel:+85291234567`), masked to its first and last two
    digits after the country code; only a number libphonenumber finds invalid
    is refused.
    """
    if not isinstance(value, str):
        raise RecordError(f"reporter_contact: expected a string, got {json_type(value)}", kind="wrong_type")
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > 64:
        raise RecordError("reporter_contact: longer than 64 characters", kind="wrong_type")
    wechat = _WECHAT.fullmatch(text)
    if wechat:
        handle = wechat.group(1)
        return f"wechat:{handle}", f"wechat:{handle[:2]}***", "wechat"
    found = next(iter(phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID)), None)
    if found is None and area_code is not None and (local := _LOCAL_NUMBER.search(text)) is not None:
        found = next(iter(phonenumbers.PhoneNumberMatcher(area_code + local[1] + local[2], "CN",
                                                          leniency=phonenumbers.Leniency.VALID)), None)
    if found is not None:
        number = phonenumbers.national_significant_number(found.number)
        mobile = phonenumbers.number_type(found.number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
        via = "sms" if mobile else "call"
        if found.number.country_code != 86:
            country = f"+{found.number.country_code}"
            e164 = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
            return f"tel:{e164}", f"tel:{country}{number[:2]}****{number[-2:]}", via
        if mobile:
            return f"tel:+86{number}", f"tel:+86{number[:3]}****{number[-4:]}", via
        area = phonenumbers.length_of_geographical_area_code(found.number) or 3
        return f"tel:+86{number}", f"tel:+86{number[:area]}****{number[-2:]}", via
    raise RecordError(
        "reporter_contact: not a mobile (13812345678), landline (0451-12345678), foreign number (+852 9123 4567) or WeChat id "
        "(wechat:abc123)", kind="wrong_type"
    )


def _reporter_contact(obj: dict[str, Any], ctx: Context) -> str | None:
    """The tip's contact, normalized; a contact that cannot be read never costs the tip (it is dropped)."""
    value = obj.get("reporter_contact")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_contact(value, ctx.city.area_code)[0]
    except RecordError:
        return None


def _corrects(obj: dict[str, Any]) -> str | None:
    """The dead letter this tip corrects (console resubmissions): an id like `dl-<hex>`."""
    value = obj.get("corrects")
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"dl-[0-9a-f]{1,64}", value):
        raise RecordError("corrects: expected a dead letter id (dl-<hex>)", kind="wrong_type")
    return value


def parse_tip(obj: dict[str, Any], ctx: Context) -> Tip:
    """Validate a tip and put it on the map (coordinates or gazetteer address).

    Flags are the form's plus those the lexicon reads in the text; a form
    flag that is no flag name is read like text ("drunk" -> intoxicated),
    else ignored; the form's age group `minor` or `elderly` is that flag.
    Without a form head count, the text's ("两个人") is used.
    """
    tip_id = _ident(obj, "tip_id")
    channel = _channel(obj, ctx)
    reported_at = _time(obj, "reported_at")
    text = _bounded_text(obj, "text", ctx) or ""
    persons = _persons(obj, ctx)
    address = _bounded_text(obj, "address", ctx)
    lat, lon, accuracy = _locate(obj, address, ctx)
    sex = _form_value(obj, "sex", SEXES, ctx)
    age_group = _form_value(obj, "age_group", AGE_GROUPS, ctx)
    form_flags, unknown = _flag_list(obj)
    if age_group in AGE_FLAGS:  # the form's "minor" or "elderly" is the call-taker's word for the flag
        form_flags = (*form_flags, age_group)
    year = reported_at.year  # a birth year ("1949年出生") is an age only against the tip's
    ctx.lexicon.new_tip()
    found = set(form_flags) | set(ctx.lexicon.flags_in(text, year))
    if unknown:  # one pass over all free words, each its own clause, bounded like the text
        words = "；".join(w.replace("_", " ") for w in unknown)[: ctx.policy.max_text_bytes]
        found.update(ctx.lexicon.flags_in(words, denials=False))
    flags = tuple(f for f in FLAGS if f in found)
    said_sex, posture, adult = ctx.lexicon.description_in(text, year)
    sex = sex or said_sex
    if age_group is None and adult and not {"minor", "elderly"} & set(form_flags):
        age_group = "adult"
    if persons is None:
        counted = ctx.lexicon.persons_in(text)
        persons = counted if counted is not None and 1 <= counted <= ctx.policy.max_persons else None
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
        accuracy_m=accuracy,
        sex=sex,
        age_group=age_group,
        posture=posture,
        company=ctx.lexicon.company_in(text) if "minor" in flags else None,
        reporter_contact=_reporter_contact(obj, ctx),
        corrects=_corrects(obj),
    )


def tip_contact(tip: Tip, centre: str = "") -> ReporterContact | None:
    """The record that lets replies reach the reporter of a tip `centre` holds; None when the tip left no contact."""
    if tip.reporter_contact is None:
        return None
    contact, masked, via = parse_contact(tip.reporter_contact.removeprefix("tel:"))
    return ReporterContact(tip_id=tip.tip_id, contact=contact, masked=masked, via=via, at=tip.reported_at, centre=centre)


def _placed(ctx: Context, report_id: str, source: str, channel: str, at: datetime, lat: float, lon: float, **details: Any) -> Report:
    """A report put on the map: the district, zone and key area of its position."""
    where = ctx.index.locate(lat, lon)
    return Report(
        report_id=report_id,
        source=source,
        channel=channel,
        at=at,
        lat=lat,
        lon=lon,
        district=where.district or "",
        zone_id=where.zone_id,
        key_area=where.key_area,
        **details,
    )


def _uncertainty(stated: float | None, channel: str, ctx: Context) -> tuple[float, bool]:
    """The report's position uncertainty: the stated one, else the policy's assumed one for the channel, marked so.

    A missing accuracy is not an exact position (a hotline's carrier fix is often hundreds of metres off): read as
    0 m it placed the incident over a camera's spot and kept the same person's next report out of reach.
    """
    if stated is not None:
        return stated, False
    return ctx.policy.assumed_uncertainty(channel), True


def tip_report(tip: Tip, ctx: Context, centre: str = "") -> Report:
    """The tip as a report of `centre`, the dispatch centre that holds it (built once, not copied to set it)."""
    accuracy, assumed = _uncertainty(tip.accuracy_m, tip.channel, ctx)
    return _placed(
        ctx,
        tip.tip_id,
        "tip",
        tip.channel,
        tip.reported_at,
        tip.lat,
        tip.lon,
        flags=tip.flags,
        text=tip.text,
        address=tip.address,
        persons=tip.persons,
        sex=tip.sex,
        age_group=tip.age_group,
        posture=tip.posture,
        company=tip.company,
        reporter_contact=parse_contact(tip.reporter_contact.removeprefix("tel:"))[1] if tip.reporter_contact else None,
        centre=centre,
        accuracy_m=accuracy,
        uncertainty_assumed=assumed,
    )


def parse_detection(obj: dict[str, Any], ctx: Context) -> Detection:
    """A detection from the detector or an edge device (same schema)."""
    bbox = obj.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(
        is_number(v) and abs(v) < 1e9 for v in bbox
    ):
        raise RecordError("bbox: expected [x, y, w, h] finite numbers", kind="wrong_type")
    posture = obj.get("posture") or "unknown"
    if posture not in POSTURES:
        raise RecordError(f"posture: unknown posture {posture!r:.20}", kind="wrong_type")
    lat, lon = _number(obj, "lat", required=False), _number(obj, "lon", required=False)
    if lat is None or lon is None:
        raise RecordError("detection has no ground position (lat/lon)", kind="missing_field")
    _position(obj, ctx)
    # A negative error would shrink the matching radius below nothing: no later report could join the incident.
    error_m, still_s = _number(obj, "error_m", required=False), _number(obj, "still_s", required=False)
    if error_m is not None and error_m < 0:
        raise RecordError(f"error_m: expected metres >= 0, got {error_m}", kind="wrong_type")
    if still_s is not None and still_s < 0:
        raise RecordError(f"still_s: expected seconds >= 0, got {still_s}", kind="wrong_type")
    return Detection(
        detection_id=_ident(obj, "detection_id"),
        camera_id=_ident(obj, "camera_id"),
        captured_at=_time(obj, "captured_at"),
        bbox=(int(bbox[0]), int(bbox[1]), int(bbox[2]), int(bbox[3])),
        posture=posture,
        t_max_c=_number(obj, "t_max_c", required=False),  # None: an 8-bit frame, no temperature
        t_mean_c=_number(obj, "t_mean_c", required=False),
        score=_number(obj, "score", required=False) or 0.0,
        lat=lat,
        lon=lon,
        error_m=error_m,
        track_id=_opt_ident(obj, "track_id"),
        still_s=still_s or 0.0,
        frame=_opt_ident(obj, "frame"),
    )


def detection_report(det: Detection, ctx: Context, centre: str = "") -> Report:
    """The detection as a report of `centre`, the dispatch centre that holds it."""
    assert det.lat is not None and det.lon is not None
    error_m, assumed = _uncertainty(det.error_m, THERMAL_CHANNEL, ctx)
    return _placed(
        ctx,
        det.detection_id,
        "detection",
        THERMAL_CHANNEL,
        det.captured_at,
        det.lat,
        det.lon,
        camera_id=det.camera_id,
        track_id=det.track_id,
        posture=det.posture,
        still_s=det.still_s,
        score=det.score,
        error_m=error_m,
        uncertainty_assumed=assumed,
        centre=centre,
    )


def _region(name: str, ctx: Context) -> str:
    """The id of the district a weather record's `region` names: its id or its Chinese or English name, with or without
    the 区/District suffix, in any case or script (`geo.city.City.districts_named`); a name two districts fit is refused."""
    found = ctx.city.districts_named(name)
    if len(found) > 1:
        raise RecordError(f"region: {name!r:.40} fits several districts ({', '.join(d.id for d in found)}): name one by its id",
                          kind="ambiguous_region")
    if not found:
        known = ", ".join(f"{d.id} ({d.name})" for d in ctx.city.districts)
        raise RecordError(f"region: unknown region {name!r:.40} (known: {known})", kind="unknown_region")
    return found[0].id


_WARNING_FIELDS = ("level", "issued_at")
_OBSERVATION_FIELDS = ("observed_at", "temp_c", "wind_ms", "snow", "snowfall", "road_ice")  # lat/lon: either kind's place


def parse_weather(obj: dict[str, Any], ctx: Context) -> tuple[str, WeatherObservation | WeatherWarning]:
    """A weather record and the region it applies to (`CITY_WIDE` for the whole city)."""
    region = obj.get("region")
    if region is not None and (not isinstance(region, str) or not region.strip()):
        raise RecordError("region: expected a non-empty string", kind="wrong_type")
    if isinstance(region, str):
        region = _region(region, ctx)
    warned, observed = [f for f in _WARNING_FIELDS if f in obj], [f for f in _OBSERVATION_FIELDS if f in obj]
    if warned and observed:
        # Read as a warning, its reading (-31 °C, wind, snow) was dropped without a word; read as a reading, the
        # warning would be. Which was meant is the sender's to say.
        raise RecordError(f"{', '.join(warned)} (a warning) and {', '.join(observed)} (an observation) in one record: send "
                          "them as two records", kind="malformed")
    lat, lon = _number(obj, "lat", required=False), _number(obj, "lon", required=False)
    if region is None and (lat is None) != (lon is None):
        # Only a record with neither is the whole city's: a station's broken position must not set every district's weather.
        raise RecordError(f"lat/lon: station position has {'lat' if lon is None else 'lon'} only (give both, a region, or neither "
                          "for the whole city)", kind="missing_field")
    if region is None and lat is not None and lon is not None:
        _position(obj, ctx)
        region = ctx.index.locate(lat, lon).district
        if region is None:
            raise RecordError(f"position ({lat}, {lon}) is in no district", kind="out_of_area")
    if warned:
        level = _choice(obj, "level", COLD_WAVE_LEVELS, "wrong_type")
        return region or CITY_WIDE, WeatherWarning(level=level, issued_at=_time(obj, "issued_at"), region=region)
    temp = _number(obj, "temp_c")
    wind = _number(obj, "wind_ms")
    assert temp is not None and wind is not None
    if not MIN_AIR_TEMP_C <= temp <= 60:  # the policy's severe-cold threshold is held to the same floor
        raise RecordError(f"temp_c: implausible temperature {temp}", kind="wrong_type")
    if not 0 <= wind <= 100:
        raise RecordError(f"wind_ms: implausible wind speed {wind}", kind="wrong_type")
    obs = WeatherObservation(
        observed_at=_time(obj, "observed_at"),
        temp_c=temp,
        wind_ms=wind,
        region=region,
        lat=lat,
        lon=lon,
        station_id=_opt_ident(obj, "station_id"),
        snow=_snow(obj),
    )
    return region or CITY_WIDE, obs


def _snow(obj: dict[str, Any]) -> bool:
    """Optional `snow`, `snowfall` or `road_ice`: true when snow falls or roads are icy (teams are slower).

    The observation may name snowfall and road ice apart (DOMAIN: both slow teams);
    `snowfall` may also be the amount in mm (more than 0 is snowing).
    """
    found = False
    for name in ("snow", "snowfall", "road_ice"):
        value = obj.get(name, False)
        if name == "snowfall" and is_number(value) and not isinstance(value, bool):
            if not 0 <= value < 1000:
                raise RecordError(f"snowfall: expected true, false or mm 0..1000, got {value!r:.20}", kind="wrong_type")
            value = value > 0
        if not isinstance(value, bool):
            raise RecordError(f"{name}: expected true or false, got {json_type(value)}", kind="wrong_type")
        found = found or value
    return found


def team_position_problem(lat: float, lon: float, city: City, margin_km: float) -> str | None:
    """Why a team's position is refused (`out_of_area`), else None: the desk's rule, which the console's team API
    applies first (a fix it wrote and the desk refused stayed the phone's latest fix)."""
    if not on_earth(lat, lon):
        return f"lat/lon ({lat}, {lon}) are not coordinates"
    if lat == 0 and lon == 0:  # the team would be 10 000 km away, and a P1 could still be given to it
        return "lat/lon is 0, 0 (a GNSS receiver without a fix)"
    outside_km = city.bbox.distance_m(lat, lon) / 1000.0
    if outside_km > margin_km:
        # A forged or broken fix: on another continent the team is never chosen, but it counts as on duty and
        # an operator may still assign it; a position just outside (a hospital past the edge) is still taken.
        return (f"lat/lon ({lat}, {lon}) is {outside_km:.0f} km outside {city.name}'s service area "
                f"(at most {margin_km:g} km is taken: intake.team_area_margin_km)")
    return None


def roster_lookalike(team_id: str, city: City, name: str | None = None) -> str | None:
    """The roster team of `city` that a team off the roster, `team_id` named `name`, would pass for: its id or its name
    drawn like the roster team's id or name (`core.textfold.lookalike_key`); else None."""
    keys = {lookalike_key(team_id), *((lookalike_key(name),) if name else ())}
    return next((base.team_id for base in city.teams if base.team_id != team_id
                 and keys & {lookalike_key(base.team_id), lookalike_key(base.name), lookalike_key(base.name_en)}), None)


def roster_capabilities(claimed: list[str] | tuple[str, ...] | None, base: TeamBase | None,
                        unrostered: tuple[str, ...] = CAPABILITIES) -> tuple[str, ...]:
    """What a team can do: for a roster team (`base`, the city's teams layer) the roster is the authority, so a status
    may take capabilities away for the night (no car tonight) but never add one (a phone claiming a medic sent a social
    worker on foot to the unconscious), and one that says nothing has the roster's; a team off the open roster (a
    volunteer group, a car lent for the night) has nothing to be checked against, so it keeps only those of its claims
    the policy takes on anyone's word (`intake.unrostered_capabilities`): a forged id claiming `medical` is no medic
    sent to a P1 in place of the real one."""
    if base is None:
        return tuple(c for c in CAPABILITIES if c in (claimed or ()) and c in unrostered)
    if claimed is None:
        return base.capabilities
    return tuple(c for c in base.capabilities if c in claimed)


def parse_team_status(obj: dict[str, Any], ctx: Context) -> TeamStatus:
    caps = obj.get("capabilities")
    if caps is not None and (not isinstance(caps, list) or not all(isinstance(c, str) for c in caps)):
        raise RecordError("capabilities: expected a list of strings", kind="wrong_type")
    unknown = [c for c in caps or [] if c not in CAPABILITIES]
    if unknown:
        raise RecordError(f"capabilities: unknown {', '.join(unknown)} (known: {', '.join(CAPABILITIES)})", kind="wrong_type")
    lat, lon = _number(obj, "lat"), _number(obj, "lon")
    assert lat is not None and lon is not None
    if (problem := team_position_problem(lat, lon, ctx.city, ctx.policy.team_area_margin_km)) is not None:
        raise RecordError(problem, kind="out_of_area")
    team_id = _ident(obj, "team_id")
    if team_id == OPERATOR_TEAM_ID:  # a team by that name would answer tasks with an operator's authority
        raise RecordError(f"team_id: {team_id!r} is the operators' (the console's acks), not a team's", kind="unknown_team")
    base = next((b for b in ctx.city.teams if b.team_id == team_id), None)
    if base is None:
        if ctx.policy.roster_teams_only:
            raise RecordError(f"team_id: {team_id!r} is not on {ctx.city.name}'s roster (its teams layer; intake.roster_teams_only)",
                              kind="unknown_team")
        if (twin := roster_lookalike(team_id, ctx.city, _label(obj, "name", MAX_NAME_CHARS))) is not None:
            # "Т-daoli-1" with a Cyrillic Т, or a new id named 道里区救助巡查一队: a second team operators and the desk's
            # candidates list show as the roster's own, which tasks could go to and an operator would assign believing it real.
            raise RecordError(f"team_id: {team_id!r} is not on {ctx.city.name}'s roster but its id or name is written like its team "
                              f"{twin!r}'s (letters of another script, or digits, drawn alike)", kind="unknown_team")
    return TeamStatus(
        team_id=team_id,
        at=_time(obj, "at"),
        status=_choice(obj, "status", TEAM_STATUSES, "wrong_type"),
        lat=lat,
        lon=lon,
        capabilities=roster_capabilities(caps, base, ctx.policy.unrostered_capabilities),
        name=_label(obj, "name", MAX_NAME_CHARS),
        district=_opt_ident(obj, "district"),
    )


def parse_ack(obj: dict[str, Any]) -> TaskAck:
    outcome = _label(obj, "outcome", MAX_OUTCOME_CHARS)
    return TaskAck(
        event_id=_ident(obj, "event_id"),
        team_id=_ident(obj, "team_id"),
        status=_choice(obj, "status", ACK_STATUSES + OPERATOR_STATUSES, "wrong_type"),
        at=_time(obj, "at"),
        outcome=outcome,
        incident_id=_opt_ident(obj, "incident_id"),
        by=_opt_ident(obj, "by"),
        client_id=_opt_ident(obj, "client_id"),
    )


MAX_REASON_CHARS = 200
MAX_NAME_CHARS = MAX_LABEL_CHARS  # a team's display name (the console's own limit; a city's teams layer is held to it)
MAX_OUTCOME_CHARS = 64  # an outcome code (the console's own limit)


def _opt_ident(obj: dict[str, Any], name: str) -> str | None:
    return _ident(obj, name) if obj.get(name) is not None else None


def _label(obj: dict[str, Any], name: str, limit: int) -> str | None:
    """An optional short text shown as is (a name, an outcome code): printable, at most `limit` characters; blank is absent."""
    value = _opt_str(obj, name)
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit or not value.isprintable():
        raise RecordError(f"{name}: a printable text of at most {limit} characters", kind="wrong_type")
    return value or None


def _strict_flags(obj: dict[str, Any], name: str) -> tuple[str, ...]:
    """A command's flags: every word must be a known flag (an order cannot be half understood)."""
    known, unknown = _flag_list(obj, name)
    if unknown:
        raise RecordError(f"{name}: unknown flag(s) {', '.join(unknown)} (known: {', '.join(FLAGS)})", kind="unknown_flag")
    return known


def parse_command(obj: dict[str, Any], ctx: Context) -> OperatorCommand:
    """An operator's or a team's command to the desk, every field checked; the desk judges whether it can apply."""
    kind = _choice(obj, "kind", COMMAND_KINDS, "unknown_command")
    reason = obj.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON_CHARS or not reason.isprintable()):
        raise RecordError(f"reason: a printable text of at most {MAX_REASON_CHARS} characters", kind="wrong_type")
    reason = reason.strip() if reason else None
    priority = _choice(obj, "priority", tuple(p.lower() for p in PRIORITIES), "wrong_type").upper() if obj.get("priority") is not None else None
    command = OperatorCommand(
        command_id=_ident(obj, "command_id"),
        kind=kind,
        incident_id=_ident(obj, "incident_id"),
        at=_time(obj, "at"),
        by=_ident(obj, "by"),
        by_team=_opt_ident(obj, "by_team"),
        team_id=_opt_ident(obj, "team_id"),
        other_incident_id=_opt_ident(obj, "other_incident_id"),
        report_id=_opt_ident(obj, "report_id"),
        priority=priority,
        reason=reason or None,
        add_flags=_strict_flags(obj, "add_flags"),
        remove_flags=_strict_flags(obj, "remove_flags"),
        persons=_persons(obj, ctx),
        event_id=_opt_ident(obj, "event_id"),
    )
    needed = {"assign": "team_id", "support": "team_id", "merge": "other_incident_id", "split": "report_id", "priority": "priority"}.get(kind)
    if needed is not None and getattr(command, needed) is None:
        raise RecordError(f"{needed}: missing (a {kind} command names it)", kind="missing_field")
    if kind == "priority" and command.reason is None:
        raise RecordError("reason: missing (a priority set by hand says why)", kind="missing_field")
    if kind == "assess" and not (command.add_flags or command.remove_flags or command.persons is not None):
        raise RecordError("an assess command adds or removes flags or sets persons", kind="missing_field")
    if command.by_team is not None and kind != "assess":
        raise RecordError(f"a team may only send assess commands, not {kind}", kind="forbidden")
    return command


def parse_tick(obj: dict[str, Any]) -> ClockTick:
    return ClockTick(at=_time(obj, "at"), source=_opt_ident(obj, "source") or "ticker")

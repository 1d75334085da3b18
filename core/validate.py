"""Checks shared by every reader of outside data: numbers, coordinates and plausible times.

Records, frame metadata, the city's layers and hand-edited TOML refuse the
same things (a boolean as a number, NaN, infinity, an integer too large for
a float, year 9999); each caller words the refusal for its own reader.
"""

from __future__ import annotations

import json
import math
import re
import typing
import unicodedata
from datetime import date
from typing import Any, TypeGuard

# Event times outside these years are typing or clock errors (year 0, 9999),
# and date arithmetic near datetime's limits would fail further down.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


class DuplicateKey(ValueError):
    """A JSON object naming `key` twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"an object names {key!r} twice")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads(object_pairs_hook=...)`: an object whose keys are each named once, else DuplicateKey. Python keeps a
    repeated key's last value, a person reading the file (or a proxy reading a body) the first: what one side checked
    could differ from what the other uses."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen.add(key)
    return dict(pairs)


_JSON_TOKEN = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|[{}\[\]]')


def duplicate_key_line(text: str) -> int | None:
    """The line where an object of a JSON text first names a key it already has (for the error of a hand-edited file)."""
    objects: list[set[str] | None] = []  # a set of keys per open object, None per open list
    for token in _JSON_TOKEN.finditer(text):
        if token.group(1) is not None:
            if token.group(2) and objects and (keys := objects[-1]) is not None:
                key = json.loads(token.group(1))
                if key in keys:
                    return text.count("\n", 0, token.start()) + 1
                keys.add(key)
        elif token.group() in "{[":
            objects.append(set() if token.group() == "{" else None)
        elif objects:
            objects.pop()
    return None


class NotFinite(ValueError):
    """A number that is no finite float; `too_large` for an integer beyond float range."""

    def __init__(self, too_large: bool) -> None:
        super().__init__("not finite (too large)" if too_large else "not finite")
        self.too_large = too_large


MAX_ID_LEN = 200  # an identifier (tip, team, help point...) records may carry
# An outcome code (taken_to_station, refused...): the policy's list holds these, the console refuses any other form.
# Matched whole (fullmatch): `$` let "refused\n" through.
OUTCOME_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


MAX_LABEL_CHARS = 80  # a short text shown as is on records (a team's name): the console's and the desk's limit


def id_problem(value: str) -> str | None:
    """Why `value` (stripped) cannot be an identifier a record names (records bound them and refuse control characters), else None."""
    if not value.strip():
        return "empty"
    if len(value) > MAX_ID_LEN:
        return f"longer than {MAX_ID_LEN} characters ({len(value)})"
    if not value.isprintable():
        return "contains control or invalid characters"
    return None


def plausible_year(at: date) -> bool:
    """Whether an event time (or a day) falls in EARLIEST_YEAR..LATEST_YEAR."""
    return EARLIEST_YEAR <= at.year <= LATEST_YEAR


def on_earth(lat: float, lon: float) -> bool:
    """Whether (lat, lon) are WGS-84 coordinates at all (not yet whether any city holds them)."""
    return -90 <= lat <= 90 and -180 <= lon <= 180


# A coordinate written as text: a hemisphere before or after (N, 北纬, E, 东经...), decimal degrees (a decimal
# comma too) or degrees with minutes and seconds (45°46'24.6"N, 45° 46.41').
_HEMISPHERES = {"n": ("lat", 1), "s": ("lat", -1), "e": ("lon", 1), "w": ("lon", -1),
                "北纬": ("lat", 1), "南纬": ("lat", -1), "东经": ("lon", 1), "西经": ("lon", -1)}
_HEMISPHERE = "|".join(sorted(_HEMISPHERES, key=len, reverse=True))
_COORDINATE = re.compile(
    rf"(?P<pre>{_HEMISPHERE})?\s*(?P<deg>\d{{1,3}}(?:[.,]\d+)?)\s*(?:°|度)?"
    r"(?:\s*(?P<min>\d{1,2}(?:[.,]\d+)?)\s*['′分](?:\s*(?P<sec>\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|′′|秒)?)?)?"
    rf"\s*(?P<post>{_HEMISPHERE})?",
    re.IGNORECASE,
)


class NotACoordinate(ValueError):
    """Text that is no latitude (or no longitude), with the reason."""


def coordinate_text(value: str, axis: str) -> float:
    """A latitude (`axis` "lat") or longitude ("lon") as phones and forms write one: "45.7735N", "N45.7735",
    "北纬45.7735", a decimal comma ("45,7735"), full width, degrees with minutes and seconds (45°46'24.6"N).

    S and W are negative; a hemisphere of the other axis ("126.6E" as a
    latitude: swapped?) and minutes or seconds of 60 or more are refused
    rather than guessed.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    found = _COORDINATE.fullmatch(text)
    if found is None or (found["pre"] and found["post"]):
        raise NotACoordinate(f"expected a number or a coordinate such as 45.7735N, got string {value!r:.40}")
    axis_of, sign = _HEMISPHERES.get((found["pre"] or found["post"] or "").lower(), (axis, 1))
    if axis_of != axis:
        raise NotACoordinate(f"{value!r:.40} names a {'latitude' if axis_of == 'lat' else 'longitude'} (lat and lon swapped?)")
    degrees, minutes, seconds = (float(p.replace(",", ".")) if p else 0.0 for p in (found["deg"], found["min"], found["sec"]))
    if minutes >= 60 or seconds >= 60:
        raise NotACoordinate(f"{value!r:.40} has minutes or seconds of 60 or more")
    return sign * (degrees + minutes / 60 + seconds / 3600)


# A latitude and a longitude written in free text ("45.7612, 126.6310", "北纬45.7735 东经126.6170",
# "N45°45'39.6\" E126°37'51.6\""): hemisphere words, and numbers with their degrees, minutes and seconds.
_PAIR_TOKEN = re.compile(
    r"(?P<hemi>北纬|南纬|东经|西经|(?<![a-z])[nsew](?![a-z]))"
    r"|(?<![\d.])(?P<neg>-)?(?P<deg>\d{1,3}(?:\.(?P<frac>\d+))?)(?![\d])\s*(?:°|度)?"
    r"(?:\s*(?P<min>\d{1,2}(?:\.\d+)?)\s*['′分](?:\s*(?P<sec>\d{1,2}(?:\.\d+)?)\s*(?:\"|″|''|′′|秒)?)?)?",
)
# The fewest decimals a bare number needs to be taken for a coordinate (45.76: about a kilometre).
_PAIR_MIN_DECIMALS = 2


def coordinates_in(text: str) -> tuple[float, float] | None:
    """The latitude and longitude a text writes, as a caller reads them off a phone into an address, else None.

    Exactly two coordinates: numbers with a hemisphere (N/S/E/W or 北纬/南纬/东经/西经, before or after),
    with minutes (45°46', 45度46分), or decimal degrees with at least two decimals; other numbers (a
    house number 12号, a temperature 零下30度 or -15 °C) are no coordinate. Without hemispheres the
    latitude comes first. Two of one axis, or minutes or seconds of 60 or more, is None; a pair that
    is no position on Earth (126.63, 45.76: swapped) is returned as written: whether a pair of plain
    numbers is a position at all is the caller's to judge (in its service area?). A decimal comma is
    not read here (the comma separates the two).
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    tokens = list(_PAIR_TOKEN.finditer(folded))
    found: list[tuple[re.Match[str], str | None]] = []
    used: set[int] = set()
    for i, token in enumerate(tokens):
        if token["deg"] is None:
            continue
        hemi = None
        for j in (i - 1, i + 1):  # the hemisphere word just before, else just after
            if 0 <= j < len(tokens) and j not in used and tokens[j]["hemi"] is not None and _adjacent(folded, tokens, min(i, j)):
                hemi = tokens[j]["hemi"]
                used.add(j)
                break
        if hemi or token["min"] or len(token["frac"] or "") >= _PAIR_MIN_DECIMALS:
            found.append((token, hemi))
    if len(found) != 2:
        return None
    named = [_HEMISPHERES[hemi][0] for _, hemi in found if hemi]
    values: dict[str, float] = {}
    for n, (token, hemi) in enumerate(found):
        if hemi:
            axis, sign = _HEMISPHERES[hemi]
        elif named:  # the other number is the other axis
            axis, sign = ("lon" if named[0] == "lat" else "lat"), 1
        else:  # as written: latitude first
            axis, sign = ("lat", "lon")[n], 1
        minutes, seconds = (float(token[g]) if token[g] else 0.0 for g in ("min", "sec"))
        if axis in values or minutes >= 60 or seconds >= 60:
            return None
        if token["neg"]:
            sign = -sign
        values[axis] = sign * (float(token["deg"]) + minutes / 60 + seconds / 3600)
    return values["lat"], values["lon"]


def _adjacent(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    """Whether tokens i and i + 1 are separated by nothing but spaces and colons."""
    return not text[tokens[i].end() : tokens[i + 1].start()].strip(" :：")


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for reasons a producer understands."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# A number written as text, as web forms send one ("45.77", "-3", "4.5e1").
NUMERIC_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def read_number(value: object) -> float | str:
    """A record's number as a finite float (a numeric string such as "45.77" too), or the reason it is none."""
    if isinstance(value, str) and NUMERIC_TEXT.fullmatch(value.strip()):
        value = float(value.strip())
    try:
        return finite(value)
    except TypeError:
        return f"expected a number, got {json_type(value)} {value!r:.40}"
    except NotFinite as exc:
        return "not a finite number" + (" (too large)" if exc.too_large else "")


def read_coordinate(value: object, axis: str) -> float | str:
    """A position's latitude (`axis` "lat") or longitude ("lon") as a float, or the reason it is none.

    A number, a numeric string ("45.77") or a coordinate's text as phones and
    forms write one (`coordinate_text`: "45.77N", "北纬45.77"). Intake refuses
    the record with the reason; routing to a centre reads the same and, with
    no number, routes by the record's other fields.
    """
    if isinstance(value, str) and not NUMERIC_TEXT.fullmatch(value.strip()):
        try:
            return coordinate_text(value, axis)
        except NotACoordinate as exc:
            return str(exc)
    return read_number(value)


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON or TOML number: an int or a float, never a bool (True is an int in Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def finite(value: object) -> float:
    """`value` as a finite float.

    Raises TypeError when it is no number (bools and numeric strings
    included) and `NotFinite` when it is NaN, infinite or too large.
    """
    if not is_number(value):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise NotFinite(too_large=True) from None
    if not math.isfinite(number):
        raise NotFinite(too_large=False)
    return number


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """Whether `finite(value)` would succeed."""
    try:
        finite(value)
    except (TypeError, ValueError):
        return False
    return True


def whole(value: object, lo: int, hi: int) -> int | None:
    """A whole number in lo..hi, else None; an integral float (640.0, as JSON writers emit) counts."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return None
    return value


_FIELD_HINTS: dict[type, dict[str, str]] = {}


def field_hints(record_type: type) -> dict[str, str]:
    """A record class's fields and their declared types, as text (`str`, `float | None`, `tuple[str, ...]`); read once
    per class (callers only read the dict)."""
    hints = _FIELD_HINTS.get(record_type)
    if hints is None:
        hints = _FIELD_HINTS[record_type] = {name: hint.__name__ if isinstance(hint, type) else str(hint)
                                             for name, hint in typing.get_type_hints(record_type).items()}
    return hints


# What mistyped_field checks of a field, by its declared type: a plan per hints dict, made once. The check runs on
# every record a reader takes, and matching each hint's text at each call cost as much as the checks themselves.
_STR, _TUPLE_STR, _TUPLE_DICT, _INT, _FLOAT = range(5)
_PLANS: dict[int, tuple[dict[str, str], tuple[tuple[str, str, int, bool], ...]]] = {}


def _plan(hints: dict[str, str]) -> tuple[tuple[str, str, int, bool], ...]:
    """(name, hint, kind, None allowed) for each field of `hints` that mistyped_field checks, in their order."""
    cached = _PLANS.get(id(hints))
    if cached is not None and cached[0] is hints:
        return cached[1]
    plan: list[tuple[str, str, int, bool]] = []
    for name, hint in hints.items():
        if hint.startswith("tuple"):
            kind = _TUPLE_DICT if hint.startswith("tuple[dict") else _TUPLE_STR
        elif hint.startswith("int"):
            kind = _INT
        elif hint.startswith("float"):
            kind = _FLOAT
        elif hint.startswith("str"):
            kind = _STR
        else:
            continue
        plan.append((name, hint, kind, "None" in hint))
    _PLANS[id(hints)] = (hints, tuple(plan))  # the dict is kept with its plan, so its id is never another's
    return tuple(plan)


def mistyped_field(record: object, hints: dict[str, str]) -> tuple[str, str, Any] | None:
    """The first field of a decoded record whose value is not of its declared type: (name, hint, value), or None.

    A record decoded without per-field parsing (a trusted topic any producer can
    write) keeps whatever JSON gave it; a revision "x", a channel 5 or flags "abc"
    stored in state break every later record that meets them. Tuples hold strings
    (dicts for `tuple[dict`), numbers are finite (ints whole), None only where the
    type allows it; times and nested records are their decoder's to check.
    """
    for name, hint, kind, nullable in _plan(hints):
        value = getattr(record, name)
        if value is None and nullable:
            continue
        if kind == _STR:
            ok = isinstance(value, str)
        elif kind == _TUPLE_STR or kind == _TUPLE_DICT:
            item = dict if kind == _TUPLE_DICT else str
            ok = isinstance(value, tuple) and (not value or all(isinstance(v, item) for v in value))
        elif type(value) is float:  # most numbers: finite() without its calls (a float is a number and fits a float)
            ok = kind == _FLOAT and math.isfinite(value)
        elif type(value) is int:  # an int is whole and finite unless too large for a float, as finite() finds
            try:
                ok = math.isfinite(float(value))
            except OverflowError:
                ok = False
        else:
            ok = is_finite_number(value) and (kind == _FLOAT or isinstance(value, int))
        if not ok:
            return name, hint, value
    return None

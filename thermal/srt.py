"""DJI flight telemetry from a video's `.SRT` subtitle file, one record per subtitle.

DJI drones write the telemetry of every video frame (or every second on older
models) as a subtitle next to the video. The layout differs by model:

- Mavic 3 / 3E / 3T, M30T, Mini 3/4, Air 3:
  `FrameCnt: 12, DiffTime: 33ms` / `2023-03-05 18:37:44.096` /
  `[iso: 100] ... [latitude: 47.37] [longitude: 8.54] [rel_alt: 43.2 abs_alt: 452.6]`
  and on enterprise thermal models `[gb_yaw: 12.3 gb_pitch: -45.0 gb_roll: 0.0]`;
- Mavic 2 Enterprise, Mini 2, Air 2: `SrtCnt : 1, DiffTime : 1000ms` /
  `2021-03-23 17:22:29,417,066` / `[iso : 110] ... [latitude : 22.67] [longtitude : 114.04] [altitude: 18.2]`
  (spaces before the colon, and DJI's own spelling "longtitude");
- Phantom 3/4: `HOME(149.0251,-20.2532) 2017.08.05 14:11:51` / `GPS(149.0251,-20.2533,16) BAROMETER:1.9`
  (longitude first; the third GPS number is the satellite count), on older firmware `2017.8.5 14:11:51` and
  `GPS(149.0251,-20.2533,16) Hb:1.9 Hs:1.9`;
- Matrice 300: `2022.06.21 16:06:17` / `GPS(36.6146,-6.1120,0.0M) BAROMETER:0.3M` (latitude first, the third
  number in metres with an `M`: DJI_SRT_Parser reads it so, and Cádiz lies at 36.6 N, 6.1 W);
- Phantom 4 Pro/RTK, Mavic Mini: one line `F/5.6, SS 400, ISO 100, EV 0, GPS (-58.85, -34.23, 15), ... H 85.80m,
  ... F.PRY (2.7°, -7.0°, 110.1°), G.PRY (-24.4°, 0.0°, 110.4°)` (a space before the parenthesis, height above
  take-off as `H`, the aircraft's and the gimbal's pitch, roll and yaw; no date).

What a file lacks (gimbal angles on consumer models, the field of view
everywhere) comes from the flight sidecar; see `thermal.video.frame_meta`.
A malformed block is refused with its line number (TelemetryError), never
skipped: a wrong position would put a person in the wrong street.
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.errors import FrameError
from core.files import utf16_encoding
from core.validate import EARLIEST_YEAR, LATEST_YEAR, plausible_year

# ASCII digits of bounded length: `\d` also takes other scripts' digits, and int() refuses a number over 4300 digits.
_TIMING = re.compile(r"^([0-9]{1,6}):([0-9]{2}):([0-9]{2})[,.]([0-9]{1,3})\s*-->\s*([0-9]{1,6}):([0-9]{2}):([0-9]{2})[,.]([0-9]{1,3})$")
# Bounded repeats in every pattern that looks for a closing character: `[^)]*` scanned to the line's end from each
# `GPS(` of a line without one, 10 000 of them (40 kB) held the parser 4.6 s, 40 000 of them 77 s.
_TAG = re.compile(r"<[^<>]{0,200}>")
_DATE = re.compile(r"([0-9]{4})[-.]([0-9]{1,2})[-.]([0-9]{1,2})\s+([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]{1,3}))?(?:[.,][0-9]+)?")
_INDEX = re.compile(r"[0-9]{1,9}")
# A number as DJI writes one, ASCII digits only: float() also reads "4_7" as 47 and "４７" (full width) as 47.
_NUMBER = re.compile(r"[-+]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")
_BRACKET = re.compile(r"\[([^\[\]]{0,200})\]")
_PAIR = re.compile(r"(?<![A-Za-z_])([A-Za-z_]+)\s*:\s*([^\s\]]+)")
_COUNT = re.compile(r"(?:FrameCnt|SrtCnt)\s*:\s*([0-9]{1,9})")
# GPS(lon, lat, satellites) on the Phantom 3/4 and Mavic Pro, `GPS (lon, lat, satellites)` with a space on the
# Phantom 4 Pro/RTK and Mavic Mini; G.PRY/F.PRY (pitch, roll, yaw in degrees, "°" after each) of the gimbal and
# the aircraft on the Phantom 4 Pro/RTK.
_GPS = re.compile(r"\bGPS\s*\(([^()]{0,100})\)")
_PRY = re.compile(r"\b([GF])\.PRY\s*\(([^()]{0,100})\)")
_BARO = re.compile(r"(?:BAROMETER|\bHb)\s*:\s*([-+0-9.]+)")  # Hb: the barometric height of older Phantom firmware
_HEIGHT = re.compile(r"\bH\s+([-+0-9.]+)\s*m\b")
# keys as DJI spells them -> our field
_KEYS = {
    "latitude": "lat", "longitude": "lon", "longtitude": "lon",
    "rel_alt": "rel_alt", "altitude": "rel_alt", "abs_alt": "abs_alt",
    "gb_yaw": "gb_yaw", "gb_pitch": "gb_pitch", "gb_roll": "gb_roll",
    "drone_yaw": "drone_yaw", "focal_len": "focal_len",
}
_RANGES = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0), "rel_alt": (-500.0, 10_000.0),
           "abs_alt": (-500.0, 10_000.0), "gb_yaw": (-360.0, 360.0), "gb_pitch": (-180.0, 180.0),
           "gb_roll": (-180.0, 180.0), "drone_yaw": (-360.0, 360.0), "focal_len": (0.0, 10_000.0)}


# What a DJI SRT holds at most: its lines (tags included) are a few hundred characters, and an hour of
# video at 60 frames a second is 216 000 subtitles. A 10 MB line cost the parser seconds, a million subtitles of an SRT
# within MAX_SRT_BYTES 35 s and 880 MB; each is refused by its line.
MAX_LINE_CHARS = 4096
MAX_SUBTITLES = 400_000

# A subtitle still holds this long after it ends: DJI writes one per video frame, older models one a
# second; a frame later than that has no telemetry of its own.
TELEMETRY_STALE_S = 1.0


class TelemetryError(FrameError):
    """An SRT file is malformed; the message names the line."""

    def __init__(self, line: int, reason: str, source: str = "SRT") -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.line = line


@dataclass(frozen=True)
class Telemetry:
    """One subtitle's telemetry: when (offset into the video and clock time) and where."""

    index: int
    start_s: float
    end_s: float
    line: int
    frame_count: int | None = None
    clock: datetime | None = None  # the drone's clock (local time unless the sidecar says otherwise)
    lat: float | None = None
    lon: float | None = None
    rel_alt: float | None = None  # metres above the take-off point
    abs_alt: float | None = None
    gb_yaw: float | None = None
    gb_pitch: float | None = None
    gb_roll: float | None = None
    drone_yaw: float | None = None
    focal_len: float | None = None

    @property
    def has_fix(self) -> bool:
        """A position that means something (0, 0 is a receiver without a fix)."""
        return self.lat is not None and self.lon is not None and (self.lat, self.lon) != (0.0, 0.0)


def _seconds(groups: tuple[str, ...]) -> float:
    h, m, s, ms = groups
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000.0


def _clock(text: str, line: int, source: str) -> datetime | None:
    found = _DATE.search(text)
    if not found:
        return None
    y, mo, d, h, mi, s, ms = found.groups()
    try:
        clock = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), int((ms or "0").ljust(3, "0")) * 1000)
    except ValueError as exc:
        raise TelemetryError(line, f"bad date {found.group(0)!r}: {exc}", source) from exc
    if not plausible_year(clock):  # year 1 less the drone's UTC offset overflowed (a traceback, not the line)
        raise TelemetryError(line, f"implausible date {found.group(0)!r} (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})", source)
    return clock


def _values(lines: list[tuple[int, str]], source: str) -> tuple[dict[str, float], dict[str, int]]:
    """Numbers of one block by field, from [key: value] pairs and the Phantom layout, and the
    line each came from."""
    out: dict[str, float] = {}
    where: dict[str, int] = {}

    def put(field: str, raw: str, line: int) -> None:
        text = raw.rstrip(",")
        if text.lower() in ("nan", "inf", "+inf", "-inf", "infinity"):
            value = float(text)  # refused by the range below, which names it
        elif _NUMBER.fullmatch(text):
            value = float(text)
        else:
            raise TelemetryError(line, f"{field}: {raw[:40]!r} is not a number", source)
        lo, hi = _RANGES[field]
        if not lo <= value <= hi:
            raise TelemetryError(line, f"{field}={value} outside [{lo:g}, {hi:g}]", source)
        out[field] = value
        where[field] = line

    for n, text in lines:
        for bracket in _BRACKET.findall(text):
            for key, raw in _PAIR.findall(bracket):
                field = _KEYS.get(key.lower())
                if field:
                    put(field, raw, n)
        gps = _GPS.search(text)
        if gps:  # Phantom: GPS(longitude, latitude, satellites)
            parts = [p.strip() for p in gps.group(1).split(",")]
            # a third number is the satellite count; a Matrice 300 writes GPS(latitude, longitude, 0.0M), latitude first
            lat_first = len(parts) == 3 and re.fullmatch(r"[-+]?[0-9.]{1,12}\s*M", parts[2]) is not None
            if len(parts) not in (2, 3) or not all(parts[:2]) or not (
                    lat_first or all(re.fullmatch(r"[0-9]{1,3}", x) for x in parts[2:])):
                raise TelemetryError(n, "malformed GPS(longitude, latitude, satellites)", source)
            order = (("lat", parts[0]), ("lon", parts[1])) if lat_first else (("lon", parts[0]), ("lat", parts[1]))
            for field, raw in order:
                if raw.lower() != "n/a":  # GPS(N/A,N/A,3): no fix yet, no position
                    put(field, raw, n)
        elif re.search(r"\bGPS\s*\(", text):
            raise TelemetryError(n, "malformed GPS(longitude, latitude, satellites)", source)
        for pry in _PRY.finditer(text):  # (pitch, roll, yaw)
            angles = [a.strip().rstrip("°Â").strip() for a in pry.group(2).split(",")]
            if len(angles) != 3:
                raise TelemetryError(n, f"malformed {pry.group(1)}.PRY(pitch, roll, yaw)", source)
            if pry.group(1) == "G":
                for field, raw in zip(("gb_pitch", "gb_roll", "gb_yaw"), angles, strict=True):
                    put(field, raw, n)
            else:
                put("drone_yaw", angles[2], n)
        for pattern in (_BARO, _HEIGHT):
            found = pattern.search(text)
            if found:
                put("rel_alt", found.group(1), n)
    return out, where


def _block(rows: list[tuple[int, str]], source: str) -> Telemetry:
    first_line, head = rows[0]
    if not _INDEX.fullmatch(head.strip()):  # isdigit() took "²", which int() refuses
        raise TelemetryError(first_line, f"expected a subtitle number, got {head.strip()[:40]!r}", source)
    if len(rows) < 3:
        raise TelemetryError(first_line, "subtitle without timing or text", source)
    timing_line, timing = rows[1]
    found = _TIMING.match(timing.strip())
    if not found:
        raise TelemetryError(timing_line, f"expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', got {timing.strip()[:40]!r}",
                             source)
    start, end = _seconds(found.groups()[:4]), _seconds(found.groups()[4:])
    if end < start:
        raise TelemetryError(timing_line, "subtitle ends before it starts", source)
    body = [(n, _TAG.sub(" ", text)) for n, text in rows[2:]]
    count = next((int(m.group(1)) for _, t in body if (m := _COUNT.search(t))), None)
    clock = next((c for n, t in body if (c := _clock(t, n, source)) is not None), None)
    values, where = _values(body, source)
    if ("lat" in values) != ("lon" in values):
        raise TelemetryError(where.get("lat", where.get("lon", first_line)),
                             "latitude without longitude (or the reverse)", source)
    return Telemetry(index=int(head), start_s=start, end_s=end, line=first_line, frame_count=count, clock=clock,
                     **values)


def decode_srt(data: bytes, source: str = "SRT") -> str:
    """An SRT file's text: UTF-8 as DJI writes it (a byte-order mark or CRLF changes nothing), UTF-16 with or without
    a byte-order mark (a Windows editor's "Unicode"; read as UTF-8 it was refused at line 1 as `'1\\x00'`, naming no
    cause). NULs padding the file's end (a card's last block) are dropped; a NUL inside the text is a TelemetryError
    naming its line (a damaged file: a NUL in a line that is no value was skipped without a word)."""
    data = data.rstrip(b"\x00")  # the end's padding; put back below the NUL high byte of UTF-16-LE's last character
    encoding = utf16_encoding(data) or "utf-8-sig"
    if encoding.startswith("utf-16") and len(data) % 2:
        data += b"\x00"
    # A byte that is no text becomes U+FFFD: in a value the line is refused as no number, elsewhere it changes nothing.
    text = data.decode(encoding, errors="replace")
    if (nul := text.find("\x00")) >= 0:
        raise TelemetryError(text.count("\n", 0, nul) + 1, "NUL character inside the text (a damaged or binary file)", source)
    return text


def _blocks(text: str, source: str) -> Iterator[list[tuple[int, str]]]:
    """The non-blank lines of each subtitle with their numbers, read a line at a time (no list of every line)."""
    current: list[tuple[int, str]] = []
    for n, line in enumerate(io.StringIO(text, newline=None), start=1):  # \n, \r\n and \r end a line
        line = line.rstrip("\n")
        if len(line) > MAX_LINE_CHARS:
            raise TelemetryError(n, f"line of {len(line)} characters (a DJI subtitle line has at most "
                                    f"{MAX_LINE_CHARS})", source)
        if line.strip():
            current.append((n, line.rstrip()))
        elif current:
            yield current
            current = []
    if current:
        yield current


def parse_srt(text: str, source: str = "SRT") -> list[Telemetry]:
    """All subtitles of a DJI SRT file, in file order; TelemetryError names the line of the first bad one."""
    out: list[Telemetry] = []
    for block in _blocks(text.lstrip("\ufeff"), source):
        if len(out) == MAX_SUBTITLES:
            raise TelemetryError(block[0][0], f"more than {MAX_SUBTITLES} subtitles (an hour of video at 60 frames "
                                              "a second has 216 000)", source)
        cur = _block(block, source)
        if out and cur.start_s < out[-1].start_s:
            raise TelemetryError(cur.line, f"subtitle {cur.index} starts before subtitle {out[-1].index}", source)
        out.append(cur)
    if not out:
        raise TelemetryError(1, "no subtitles (empty file)", source)
    return out


def at_offset(records: list[Telemetry], t_s: float) -> Telemetry | None:
    """The subtitle shown at `t_s` seconds into the video (the last one started), None before the first.

    None too more than TELEMETRY_STALE_S after that subtitle ended: an SRT cut short or missing a
    stretch gave every later frame the last position it held, wherever the drone had flown since.
    """
    i = bisect.bisect_right(records, t_s + 1e-6, key=lambda r: r.start_s)  # subtitles are sorted by start
    found = records[i - 1] if i else None
    if found is not None and t_s > found.end_s + TELEMETRY_STALE_S:
        return None
    return found


def to_utc(clock: datetime, utc_offset_h: float) -> datetime:
    """The drone's naive local clock as UTC, given its offset from UTC in hours."""
    return (clock - timedelta(hours=utc_offset_h)).replace(tzinfo=UTC)

"""DJI SRT telemetry in the layouts of several models; malformed files named by line."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from core.errors import FrameError
from thermal import srt
from thermal.srt import Telemetry, TelemetryError, at_offset, decode_srt, parse_srt
from thermal.video import frame_meta

M3T = """1
00:00:00,000 --> 00:00:00,033
<font size="28">FrameCnt: 1, DiffTime: 33ms
2024-01-18 21:14:03.412
[iso: 0] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [color_md: default] [focal_len: 40.00] [latitude: 59.913912] [longitude: 10.752245] [rel_alt: 60.021 abs_alt: 112.395] [gb_yaw: 12.3 gb_pitch: -45.0 gb_roll: 0.0] </font>

2
00:00:00,033 --> 00:00:00,066
<font size="28">FrameCnt: 2, DiffTime: 33ms
2024-01-18 21:14:03.445
[iso: 0] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [color_md: default] [focal_len: 40.00] [latitude: 59.913915] [longitude: 10.752251] [rel_alt: 60.030 abs_alt: 112.404] [gb_yaw: 12.4 gb_pitch: -45.1 gb_roll: 0.1] </font>
"""

M30T = """1
00:00:00,000 --> 00:00:00,033
<font size="28">FrameCnt: 1, DiffTime: 33ms
2023-05-10 21:15:03.412
[iso: 0] [shutter: 1/30.0] [fnum: 1.0] [ev: 0] [focal_len: 40.00] [dzoom: 1.00] [latitude: 22.579921] [longitude: 113.938312] [rel_alt: 43.004 abs_alt: 95.377] [drone_speedx: 0.0 drone_speedy: 0.0 drone_speedz: 0.0] [drone_yaw: 88.1 drone_pitch: -1.0 drone_roll: 0.2] [gb_yaw: 88.0 gb_pitch: -90.0 gb_roll: 0.0] </font>
"""

# Mavic 2 Enterprise / Mini 2 / Air 2: spaces before colons, "longtitude", "altitude", SrtCnt, comma milliseconds
M2EA = """1
00:00:00,000 --> 00:00:01,000
<font size="36">SrtCnt : 1, DiffTime : 1000ms
2021-03-23 17:22:29,417,066
[iso : 110] [shutter : 1/200.0] [fnum : 280] [ev : 0] [ct : 5064] [color_md : default] [focal_len : 240] [latitude : 46.800102] [longtitude : 7.180108] [altitude: 60.400000] </font>

2
00:00:01,000 --> 00:00:02,000
<font size="36">SrtCnt : 2, DiffTime : 1000ms
2021-03-23 17:22:30,417,066
[iso : 110] [shutter : 1/200.0] [fnum : 280] [ev : 0] [ct : 5064] [color_md : default] [focal_len : 240] [latitude : 46.800150] [longtitude : 7.180160] [altitude: 60.500000] </font>
"""

MINI = """1
00:00:00,000 --> 00:00:00,033
<font size="28">FrameCnt: 1, DiffTime: 33ms
2023-11-02 18:01:12.004
[iso: 3200] [shutter: 1/30.0] [fnum: 1.7] [ev: 0] [color_md: default] [focal_len: 24.00] [latitude: 48.137154] [longitude: 11.576124] [rel_alt: 35.800 abs_alt: 556.210] [ct: 5500] </font>
"""

PHANTOM = """1
00:00:00,000 --> 00:00:01,000
HOME(149.0251,-20.2532) 2017.08.05 14:11:51
GPS(149.0253,-20.2534,16) BAROMETER:31.9
ISO:100 Shutter:60 EV:0 Fnum:2.2

2
00:00:01,000 --> 00:00:02,000
HOME(149.0251,-20.2532) 2017.08.05 14:11:52
GPS(149.0254,-20.2535,16) BAROMETER:32.1
ISO:100 Shutter:60 EV:0 Fnum:2.2
"""

# Real files, first subtitles, from github.com/JuanIrache/DJI_SRT_Parser samples/ (p4_rtk.SRT, p4p_sample.SRT,
# mavic_mini.SRT): one line, "GPS (longitude, latitude, satellites)" with a space, height as "H 85.80m", and on the
# Phantom 4 RTK the gimbal's and the aircraft's (pitch, roll, yaw) in degrees as G.PRY and F.PRY.
P4_RTK = """1
00:00:00,000 --> 00:00:01,000
F/5.6, SS 400, ISO 100, EV 0, GPS (-58.851745, -34.237922, 15), HOME (-58.847509, -34.232707, -57.98m), D 698.70m, H 85.80m, H.S 0.00m/s, V.S 0.00m/s, F.PRY (2.7°, -7.0°, 110.1°), G.PRY (-24.4°, 0.0°, 110.4°)

2
00:00:01,000 --> 00:00:02,000
F/5.6, SS 400, ISO 100, EV 0, GPS (-58.851740, -34.237911, 15), HOME (-58.847509, -34.232707, -57.98m), D 697.41m, H 85.83m, H.S 2.88m/s, V.S 0.00m/s, F.PRY (3.0°, -19.9°, 110.3°), G.PRY (-24.4°, 0.0°, 110.5°)
"""

P4P = """1
00:00:00,000 --> 00:00:01,000
F/3.2, SS 160, ISO 100, EV 0, GPS (8.2090, 47.4692, 18), D 49.21m, H 45.60m, H.S 0.00m/s, V.S 0.00m/s


"""

MAVIC_MINI = """1
00:00:00,000 --> 00:00:01,000
F/2.8, SS 30.15, ISO 260, EV -1.7, GPS (-121.7458, 48.0771, 17), D 221.21m, H 200.70m, H.S n/a, V.S n/a
"""

# Matrice 300 RTK (JuanIrache/DJI_SRT_Parser samples/matrice_300.srt, CRLF as written): latitude first when the third
# number carries the unit M (the parser reads it so; the flight is at Cadiz, 36.6 N 6.1 W), height as BAROMETER:...M.
M300 = ("1\r\n00:00:00,000 --> 00:00:01,000\r\n2022.06.21 16:06:17\r\nGPS(36.6146,-6.1120,0.0M) BAROMETER:0.3M\r\n\r\n"
        "2\r\n00:00:01,000 --> 00:00:02,000\r\n2022.06.21 16:06:18\r\nGPS(36.6146,-6.1120,0.0M) BAROMETER:0.3M\r\n\r\n"
        "60\r\n00:00:59,000 --> 00:00:60,000\r\n2022.06.21 16:07:16\r\nGPS(36.6153,-6.1130,0.0M) BAROMETER:83.8M\r\n")


def test_mavic3_thermal_gives_position_altitude_and_gimbal() -> None:
    recs = parse_srt(M3T)
    assert [r.frame_count for r in recs] == [1, 2]
    r = recs[0]
    assert (r.lat, r.lon, r.rel_alt, r.abs_alt) == (59.913912, 10.752245, 60.021, 112.395)
    assert (r.gb_yaw, r.gb_pitch, r.gb_roll) == (12.3, -45.0, 0.0)
    assert r.clock == datetime(2024, 1, 18, 21, 14, 3, 412000)
    assert recs[1].start_s == pytest.approx(0.033)


def test_m30t_gimbal_and_drone_yaw() -> None:
    (r,) = parse_srt(M30T)
    assert r.gb_pitch == -90.0 and r.gb_yaw == 88.0 and r.drone_yaw == 88.1 and r.rel_alt == 43.004


def test_mavic2_enterprise_spaces_misspelling_and_microseconds() -> None:
    recs = parse_srt(M2EA)
    assert recs[0].lon == 7.180108 and recs[0].lat == 46.800102
    assert recs[0].rel_alt == 60.4 and recs[0].gb_pitch is None
    assert recs[0].clock == datetime(2021, 3, 23, 17, 22, 29, 417000)
    assert recs[1].frame_count == 2


def test_mini_style_has_no_gimbal() -> None:
    (r,) = parse_srt(MINI)
    assert r.gb_pitch is None and r.gb_yaw is None and r.rel_alt == 35.8 and r.has_fix


def test_phantom_gps_is_longitude_first() -> None:
    recs = parse_srt(PHANTOM)
    assert (recs[0].lat, recs[0].lon) == (-20.2534, 149.0253)
    assert recs[1].rel_alt == 32.1
    assert recs[0].clock == datetime(2017, 8, 5, 14, 11, 51)


def test_phantom4_pro_rtk_and_mavic_mini_one_line_layout() -> None:
    """`GPS (` with a space was not read: the position was lost and the frame took the sidecar's, or none."""
    first, second = parse_srt(P4_RTK)
    assert (first.lat, first.lon, first.rel_alt) == (-34.237922, -58.851745, 85.8)
    assert (first.gb_pitch, first.gb_roll, first.gb_yaw, first.drone_yaw) == (-24.4, 0.0, 110.4, 110.1)
    assert (second.lat, second.lon, second.gb_yaw) == (-34.237911, -58.85174, 110.5)
    assert first.clock is None  # no date on this layout: the sidecar's captured_at dates the frames
    (p4p,) = parse_srt(P4P)
    assert (p4p.lat, p4p.lon, p4p.rel_alt, p4p.gb_pitch) == (47.4692, 8.209, 45.6, None)
    (mini,) = parse_srt(MAVIC_MINI)
    assert (mini.lat, mini.lon, mini.rel_alt) == (48.0771, -121.7458, 200.7)


def test_phantom_without_a_fix_has_no_position() -> None:
    """A Mavic Pro writes GPS(N/A,N/A,3) while it has no fix (JuanIrache/DJI_SRT_Parser samples/mavic_pro_buggy.SRT,
    subtitle 15): the whole video was refused as malformed; that subtitle has no position, the others theirs."""
    text = PHANTOM.replace("GPS(149.0254,-20.2535,16)", "GPS(N/A,N/A,3)")
    first, second = parse_srt(text)
    assert first.has_fix and (second.lat, second.lon, second.has_fix) == (None, None, False)
    assert second.rel_alt == 32.1


def test_matrice_300_gps_is_latitude_first() -> None:
    """GPS(36.6146,-6.1120,0.0M) was refused as malformed (the whole video); read longitude first it would be in Tanzania."""
    first, _, last = parse_srt(M300)
    assert (first.lat, first.lon, first.rel_alt) == (36.6146, -6.112, 0.3)
    assert first.clock == datetime(2022, 6, 21, 16, 6, 17)
    assert (last.lat, last.lon, last.rel_alt, last.end_s) == (36.6153, -6.113, 83.8, 60.0)  # DJI's "00:00:60,000"


def test_older_phantom_firmware_date_without_zeros_and_hb() -> None:
    """JuanIrache/DJI_SRT_Parser samples/old_format.SRT: `2017.8.5` had no clock and `Hb:` no altitude."""
    text = ("1\n00:00:01,000 --> 00:00:02,000\nHOME(149.0251,-20.2532) 2017.8.5 14:11:51\n"
            "GPS(149.0251,-20.2533,16) Hb:1.9 Hs:1.9\nISO:100 TV:60 EV: 0 IR:F2.8\n")
    (r,) = parse_srt(text)
    assert (r.clock, r.lat, r.lon, r.rel_alt) == (datetime(2017, 8, 5, 14, 11, 51), -20.2533, 149.0251, 1.9)


def test_subtitle_at_a_video_offset() -> None:
    recs = parse_srt(M2EA)
    assert at_offset(recs, 0.5) is recs[0]
    assert at_offset(recs, 1.5) is recs[1]
    assert at_offset(recs, 2.5) is recs[1]  # within a subtitle's length of the last one's end


def test_no_subtitle_is_shown_past_the_telemetry() -> None:
    """An SRT cut short (the card full, a copy interrupted) or with a stretch missing gave every later frame the last
    position it held: a drone flying on at 10 m/s put the people it saw a kilometre behind, in another street."""
    recs = parse_srt(M2EA)
    assert at_offset(recs, 3.5) is None and at_offset(recs, 99.0) is None
    gap = M2EA.replace("00:00:01,000 --> 00:00:02,000", "00:01:00,000 --> 00:01:01,000")
    recs = parse_srt(gap)
    assert at_offset(recs, 1.5) is recs[0] and at_offset(recs, 30.0) is None and at_offset(recs, 60.5) is recs[1]


@pytest.mark.parametrize(("text", "line", "words"), [
    (M3T.replace("00:00:00,033 --> 00:00:00,066", "00:00:00,033 -> 00:00:00,066"), 8, "HH:MM:SS"),
    (M3T.replace("[latitude: 59.913915]", "[latitude: 99.913915]"), 11, "lat=99.913915 outside"),
    (M3T.replace("[longitude: 10.752251]", "[longitude: 10.75x]"), 11, "is not a number"),
    (M3T.replace("\n2\n", "\ntwo\n"), 7, "subtitle number"),
    (M2EA.replace("[longtitude : 7.180108]", ""), 5, "latitude without longitude"),
    (PHANTOM.replace("GPS(149.0253,-20.2534,16)", "GPS(149.0253;-20.2534)"), 4, "malformed GPS"),
    (P4P.replace("GPS (8.2090, 47.4692, 18)", "GPS (8.2090 47.4692)"), 3, "malformed GPS"),
    (PHANTOM.replace("GPS(149.0254,-20.2535,16)", "GPS(N/A,-20.2535,16)"), 10, "latitude without longitude"),
    (P4_RTK.replace("G.PRY (-24.4°, 0.0°, 110.4°)", "G.PRY (-24.4°, 110.4°)"), 3, "malformed G.PRY"),
    (P4_RTK.replace("G.PRY (-24.4°, 0.0°, 110.4°)", "G.PRY (-24.4°, 0.0°, 999.0°)"), 3, "gb_yaw=999.0 outside"),
    (M3T.replace("2024-01-18 21:14:03.412", "2024-13-18 21:14:03.412"), 4, "bad date"),
    ("", 1, "empty"),
])
def test_malformed_srt_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TelemetryError) as exc:
        parse_srt(text, "flight.SRT")
    assert exc.value.line == line
    assert f"flight.SRT:{line}:" in exc.value.reason and words in exc.value.reason


def test_frame_meta_takes_srt_first_and_the_sidecar_for_the_rest() -> None:
    (mini,) = parse_srt(MINI)
    sidecar = {"camera_id": "mini-1", "hfov_deg": 40.0, "pitch_deg": -60.0, "yaw_deg": 30.0,
               "srt_utc_offset_h": 1, "polarity": "black-hot"}
    meta = frame_meta(sidecar, mini, 0.0, 640, 512)
    assert (meta.lat, meta.lon, meta.alt_m) == (48.137154, 11.576124, 35.8)
    assert (meta.pitch_deg, meta.yaw_deg, meta.hfov_deg, meta.polarity) == (-60.0, 30.0, 40.0, "black-hot")
    assert meta.captured_at == datetime(2023, 11, 2, 17, 1, 12, 4000, tzinfo=UTC)
    (m30,) = parse_srt(M30T)
    meta = frame_meta(sidecar, m30, 0.0, 640, 512)
    assert (meta.pitch_deg, meta.yaw_deg) == (-90.0, 88.0)  # the gimbal's own angles win
    # without a clock in the SRT the sidecar's start time plus the offset
    no_srt = frame_meta({**sidecar, "captured_at": "2025-01-01T00:00:00Z", "lat": 48.1, "lon": 11.5, "alt_m": 40},
                        None, 2.5, 640, 512)
    assert no_srt.captured_at == datetime(2025, 1, 1, 0, 0, 2, 500000, tzinfo=UTC)
    with pytest.raises(FrameError, match="hfov_deg or fx"):
        frame_meta({"camera_id": "x", "pitch_deg": -60.0, "yaw_deg": 0.0}, mini, 0.0, 640, 512)


def test_hostile_numbers_and_dates_name_their_line() -> None:
    # A superscript subtitle number ("²".isdigit() is true, int() refuses it), numbers over int()'s 4300 digits, and a drone
    # clock in year 1 (less its UTC offset: out of datetime's range) escaped as ValueError/OverflowError: `patrol detect` died.
    block = "1\n00:00:00,000 --> 00:00:01,000\nFrameCnt: 1\n2025-01-15 03:00:00.000\n[latitude: 45.7] [longitude: 126.6]\n"
    hostile = {
        "²": block.replace("1\n00:", "²\n00:", 1),
        "long index": block.replace("1\n00:", "1" * 5000 + "\n00:", 1),
        "long hours": block.replace("00:00:00,000 -->", "9" * 5000 + ":00:00,000 -->"),
        "year 1": block.replace("2025-01-15", "0001-01-01"),
    }
    for name, text in hostile.items():
        with pytest.raises(TelemetryError) as refused:
            parse_srt(text, "DJI_0001.SRT")
        assert refused.value.reason.startswith("DJI_0001.SRT:"), name
    counted = parse_srt(block.replace("FrameCnt: 1", "FrameCnt: " + "9" * 4000), "DJI_0001.SRT")
    assert counted[0].frame_count == 999_999_999  # a frame count is informational: its first digits
    with pytest.raises(TelemetryError, match=r"DJI_0001.SRT:3: line of 5010 characters"):  # no DJI line is that long
        parse_srt(block.replace("FrameCnt: 1", "FrameCnt: " + "9" * 5000), "DJI_0001.SRT")


def test_a_sidecar_start_time_that_cannot_be_used_is_a_frame_error() -> None:
    # Without an SRT clock the sidecar's captured_at dates the frames: no offset or a number raised RecordError (which
    # `patrol detect` does not catch per video: the run stopped without naming it), year 9999 overflowed with the offset.
    sidecar = {"camera_id": "m3t-1", "hfov_deg": 40.0, "lat": 45.76, "lon": 126.63, "alt_m": 60.0, "yaw_deg": 0.0, "pitch_deg": -90.0}
    for start in ("2026-01-01T00:00:00", 123, "9999-12-31T23:59:59+00:00"):
        with pytest.raises(FrameError) as refused:
            frame_meta({**sidecar, "captured_at": start}, None, 5.0, 640, 512)
        assert "captured_at" in refused.value.reason


@pytest.mark.parametrize("offset_s", [3e11, 1e20])
def test_a_frame_offset_past_any_date_is_a_frame_error(offset_s: float) -> None:
    # A video whose container lies about its frame rate (1e-10 fps) puts its second frame centuries after the sidecar's
    # start: adding the offset overflowed (OverflowError), a traceback that stopped `patrol detect` instead of a skipped frame.
    sidecar = {"camera_id": "mini-1", "hfov_deg": 40.0, "pitch_deg": -60.0, "yaw_deg": 30.0, "lat": 48.1, "lon": 11.5, "alt_m": 40,
               "captured_at": "2025-01-01T00:00:00Z"}
    with pytest.raises(FrameError, match="frame rate"):
        frame_meta(sidecar, None, offset_s, 640, 512)


def test_a_line_no_drone_writes_is_refused_by_its_number_and_no_line_costs_its_length_squared() -> None:
    # `[^)]*` scanned to the line's end from each `GPS(` of a line without a closing parenthesis: 10 000 of them (40 kB)
    # held the parser 4.6 s, 40 000 of them 77 s, and a 10 MB line seconds more; `[`, `<` and `G.PRY(` the same.
    block = "1\n00:00:00,000 --> 00:00:01,000\n{}\n[latitude: 45.7] [longitude: 126.6] [rel_alt: 60]\n"
    with pytest.raises(TelemetryError, match=r"^DJI_0001.SRT:3: line of 10000001 characters"):
        parse_srt(block.format("[" + "a" * 10_000_000), "DJI_0001.SRT")
    started = time.perf_counter()
    for unit in ("GPS(", "[", "<", "G.PRY(", "[a1", "H 9"):  # as many as a line may hold, two hundred lines of each
        text = "".join(block.format(unit * (srt.MAX_LINE_CHARS // len(unit))).replace("1\n", f"{i}\n", 1)
                       for i in range(1, 201))
        try:
            parse_srt(text, "DJI_0001.SRT")
        except TelemetryError as exc:
            assert exc.line == 3, unit  # refused by its first block, not after the others were read
    assert time.perf_counter() - started < 10.0  # each was minutes of CPU before


def test_an_srt_of_more_subtitles_than_any_flight_is_refused_by_the_line_past_the_limit(monkeypatch) -> None:
    # A million subtitles (40 MB, within MAX_SRT_BYTES) took 35 s and 880 MB; 256 MiB of them, the OOM killer.
    monkeypatch.setattr(srt, "MAX_SUBTITLES", 3)
    text = "".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},500\n[latitude: 45.7] [longitude: 126.6]\n\n" for i in range(1, 6))
    assert len(parse_srt(text.split("4\n")[0], "DJI_0001.SRT")) == 3
    with pytest.raises(TelemetryError, match=r"^DJI_0001.SRT:13: more than 3 subtitles"):
        parse_srt(text, "DJI_0001.SRT")


def test_the_subtitle_at_a_moment_is_found_without_reading_every_subtitle_before_it() -> None:
    # at_offset read the subtitles from the first at every sampled frame: an hour's SRT at 30 Hz and a frame a second
    # was 200 million steps, and an SRT whose subtitles all start at 0 made every frame read all of them.
    recs = [Telemetry(index=i, start_s=0.0 if i < 100_000 else 1.0, end_s=2.0, line=i) for i in range(100_001)]
    started = time.perf_counter()
    found = [at_offset(recs, 0.5) for _ in range(2_000)]
    assert time.perf_counter() - started < 1.0  # 4 s before
    assert found[0] is recs[99_999]  # the last one started
    assert at_offset(recs, 1.0) is recs[100_000] and at_offset(recs, -0.1) is None and at_offset(recs, 3.1) is None


def test_a_number_python_reads_but_no_drone_writes_is_refused_by_its_line() -> None:
    # float() reads "4_5.7" as 45.7 and full-width or Arabic-Indic digits as ASCII ones: a garbled value placed the frame.
    block = "1\n00:00:00,000 --> 00:00:01,000\n[latitude: {}] [longitude: 126.6] [rel_alt: 60]\n"
    for raw in ("4_5.7", "４５.７", "٤٥.٧", "0x2d", "45.7e0"):
        with pytest.raises(TelemetryError, match=r"^DJI_0001.SRT:3: lat: .* is not a number"):
            parse_srt(block.format(raw), "DJI_0001.SRT")
    for raw, value in (("45.7", 45.7), ("-45.", -45.0), ("+.5", 0.5), ("45,", 45.0)):
        assert parse_srt(block.format(raw), "DJI_0001.SRT")[0].lat == value


def test_an_srt_saved_as_utf16_with_its_byte_order_mark_is_read() -> None:
    # Read as UTF-8 it was refused at line 1 with "expected a subtitle number, got '\ufffd\ufffd1\x00'".
    for encoding in ("utf-16", "utf-16-be", "utf-8-sig", "utf-8"):
        data = M3T.replace("\n", "\r\n").encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        assert parse_srt(decode_srt(data)) == parse_srt(M3T), encoding


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8-sig", "utf-8"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("padding", ["", "\x00", "\x00" * 512])
def test_an_srt_in_utf16_without_a_byte_order_mark_or_padded_with_nuls_is_read(encoding: str, newline: str, padding: str) -> None:
    """UTF-16 with no byte-order mark (a telemetry tool's export) was decoded as UTF-8: "1\x00" was refused at line 1
    as no subtitle number, naming no cause; a NUL padding the end (a card's last block) was refused as a subtitle."""
    data = (M3T.replace("\n", newline) + padding).encode(encoding)
    assert parse_srt(decode_srt(data, "DJI_0001.SRT"), "DJI_0001.SRT") == parse_srt(M3T)


def test_a_nul_inside_an_srt_names_its_line_and_why() -> None:
    """A NUL inside the text (a damaged file) in a line that holds no value was skipped without a word, and one after
    a subtitle number was refused as no number: both name the file, the line and the cause."""
    with pytest.raises(TelemetryError, match=r"^DJI_0001.SRT:7: NUL character inside the text"):
        decode_srt(M3T.replace("2\n00:00:00,033", "2\x00\n00:00:00,033").encode(), "DJI_0001.SRT")
    with pytest.raises(TelemetryError, match=r"^DJI_0001.SRT:4: NUL character inside the text"):
        decode_srt(M3T.replace("2024-01-18 21:14:03.412", "2024-01-18\x0021:14:03.412").encode(), "DJI_0001.SRT")

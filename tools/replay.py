"""`patrol replay`: a recorded night through the real pipeline, deterministically.

Input files are JSON lines (one record per line, as producers send them).
Lines are fed in event-time order under a simulated clock; a malformed line
still goes to the workers and comes back as a dead letter, exactly like a bad
message from a live producer, and the replay also names it on stderr (before the run when it cannot be read,
after it with the dead letter's reason when the workers refused it). A line
too large for any message is refused up front, naming its file and line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core import topics as names
from core.errors import ConfigError, RecordError
from core.feed import FeedItem
from core.files import as_utf8, read_file
from core.records import EVENT_KINDS, TeamStatus, dead_letter_id, parse_time
from core.settings import Settings
from core.validate import EARLIEST_YEAR, LATEST_YEAR, plausible_year
from rules.context import Context, Province, province_from_settings
from rules.intake import parse_json
from tools.harness import COLLECTED, pipeline_run, run_schedule

TIME_FIELDS = {
    names.TIPS: ("reported_at",),
    names.WEATHER: ("observed_at", "issued_at"),
    names.TEAM_STATUS: ("at",),
    names.TASK_ACKS: ("at",),
    names.DETECTIONS: ("captured_at",),
    names.THERMAL_FRAMES: ("captured_at",),
}
KEY_FIELDS = {names.TIPS: "tip_id", names.TEAM_STATUS: "team_id", names.TASK_ACKS: "event_id", names.DETECTIONS: "camera_id"}
# The reports a line becomes (their `source` and `report_id`): the desk's dead letters carry the report, not the line.
REPORT_IDS = {names.TIPS: ("tip", "tip_id"), names.DETECTIONS: ("detection", "detection_id")}


@dataclass
class Warning_:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason} (sent on; it will come back as a dead letter)"


@dataclass
class LoadedInputs:
    items: list[FeedItem] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    lines: dict[int, tuple[str, int]] = field(default_factory=dict)  # an item's seq -> its file and line
    reports: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # a report's (source, id) -> the seqs of its lines

    def where(self, item: FeedItem) -> str:
        path, line = self.lines.get(item.seq, ("?", 0))
        return f"{path}:{line}"

    def dead_letter_lines(self, outputs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Each dead letter of a line of the input files, named by its file and line (those already warned about
        before the run excepted): a line the workers refused (an unknown channel, a duplicate id) was counted in
        the summary only, and nothing said which line it was.

        A dead letter of an input topic is found by its id, which derives from the topic and the raw line
        (`agents.common.dead_letter`); one of the desk's (`reports`) by the report's source and id.
        """
        warned = {(w.path, w.line) for w in self.warnings}
        by_id: dict[str, list[int]] = {}
        for item in self.items:
            by_id.setdefault(dead_letter_id(item.topic, item.value), []).append(item.seq)
        named = []
        for letter in outputs:
            if letter.get("kind") != "dead_letter":
                continue
            seqs = by_id.get(str(letter.get("event_id")), [])
            if not seqs and letter.get("topic") == names.REPORTS:
                try:
                    report = json.loads(str(letter.get("payload")))
                    seqs = self.reports.get((str(report.get("source")), str(report.get("report_id"))), [])
                except (ValueError, AttributeError):
                    seqs = []
            places = [self.lines[seq] for seq in seqs if seq in self.lines]
            if places and not any(place in warned for place in places):
                where = ", ".join(f"{path}:{line}" for path, line in places)
                named.append(f"{where}: dead letter ({letter.get('error')}): {letter.get('reason')}")
        return named


# A replay's simulated clock ticks every minute from its first record to its last: inputs spanning more
# than this are refused (a line stamped 2099 among tonight's asked for 38 million ticks: the replay never ended).
MAX_SPAN = timedelta(days=7)


def load_jsonl(path: Path, topic: str, seq_start: int = 0, loaded: LoadedInputs | None = None) -> LoadedInputs:
    """Read one input file; unreadable files raise ConfigError naming the file."""
    loaded = loaded or LoadedInputs()
    data = read_file(path, "input file")  # a device (/dev/zero) or a pipe is refused, not read without end
    # PowerShell's `>` writes UTF-16: split as UTF-8 its lines were NUL-strewn, each warned about as bad JSON and fed
    # as a dead letter, and the run stopped with "no line has a usable event time" at line 1, naming no cause.
    data = as_utf8(data, "input file", path)
    last_at: datetime | None = None
    pending: list[tuple[int, bytes, str | None, datetime | None]] = []
    # Lines are split as bytes: each is fed as the raw message it would be on the topic, so a line
    # that is not UTF-8 becomes a dead letter like any producer's bad message.
    # splitlines: LF, CRLF and a CR alone (an old Mac's or a spreadsheet's export); a raw CR is never inside a JSON line.
    for number, line in enumerate(data.splitlines(), start=1):
        raw = line.strip()
        if not raw or raw.startswith(b"//"):
            continue
        at: datetime | None = None
        key: str | None = None
        try:
            obj = json.loads(raw.decode("utf-8-sig"))  # a byte-order mark, as the workers tolerate it (parse_json)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            if topic in REPORT_IDS and isinstance(rid := obj.get(REPORT_IDS[topic][1]), str | int):
                loaded.reports.setdefault((REPORT_IDS[topic][0], str(rid).strip()), []).append(seq_start + number)
            for name in TIME_FIELDS.get(topic, ()):
                if obj.get(name) is not None:
                    at = parse_time(obj[name], name)
                    if not plausible_year(at):  # the workers refuse it; its time must not set the clock's span
                        at = None
                        raise ValueError(f"{name}: implausible time {obj[name]!r:.40} (expected a year {EARLIEST_YEAR}..{LATEST_YEAR})")
                    break
            if at is None:
                raise ValueError(f"no {' or '.join(TIME_FIELDS.get(topic, ('time',)))}")
            key_value = obj.get(KEY_FIELDS.get(topic, ""))
            key = str(key_value) if isinstance(key_value, str | int) else None
        except UnicodeDecodeError as exc:
            loaded.warnings.append(Warning_(str(path), number, f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        except Exception as exc:
            loaded.warnings.append(Warning_(str(path), number, str(exc)))
        if len(raw) + len((key or "").encode("utf-8")) > names.MAX_MESSAGE_BYTES:
            # No producer could send it (the feeder died on MessageSizeTooLargeError, a traceback): refused before anything runs.
            raise ConfigError(f"a record of {len(raw)} bytes, over the {names.MAX_MESSAGE_BYTES} bytes a message may hold; "
                              "split or shorten it", path=str(path), line=number)
        pending.append((number, raw, key, at))
        if at is not None:
            last_at = at
    # A line with no usable time goes in right after its predecessor.
    fallback = next((p[3] for p in pending if p[3] is not None), None)
    for number, raw, key, at in pending:
        when = at or last_at or fallback
        if when is None:
            why = next((f" (line {w.line}: {w.reason})" for w in loaded.warnings if w.path == str(path) and w.line == number), "")
            raise ConfigError(f"no line has a usable event time{why}", path=str(path), line=number)
        if at is not None:
            last_at = at
        loaded.items.append(FeedItem(at=when, seq=seq_start + number, topic=topic, value=raw, key=key))
        loaded.lines[seq_start + number] = (str(path), number)
    return loaded


def city_teams(centres: Mapping[str, Context], at: datetime) -> list[FeedItem]:
    """Every team of each centre's city layer, available at its base, keyed by its centre (no teams file given)."""
    items = []
    bases = sorted(((team, centre) for centre, ctx in centres.items() for team in ctx.city.teams), key=lambda tc: tc[0].team_id)
    for n, (team, centre) in enumerate(bases):
        status = TeamStatus(
            team_id=team.team_id,
            at=at,
            status="available",
            lat=team.lat,
            lon=team.lon,
            capabilities=tuple(team.capabilities),
            name=team.name,
            district=team.district,
        )
        items.append(FeedItem(at=at, seq=-1000 + n, topic=names.TEAM_STATUS, value=status.to_json(), key=centre))
    return items


def keyed_by_centre(items: list[FeedItem], province: Province) -> list[FeedItem]:
    """Desk inputs keyed by their dispatch centre, as a many-city deployment's producers key them
    (a record no centre claims keeps its key; the desk dead-letters it)."""
    out = []
    for item in items:
        if item.topic in names.DESK_INPUTS and item.topic != names.CLOCK:
            try:
                obj = parse_json(item.value)  # as the workers read it: nesting 100000 deep raised RecursionError here
            except RecordError:
                obj = None
            centre = province.route(obj, item.key) if obj is not None else None
            item = replace(item, key=centre or item.key)
        out.append(item)
    return out


def minute_ticks(start: datetime, end: datetime, step_s: float = 60.0) -> list[datetime]:
    first = start.replace(second=0, microsecond=0)
    ticks = []
    t = first
    while t <= end:
        if t >= start:
            ticks.append(t)
        t += timedelta(seconds=step_s)
    return ticks


@dataclass
class ReplayResult:
    outputs: list[dict[str, Any]]
    wall_s: float
    inputs: int
    barriers: int
    warnings: list[Warning_]

    def summary(self) -> str:
        events = [o for o in self.outputs if o.get("kind") in EVENT_KINDS]
        dead = [o for o in self.outputs if o.get("kind") == "dead_letter"]
        notices = Counter(f"{o['partner']} {o['msg_type']}" for o in self.outputs if o.get("kind") == "partner_notice")
        replies = Counter(o["stage"] for o in self.outputs if o.get("kind") == "reporter_feedback")
        kinds = Counter(e["kind"] for e in events)
        first = {e["incident_id"]: e for e in reversed(events)}
        prio = Counter(e["priority"] for e in first.values())
        cats = Counter(e["category"] for e in first.values())
        reasons = Counter(d.get("error", "invalid") for d in dead)
        lines = [
            f"inputs fed: {self.inputs}   wall time: {self.wall_s:.1f}s   barriers: {self.barriers}",
            f"incidents: {len(first)}   events: {len(events)}   dead letters: {len(dead)}",
            "events by kind:      " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
            "incidents by priority (first event): " + ", ".join(f"{k} {v}" for k, v in sorted(prio.items())),
            "incidents by category (first event): " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())),
        ]
        if notices:
            lines.append("partner notices: " + ", ".join(f"{k} {v}" for k, v in sorted(notices.items())))
        if replies:
            lines.append("reporter replies: " + ", ".join(f"{k} {v}" for k, v in sorted(replies.items())))
        if dead:
            lines.append("dead letters by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
        return "\n".join(lines)


# The id that makes a record unique on its topic (at-least-once duplicates share it).
RECORD_IDS = {names.PARTNER_NOTICES: "notice_id", names.REPORTER_FEEDBACK: "feedback_id"}


def dedupe_outputs(records: Sequence[tuple[str, dict[str, Any]]], canonical: bool = False) -> list[dict[str, Any]]:
    """Drop at-least-once duplicates by id; dispatch events, partner notices, reporter replies (each in
    their topic's order), then dead letters.

    `canonical`: each topic's records by event time, incident and revision instead. Several centres'
    desks write the same output topics from their own partitions, so the interleaving of two centres
    is not repeatable while each centre's own order is.
    """
    seen: set[tuple[str, str]] = set()
    by_topic: dict[str, list[dict[str, Any]]] = {t: [] for t in COLLECTED}
    for topic, obj in records:
        ident = (topic, str(obj.get(RECORD_IDS.get(topic, "event_id"), "")))
        if ident in seen:
            continue
        seen.add(ident)
        by_topic.setdefault(topic, []).append(obj)
    if canonical:
        for records_ in by_topic.values():
            records_.sort(key=lambda o: (str(o.get("at", "")), str(o.get("incident_id", "")), int(o.get("revision") or 0),
                                         json.dumps(o, sort_keys=True, ensure_ascii=False)))
    dead = by_topic.pop(names.DEAD_LETTERS, [])
    dead.sort(key=lambda d: (d.get("topic") or "", d.get("offset") if d.get("offset") is not None else -1, d["event_id"]))
    return [obj for records_ in by_topic.values() for obj in records_] + dead


async def _replay(settings: Settings, items: list[FeedItem], until: datetime, canonical: bool) -> tuple[list[dict[str, Any]], int]:
    start = items[0].at
    async with pipeline_run(settings, "replay", ready_at=start) as run:
        await run_schedule(run.feeder, items, minute_ticks(start, until))
        return dedupe_outputs(await run.feeder.drain(), canonical), run.feeder.barriers


def check_output(out: Path) -> None:
    """Refuse an output file that cannot be written before anything runs (the replay ran to its end, then died on
    `open` with a traceback); a file created to try it is removed again."""
    existed = out.exists()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write the output file: {exc.strerror or exc}", path=str(out)) from exc
    if not existed:
        out.unlink()


def run_replay(
    settings: Settings,
    *,
    tips: Path,
    weather: Path | None = None,
    teams: Path | None = None,
    acks: Path | None = None,
    detections: Path | None = None,
    out: Path,
    tail: timedelta = timedelta(hours=2),
) -> ReplayResult:
    check_output(out)
    loaded = LoadedInputs()
    # At equal event times: weather, then teams, acks, detections, then tips.
    files = ((weather, names.WEATHER), (teams, names.TEAM_STATUS), (acks, names.TASK_ACKS), (detections, names.DETECTIONS), (tips, names.TIPS))
    for rank, (path, topic) in enumerate(files):
        if path is not None:
            load_jsonl(path, topic, seq_start=1_000_000 * (rank + 1), loaded=loaded)
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    if not loaded.items:
        raise ConfigError("no input records", path=str(tips))
    items = sorted(loaded.items, key=lambda i: (i.at, i.seq))
    if items[-1].at - items[0].at > MAX_SPAN:
        raise ConfigError(f"the inputs span {items[-1].at - items[0].at} (at most {MAX_SPAN.days} days are replayed): "
                          f"the earliest record is {loaded.where(items[0])} at {items[0].at.isoformat()}, the latest "
                          f"{loaded.where(items[-1])} at {items[-1].at.isoformat()}; a wrong date? split a longer recording")
    province = province_from_settings(settings)
    if teams is None:
        items = city_teams(province.centres, items[0].at) + items
    if len(province.centres) > 1:
        items = keyed_by_centre(items, province)
    until = max(i.at for i in items) + tail
    started = time.monotonic()
    outputs, barriers = asyncio.run(_replay(settings, items, until, canonical=len(province.centres) > 1))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as fh:
            for obj in outputs:
                fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n")
    except OSError as exc:  # the disk filled up, the folder went away during the replay
        raise ConfigError(f"cannot write the output file: {exc.strerror or exc}", path=str(out)) from exc
    for named in loaded.dead_letter_lines(outputs):
        print(named, file=sys.stderr)
    return ReplayResult(outputs=outputs, wall_s=time.monotonic() - started, inputs=len(items), barriers=barriers, warnings=loaded.warnings)

"""Reports up the chain (信息报送): the daily report (日报) and campaign totals (pure).

`aggregate` turns ledger rows of a period into counts and times; `to_csv` and
`to_html` print them in Chinese or English. A report day starts at the
policy's `day_starts` local time, so one night is one daily report.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.records import CITY_WIDE, COLD_WAVE_LEVELS
from ledger.policy import OUTCOME_COLUMNS, LedgerPolicy

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "daily": "日报", "campaign": "专项行动汇总", "period": "统计时段", "tips_by_channel": "线索来源（渠道）",
        "incidents_by_category": "事件类别", "incidents_by_priority": "事件等级", "incidents_by_district": "事件辖区",
        "times": "响应时间（分钟）", "report_to_dispatch": "报告→派遣", "report_to_arrival": "报告→到达",
        "outcomes": "处置结果", "station": "送站", "hospital": "送医", "home": "送返", "persuaded": "劝导",
        "refused": "拒绝", "supplies": "发放物资", "not_found": "未找到", "open": "未结", "other": "其他",
        "escalations": "升级", "dispatch_escalations": "超时升级", "social_work": "社工帮扶转介",
        "cold_wave_days": "寒潮天数", "persons": "在册人员", "new": "新建档", "returning": "再次救助",
        "incidents": "事件总数", "tips": "线索总数", "n": "样本数", "p50": "中位数", "p90": "90分位",
        "section": "项目", "key": "分类", "value": "数值",
        "medical": "医疗急救", "escort_station": "护送救助站", "rescue_first": "先救助后甄别", "supplies_followup": "物资与回访",
        "basic_support": "基本生活帮扶", "guidance": "劝导指引", "welfare_check": "热成像巡查", "none": "无",
        "blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色", "total": "合计", "start": "开始", "end": "结束",
        "hotline": "热线", "wechat": "微信", "courier": "快递外卖", "sanitation": "环卫", "driver": "司机",
        "security": "保安", "volunteer": "志愿者", "police": "公安", "citizen": "市民",
    },
    "en": {
        "daily": "Daily report", "campaign": "Campaign totals", "period": "Period", "tips_by_channel": "Tips by channel",
        "incidents_by_category": "Incidents by category", "incidents_by_priority": "Incidents by priority",
        "incidents_by_district": "Incidents by district", "times": "Response times (minutes)",
        "report_to_dispatch": "report → dispatch", "report_to_arrival": "report → arrival", "outcomes": "Outcomes",
        "station": "taken to station", "hospital": "taken to hospital", "home": "returned home / family",
        "persuaded": "persuaded / guided", "refused": "refused", "supplies": "supplies given",
        "not_found": "not found", "open": "still open", "other": "other", "escalations": "Escalations",
        "dispatch_escalations": "missed deadlines escalated", "social_work": "social-work referrals",
        "cold_wave_days": "Cold-wave days", "persons": "Persons in the ledger", "new": "new files",
        "returning": "returning", "incidents": "incidents", "tips": "tips", "n": "n", "p50": "p50", "p90": "p90",
        "section": "section", "key": "key", "value": "value",
    },
}  # fmt: skip


@dataclass(frozen=True)
class ReportScope:
    """One centre's part of a ledger several cities share (`ledger.centres.LedgerCentres.report`).

    `keep` says whether an incident row (with its centre, lat and lon) is the
    centre's; tips and weather count by their district (district ids are
    unique across a deployment's cities); city-wide weather (`CITY_WIDE`)
    counts for the centre whose desk judged it (`in_city`).
    """

    keep: Callable[[Mapping[str, Any]], bool]
    centre: str
    districts: frozenset[str]


def in_city(conditions: Mapping[str, Any], centre: str, districts: Collection[str]) -> bool:
    """Whether a conditions row applies to a centre's city: one of its districts, or city-wide weather its desk
    judged (or that names no centre: written before conditions named one)."""
    return conditions["region"] in districts or (conditions["region"] == CITY_WIDE and conditions["centre"] in (centre, ""))


@dataclass
class Report:
    kind: str
    start: datetime
    end: datetime
    tips_by_channel: dict[str, int] = field(default_factory=dict)
    incidents: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_priority: dict[str, int] = field(default_factory=dict)
    by_district: dict[str, int] = field(default_factory=dict)
    report_to_dispatch: tuple[int, float | None, float | None] = (0, None, None)
    report_to_arrival: tuple[int, float | None, float | None] = (0, None, None)
    outcomes: dict[str, int] = field(default_factory=dict)
    dispatch_escalations: int = 0
    social_work: int = 0
    cold_wave_days: dict[str, int] = field(default_factory=dict)
    persons_new: int = 0
    persons_returning: int = 0

    def rows(self) -> list[tuple[str, str, str]]:
        """(section, key, value) rows: the CSV for the superior department, and what tests compare."""
        out: list[tuple[str, str, str]] = [("period", "start", self.start.isoformat()), ("period", "end", self.end.isoformat())]
        out += [("tips_by_channel", k, str(v)) for k, v in sorted(self.tips_by_channel.items())]
        out.append(("incidents", "total", str(self.incidents)))
        for section, counts in (("incidents_by_category", self.by_category), ("incidents_by_priority", self.by_priority), ("incidents_by_district", self.by_district)):
            out += [(section, k, str(v)) for k, v in sorted(counts.items())]
        for name, (n, p50, p90) in (("report_to_dispatch", self.report_to_dispatch), ("report_to_arrival", self.report_to_arrival)):
            out += [(name, "n", str(n)), (name, "p50", _fmt(p50)), (name, "p90", _fmt(p90))]
        out += [("outcomes", k, str(self.outcomes.get(k, 0))) for k in (*OUTCOME_COLUMNS, "other", "open")]
        out += [("escalations", "dispatch_escalations", str(self.dispatch_escalations)), ("escalations", "social_work", str(self.social_work))]
        out += [("cold_wave_days", level, str(self.cold_wave_days.get(level, 0))) for level in COLD_WAVE_LEVELS]
        out += [("persons", "new", str(self.persons_new)), ("persons", "returning", str(self.persons_returning))]
        return out


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def report_day(day: date, policy: LedgerPolicy, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The report day `day`: from its `day_starts` local time to the same time the next day."""
    start = datetime.combine(day, policy.day_starts, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), policy.day_starts, tzinfo=tz)


def day_of(at: datetime, policy: LedgerPolicy, tz: ZoneInfo) -> date:
    """The report day a time belongs to (a night after midnight belongs to the day before)."""
    local = at.astimezone(tz)
    return local.date() if local.time() >= policy.day_starts else local.date() - timedelta(days=1)


def _minutes(later: str | None, earlier: str) -> float | None:
    if not later:
        return None
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / 60


def cold_wave_days(conditions: Iterable[dict[str, Any]], start: datetime, end: datetime, policy: LedgerPolicy, tz: ZoneInfo) -> dict[str, int]:
    """Report days in [start, end) by the highest cold-wave level in force in any region during the day."""
    by_region: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    for row in conditions:
        by_region.setdefault((row.get("centre", ""), row["region"]), []).append((datetime.fromisoformat(row["at"]), row["cold_wave_level"]))
    days: Counter[str] = Counter()
    day = day_of(start, policy, tz)
    while True:
        lo, hi = report_day(day, policy, tz)
        if lo >= end:
            break
        worst = "none"
        for changes in by_region.values():
            changes.sort()
            before = [lvl for at, lvl in changes if at <= lo]
            during = [lvl for at, lvl in changes if lo < at < hi]
            for level in ([before[-1]] if before else []) + during:
                worst = max(worst, level, key=COLD_WAVE_LEVELS.index)
        days[worst] += 1
        day += timedelta(days=1)
    return dict(days)


def aggregate(
    kind: str,
    start: datetime,
    end: datetime,
    *,
    incidents: Sequence[dict[str, Any]],
    reports: Sequence[dict[str, Any]],
    conditions: Sequence[dict[str, Any]],
    links: Sequence[dict[str, Any]],
    social_work: int,
    policy: LedgerPolicy,
    tz: ZoneInfo,
) -> Report:
    """Counts of a period from its rows: incidents and tips by first report time in [start, end).

    An incident merged into another (`status` "merged") is not counted again: the survivor stands for the
    person; only its escalations count.

    `links` are (person_id, first_report_at of the linked incident) for every
    link in the ledger up to `end`: a person is new in the period when their
    first linked incident falls in it, returning when they had one before.
    """

    def inside(at: str) -> bool:
        return start <= datetime.fromisoformat(at) < end

    in_period = [i for i in incidents if inside(i["first_report_at"])]
    # An incident merged into another is the same person: the survivor carries its reports and its counts (the
    # merged one stayed "still open", and counted twice in every section). Its missed deadlines still happened.
    period_incidents = [i for i in in_period if i.get("status") != "merged"]
    tips = Counter(r["channel"] for r in reports if r["source"] == "tip" and inside(r["at"]))
    dispatch = [m for i in period_incidents if (m := _minutes(i["dispatched_at"], i["first_report_at"])) is not None]
    arrival = [m for i in period_incidents if (m := _minutes(i["on_scene_at"], i["first_report_at"])) is not None]
    outcomes: Counter[str] = Counter()
    for i in period_incidents:
        if i["outcome"] is None:
            outcomes["open" if i["resolved_at"] is None else "other"] += 1
            continue
        columns = policy.outcome_columns(i["outcome"])
        outcomes.update(columns or ("other",))
    first_seen: dict[str, str] = {}
    seen_in_period: set[str] = set()
    for link in links:
        at = link["first_report_at"]
        person = link["person_id"]
        if person not in first_seen or at < first_seen[person]:
            first_seen[person] = at
        if inside(at):
            seen_in_period.add(person)
    new = {p for p in seen_in_period if inside(first_seen[p])}
    return Report(
        kind=kind,
        start=start,
        end=end,
        tips_by_channel=dict(tips),
        incidents=len(period_incidents),
        by_category=dict(Counter(i["category"] for i in period_incidents)),
        by_priority=dict(Counter(i["priority"] for i in period_incidents)),
        by_district=dict(Counter(i["district"] for i in period_incidents)),
        report_to_dispatch=(len(dispatch), percentile(dispatch, 50), percentile(dispatch, 90)),
        report_to_arrival=(len(arrival), percentile(arrival, 50), percentile(arrival, 90)),
        outcomes=dict(outcomes),
        dispatch_escalations=sum(int(i["escalations"]) for i in in_period),
        social_work=social_work,
        cold_wave_days=cold_wave_days(conditions, start, end, policy, tz),
        persons_new=len(new),
        persons_returning=len(seen_in_period - new),
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @, a tab or a CR (a channel or district as a
    record on `reports` named it) is prefixed with ', else Excel and WPS run it as a formula; a number stays one."""
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(report: Report, lang: str = "zh") -> str:
    """The report as CSV for the superior department: RFC 4180 line ends (a CR inside a cell is quoted, not a new
    row) and every cell through `csv_cell`."""
    labels = LABELS[lang]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([labels["section"], labels["key"], labels["value"]])
    for section, key, value in report.rows():
        writer.writerow([csv_cell(labels.get(section, section)), csv_cell(labels.get(key, key)), csv_cell(value)])
    return buf.getvalue()


def _bars(counts: dict[str, int], labels: dict[str, str]) -> str:
    """A horizontal bar chart as inline SVG: prints on paper, needs no script."""
    if not counts:
        return "<p>—</p>"
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = max(v for _, v in items) or 1
    row_h, width = 22, 420
    parts = [f'<svg class="bars" width="{width + 200}" height="{row_h * len(items) + 4}" role="img">']
    for n, (key, value) in enumerate(items):
        y = n * row_h + 2
        w = round(width * value / top)
        parts.append(f'<text x="0" y="{y + 15}" font-size="13">{html.escape(labels.get(key, key))}</text>')
        parts.append(f'<rect x="170" y="{y + 3}" width="{w}" height="{row_h - 6}" fill="#3b6ea5"></rect>')
        parts.append(f'<text x="{175 + w}" y="{y + 15}" font-size="13">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


# The printable report's only style: a page that serves it names this text's hash in its Content-Security-Policy.
REPORT_STYLE = "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em}@media print{body{margin:0}}"


def to_html(report: Report, lang: str = "zh", title: str = "") -> str:
    """A printable page: tables and bar charts, no script, no external resource."""
    t = LABELS[lang]
    name = title or t[report.kind]
    span = f"{report.start:%Y-%m-%d %H:%M} – {report.end:%Y-%m-%d %H:%M} ({report.start.tzinfo})"
    times = "".join(
        f"<tr><td>{t[k]}</td><td>{n}</td><td>{_fmt(p50)}</td><td>{_fmt(p90)}</td></tr>"
        for k, (n, p50, p90) in (("report_to_dispatch", report.report_to_dispatch), ("report_to_arrival", report.report_to_arrival))
    )
    sections = [
        ("tips_by_channel", report.tips_by_channel),
        ("incidents_by_category", report.by_category),
        ("incidents_by_priority", report.by_priority),
        ("incidents_by_district", report.by_district),
        ("outcomes", {k: v for k, v in report.outcomes.items() if v}),
        ("cold_wave_days", {k: v for k, v in report.cold_wave_days.items() if v}),
    ]
    body = [
        f"<h1>{html.escape(name)}</h1><p>{t['period']}: {html.escape(span)}</p>",
        f"<p>{t['tips']}: <b>{sum(report.tips_by_channel.values())}</b> · {t['incidents']}: <b>{report.incidents}</b> · "
        f"{t['escalations']}: {t['dispatch_escalations']} <b>{report.dispatch_escalations}</b>, {t['social_work']} <b>{report.social_work}</b> · "
        f"{t['persons']}: {t['new']} <b>{report.persons_new}</b>, {t['returning']} <b>{report.persons_returning}</b></p>",
        f"<h2>{t['times']}</h2><table><tr><th></th><th>{t['n']}</th><th>{t['p50']}</th><th>{t['p90']}</th></tr>{times}</table>",
    ]
    body += [f"<h2>{t[key]}</h2>{_bars(counts, t)}" for key, counts in sections]
    return f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(name)}</title><style>{REPORT_STYLE}</style></head><body>{"".join(body)}</body></html>'

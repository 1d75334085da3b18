"""A drill's report: one HTML page with a map, a timeline and latencies.

Drill organizers read it after the night: where the incidents were (by
priority) and where the teams drove, how incidents followed the cold and the
cold-wave level, how long people waited. Plain files (index.html + PNGs,
matplotlib's Agg backend) so it opens anywhere and can be archived.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from drill.scoring import by_time, confusion_rows, format_scores
from simulators.citymap import CityMap

PRIORITY_COLORS = {"P1": "#d62728", "P2": "#ff7f0e", "P3": "#bcbd22", "P4": "#1f77b4"}
LEVEL_COLORS = {"none": None, "blue": "#9ecae1", "yellow": "#fdd835", "orange": "#fb8c00", "red": "#e53935"}
TEAM_COLORS = plt.get_cmap("tab10")


def _t(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _incidents(outputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first event of each incident (position, priority, time)."""
    first: dict[str, dict[str, Any]] = {}
    for e in sorted(outputs, key=by_time):
        iid = str(e.get("incident_id", ""))
        if iid and iid not in first:
            first[iid] = e
    return list(first.values())


def draw_map(path: Path, truth: dict[str, Any], outputs: list[dict[str, Any]], city: Any) -> Path:
    cm = CityMap(city)
    fig, ax = plt.subplots(figsize=(9, 8), dpi=100)
    for d in getattr(city, "districts", ()) or ():
        poly = getattr(d, "polygon", None)
        geoms = getattr(poly, "geoms", [poly]) if poly is not None else []
        for g in geoms:
            if hasattr(g, "exterior"):
                xs, ys = g.exterior.xy
                ax.plot(list(xs), list(ys), color="#999999", lw=0.8, zorder=1)
    for z in cm.zones:
        if not z.ring:
            continue
        xs = [p[0] for p in z.ring]
        ys = [p[1] for p in z.ring]
        ax.fill(xs, ys, color="#4c72b0" if z.key_area else "#cccccc", alpha=0.25 if z.key_area else 0.15, lw=0.5,
                edgecolor="#4c72b0", zorder=2)
    for i, (tid, team) in enumerate(sorted((truth.get("teams") or {}).items())):
        track = team.get("track") or []
        if track:
            color = TEAM_COLORS(i % 10)
            ax.plot([p[2] for p in track], [p[1] for p in track], color=color, lw=1.0, alpha=0.8, zorder=3)
            base = team.get("base") or [track[0][1], track[0][2]]
            ax.plot(base[1], base[0], marker="s", color=color, ms=6, zorder=4, label=tid if i < 10 else None)
    persons = truth.get("persons") or []
    if persons:
        ax.scatter([p["lon"] for p in persons], [p["lat"] for p in persons], s=18, facecolors="none", edgecolors="#333333",
                   lw=0.7, zorder=5, label="person (truth)")
    for prio, pcolor in PRIORITY_COLORS.items():
        incs = [e for e in _incidents(outputs) if e.get("priority") == prio]
        if incs:
            ax.scatter([float(e["lon"]) for e in incs], [float(e["lat"]) for e in incs], s=30, color=pcolor, zorder=6,
                       label=f"incident {prio}", edgecolors="black", lw=0.3)
    for cam in truth.get("cameras") or []:
        ax.plot(cam["lon"], cam["lat"], marker="^", color="#2ca02c", ms=7, zorder=7)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"Drill {truth.get('scenario', '')} (seed {truth.get('seed', '')}): zones, incidents, team tracks")
    lats = [p[1] for z in cm.zones for p in z.ring] or [45.75]
    ax.set_aspect(1.0 / max(0.2, math.cos(math.radians(sum(lats) / len(lats)))))
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_timeline(path: Path, truth: dict[str, Any], outputs: list[dict[str, Any]]) -> Path:
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    start, end = _t(truth.get("start")), _t(truth.get("end"))
    # Cold-wave level shading (the most severe over the districts at each step).
    order = list(LEVEL_COLORS)
    series = truth.get("cold_wave") or {}
    steps: dict[str, str] = {}
    for pts in series.values():
        for at, lvl in pts:
            if order.index(lvl) > order.index(steps.get(at, "none")):
                steps[at] = lvl
            steps.setdefault(at, lvl)
    times = sorted(steps)
    for a, b in itertools.pairwise(times):
        color = LEVEL_COLORS.get(steps[a])
        ta, tb = _t(a), _t(b)
        if color and ta and tb:
            ax.axvspan(mdates.date2num(ta), mdates.date2num(tb), color=color, alpha=0.25, lw=0)
    # Incidents per priority (first event of each).
    for prio, color in PRIORITY_COLORS.items():
        ts = [t for e in _incidents(outputs) if e.get("priority") == prio and (t := _t(e.get("at"))) is not None]
        if ts:
            ax.scatter(mdates.date2num(ts), [5 - int(prio[1]) for _ in ts], color=color, s=30, label=f"incident {prio}",
                       edgecolors="black", lw=0.3, zorder=3)
    ax.set_yticks([4, 3, 2, 1], ["P1", "P2", "P3", "P4"])
    ax.set_ylim(0.5, 4.5)
    ax.set_ylabel("incident priority")
    ax2 = ax.twinx()
    temps: dict[str, list[tuple[datetime, float]]] = {}
    for o in truth.get("weather") or []:
        at = _t(o.get("observed_at"))
        if at is not None and (start is None or at >= start) and (end is None or at <= end):
            temps.setdefault(str(o.get("region")), []).append((at, float(o["temp_c"])))
    for region, pts in sorted(temps.items()):
        pts.sort()
        ax2.plot(mdates.date2num([p[0] for p in pts]), [p[1] for p in pts], lw=1.0, alpha=0.8, label=f"temp {region}")
    ax2.set_ylabel("air temperature °C")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=start.tzinfo if start else None))
    if start and end:
        ax.set_xlim(mdates.date2num(start), mdates.date2num(end))
    ax.set_title("Incidents over the night, temperature and cold-wave level (shading)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def draw_latency(path: Path, scores: dict[str, Any]) -> Path:
    samples = scores.get("samples") or {}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=100)
    sim_d = samples.get("to_dispatch_min") or []
    sim_a = samples.get("to_arrival_min") or []
    bins = 20
    if sim_d:
        axes[0].hist(sim_d, bins=bins, alpha=0.7, label="report -> dispatch")
    if sim_a:
        axes[0].hist(sim_a, bins=bins, alpha=0.6, label="report -> on scene")
    axes[0].set_xlabel("simulated minutes")
    axes[0].set_ylabel("persons")
    axes[0].set_title("Waiting time of persons")
    axes[0].legend(fontsize=8)
    wall = samples.get("wall_latency_ms") or []
    if wall:
        axes[1].hist(wall, bins=bins, color="#8172b2")
    axes[1].set_xlabel("wall-clock ms")
    axes[1].set_title("Pipeline latency tip -> dispatch")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _table(rows: list[list[str]], header: bool = True) -> str:
    out = ["<table>"]
    for i, row in enumerate(rows):
        tag = "th" if header and i == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _what_went_wrong(scores: dict[str, Any]) -> str:
    """The failures, before any average: who was never reached and why, waits, duplicates, merges, escalations."""
    parts: list[str] = []
    unreached = scores.get("unreached") or []
    if unreached:
        parts.append("<h3>Reported but never reached</h3>")
        parts.append(_table([["person", "category", "incidents", "why"],
                             *[[u["person_id"], str(u["category"]), ", ".join(u["incidents"]) or "-", str(u["why"])] for u in unreached]]))
    else:
        parts.append("<p>Every reported person was reached.</p>")
    waits = scores.get("queue_wait_min") or {}
    parts.append("<h3>Queue waits by priority (minutes)</h3>")
    parts.append(_table([["priority", "n", "p50", "p95", "max"],
                         *[[p, str(w["n"]), str(w["p50"]), str(w["p95"]), str(w["max"])] for p, w in waits.items()]])
                 if waits else "<p>Nothing was queued.</p>")
    dup = [r for r in scores.get("per_person") or [] if len(r.get("incidents") or []) > 1]
    false_merges = scores.get("false_merges") or []
    causes = ", ".join(f"{k}: {v}" for k, v in (scores.get("escalations_by_cause") or {}).items()) or "none"
    parts.append(f"<p>Persons with duplicate incidents: {len(dup)}; merges: {scores.get('merges', 0)}, false merges: {len(false_merges)}; "
                 f"diversions: {scores.get('diversions', 0)}; escalations by cause: {html.escape(causes)}; "
                 f"P1 waits over the ack deadline without a team or escalation: {scores.get('p1_waits_over_deadline', 0)}.</p>")
    for fm in false_merges:
        parts.append(f"<p>False merge: {html.escape(str(fm))}</p>")
    diverted = scores.get("diversion_items") or []
    if diverted:
        parts.append("<h3>Diversions: a team taken off a less urgent task</h3>")
        parts.append(_table([["at", "incident", "priority", "team", "taken from"],
                             *[[str(d["at"]), str(d["incident"]), str(d["priority"]), str(d["team"]), str(d["taken_from"])] for d in diverted]]))
    for w in scores.get("p1_waits_over_deadline_items") or []:
        parts.append(f"<p>P1 wait over its deadline: {html.escape(str(w))}</p>")
    calls = scores.get("call_backs") or {}
    if calls.get("n"):
        parts.append("<h3>Needs attention: dead tips the call-taker resubmitted</h3>")
        parts.append(_table([["person", "tip", "reported", "resubmitted", "time lost (min)", "reached", "why dead"],
                             *[[c["person_id"], c["tip_id"], c["reported_at"], c["resubmitted_at"], str(c["lost_min"]),
                                "yes" if c["reached"] else "no", str(c["reason"])] for c in calls["items"]]]))
    for fm in scores.get("false_matches") or []:
        parts.append(f"<p>False match (a report counted into another person's incident): {html.escape(str(fm))}</p>")
    timelines = scores.get("failure_timelines") or {}
    if timelines:
        parts.append("<h3>Timelines of failures</h3>")
        for pid, rows in timelines.items():
            parts.append(f"<h4>{html.escape(pid)}</h4>")
            parts.append(_table([["at", "incident", "kind", "priority", "team", "reason"],
                                 *[[str(r["at"]), str(r["incident"]), str(r["kind"]), str(r["priority"]), str(r["team"] or "-"),
                                    str(r["reason"] or "")] for r in rows]]))
    return "\n".join(parts)


def write_report(folder: Path, scores: dict[str, Any], truth: dict[str, Any], outputs: list[dict[str, Any]], city: Any) -> Path:
    """Write index.html and its PNGs into `folder`; return the HTML path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # names come from files (a scenario's, a team's, a region's): drawn as written, never as TeX. A "$\foo{$" lost the
    # report of a whole night to mathtext's ValueError
    with plt.rc_context({"text.parse_math": False}):
        draw_map(folder / "map.png", truth, outputs, city)
        draw_timeline(folder / "timeline.png", truth, outputs)
        draw_latency(folder / "latency.png", scores)
    headline = format_scores(scores)
    persons_rows = [["person", "category", "reached", "arrived", "to dispatch (min)", "to arrival (min)", "predicted", "priority"]]
    for row in scores.get("per_person") or []:
        persons_rows.append([row["person_id"], str(row.get("category")), "yes" if row.get("reached") else "no",
                             "yes" if row.get("arrived") else "no", str(row.get("to_dispatch_min", "-")),
                             str(row.get("to_arrival_min", "-")), str(row.get("predicted_category", "-")),
                             str(row.get("predicted_priority", "-"))])
    wrong_html = _what_went_wrong(scores)
    lost = scores.get("accounting", {}).get("lost_items") or []
    lost_html = _table([["topic", "id", "at", "seq"], *[[x["topic"], str(x["id"]), x["at"], str(x["seq"])] for x in lost]]) \
        if lost else "<p>No event input was lost.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Drill report: {html.escape(str(truth.get('scenario', '')))} seed {html.escape(str(truth.get('seed', '')))}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}
th {{ background: #f0f0f0; }}
pre {{ background: #f7f7f7; padding: 1em; }}
img {{ max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0; }}
</style></head><body>
<h1>Drill report: {html.escape(str(truth.get('scenario', '')))} (seed {html.escape(str(truth.get('seed', '')))})</h1>
<p>{html.escape(str(truth.get('start', '')))} &rarr; {html.escape(str(truth.get('end', '')))}, cameras: {html.escape(str(truth.get('camera_mode', '')))}</p>
<h2>What went wrong</h2>
{wrong_html}
<h2>Scores</h2>
<pre>{html.escape(headline)}</pre>
<h2>Map</h2>
<img src="map.png" alt="map of zones, incidents by priority and team tracks">
<h2>Timeline</h2>
<img src="timeline.png" alt="incidents over the night against temperature and cold-wave level">
<h2>Latency</h2>
<img src="latency.png" alt="distribution of waiting times and pipeline latency">
<h2>Category confusion</h2>
{_table(confusion_rows(scores.get('confusion') or {}))}
<h2>Lost events</h2>
{lost_html}
<h2>Persons</h2>
{_table(persons_rows)}
</body></html>
"""
    index = folder / "index.html"
    index.write_text(page, encoding="utf-8")
    return index

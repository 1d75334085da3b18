"""`python -m tools.bench_rules`: CPU per tip of the pure rules on the tip path, without a broker.

The worker's CPU per tip (`patrol bench pipeline`) mixes Kafka and Faust
with the rules; this measures the rules alone, as the agents call them:
intake's conversion (`agents.intake`), each centre's `Desk` (built as
`agents.desk.Centres.desk` builds one) fed the report through JSON, every
output's `to_json()`, the state entries `take_dirty()` gives per batch, and
a clock tick per `tick_s` of event time (read from JSON, as the agent reads
the `clock` topic). The digest covers every output byte and state entry, so
a change that claims to keep behaviour can prove it: same tips, same digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.errors import RecordError
from core.records import ClockTick, Conditions, Report, TeamStatus
from core.settings import DATA_DIR, Settings
from rules.context import Province, province_from_settings
from rules.desk import Desk, Outputs
from rules.intake import parse_json, parse_tick, parse_tip, tip_contact, tip_report
from tools.bench_pipeline import START, bench_tip


@dataclass(frozen=True)
class RulesRun:
    tips: int
    cpu_s: float
    digest: str

    @property
    def us_per_tip(self) -> float:
        return 1e6 * self.cpu_s / self.tips


def _desks(province: Province) -> dict[str, Desk]:
    desks = {}
    for centre, ctx in province.centres.items():
        desk = Desk(ctx, centre)
        desk.load_entries(())
        desk.dirty.clear()
        desks[centre] = desk
    return desks


def _staff(desks: dict[str, Desk], province: Province, at: datetime) -> Outputs:
    """Every team of each city available at its base (the pipeline bench runs without teams)."""
    out = Outputs()
    for centre, desk in desks.items():
        for base in province.centres[centre].city.teams:
            out.extend(desk.handle_team_status(TeamStatus(base.team_id, at, "available", base.lat, base.lon, base.capabilities)))
    return out


def sample_texts() -> list[str]:
    """The texts of the sample night's tips (Chinese and English, flags, ages, head counts)."""
    texts = []
    for line in (DATA_DIR / "samples" / "night" / "tips.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            text = json.loads(line).get("text")
        except ValueError:  # the sample holds malformed tips on purpose
            continue
        if isinstance(text, str) and text:
            texts.append(text)
    return texts


def run_rules(province: Province, tips: int, *, batch: int = 100, tick_s: float = 60.0, teams: bool = False,
              texts: list[str] | None = None) -> RulesRun:
    """Push `tips` bench tips through intake and the desks; CPU seconds and the digest of everything written.

    `texts`: the tips' texts in turn instead of the bench's one text (more flags, categories and priorities).
    """
    desks = _desks(province)
    digest = hashlib.sha256()

    def send(out: Outputs) -> None:
        for record in (*out.events, *out.tasks, *(Conditions(**c) for c in out.conditions), *out.results):
            digest.update(record.to_json())

    def flush() -> None:
        for centre, desk in desks.items():
            entries = desk.take_dirty()
            digest.update(json.dumps([centre, entries], ensure_ascii=False).encode("utf-8"))

    started = time.process_time()
    if teams:
        send(_staff(desks, province, START))
    next_tick = START
    for n in range(tips):
        raw = bench_tip(n, province)
        if texts:
            raw = json.dumps({**json.loads(raw), "text": texts[n % len(texts)]}, ensure_ascii=False).encode("utf-8")
        try:
            obj = parse_json(raw)
            centre, ctx = province.context_for(obj)
            tip = parse_tip(obj, ctx)
            contact = tip_contact(tip)
            report = tip_report(tip, ctx, centre)
        except RecordError as exc:
            digest.update(exc.reason.encode("utf-8"))
            continue
        if contact is not None:
            digest.update(contact.to_json())
        wire = report.to_json()
        digest.update(wire)
        if report.at >= next_tick:  # the clock: every tick_s of event time, every desk
            at = parse_tick(parse_json(ClockTick(at=next_tick).to_json())).at  # as the agent reads the clock topic
            for desk in desks.values():
                send(desk.handle_tick(at))
            next_tick += timedelta(seconds=tick_s)
        send(desks[centre].handle_report(Report.from_dict(json.loads(wire))))
        if (n + 1) % batch == 0:
            flush()
    flush()
    return RulesRun(tips, time.process_time() - started, digest.hexdigest()[:16])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tips", type=int, default=3000)
    parser.add_argument("--cities", default="harbin", help="PATROL_CITIES for this run (harbin,qiqihar: two centres)")
    parser.add_argument("--teams", action="store_true", help="every city team available at its base from the start")
    parser.add_argument("--texts", action="store_true", help="the sample night's tip texts in turn, not the bench's one text")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest counts")
    parser.add_argument("--profile", help="write a cProfile of one run to this file")
    args = parser.parse_args()
    province = province_from_settings(replace(Settings.from_env(), cities=args.cities))
    texts = sample_texts() if args.texts else None
    if args.profile:
        import cProfile

        cProfile.runctx("run_rules(province, args.tips, teams=args.teams, texts=texts)", globals(), locals(), args.profile)
    runs = [run_rules(province, args.tips, teams=args.teams, texts=texts) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r.cpu_s)
    print(f"rules CPU ({args.cities}, {args.tips} tips{', teams' if args.teams else ''}{', sample texts' if texts else ''}): {best.us_per_tip:.0f} us per tip "
          f"(runs: {', '.join(f'{r.us_per_tip:.0f}' for r in runs)}); outputs digest {best.digest}")
    if len({r.digest for r in runs}) != 1:
        raise SystemExit("runs disagree: the rules are not deterministic")


if __name__ == "__main__":
    main()

"""`patrol`: one binary with a subcommand for every role.

Every subcommand reads the same settings from the environment (see
`patrol settings`). Errors in configuration or data files print the file,
the line and the reason, and exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError, PatrolError
from core.files import output_dir
from core.settings import Settings

if TYPE_CHECKING:
    from ledger.centres import LedgerCentres
    from ledger.store import Store
    from rules.context import Context

EXIT_CONFIG = 2


def _settings() -> Settings:
    return Settings.from_env()


def _context(settings: Settings) -> Context:
    from rules.context import context_from_settings

    return context_from_settings(settings)


def cmd_settings(args: argparse.Namespace) -> int:
    for name, value in _settings().describe().items():
        print(f"{name}={value}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings()
    ctx = _context(settings)
    print(f"policy  {settings.policy_file}: {len(ctx.policy.categories)} categories, {len(ctx.policy.cold_wave_levels)} cold-wave levels")
    phone = ctx.policy.phone
    print(f"phones  position every {phone.position_every_s:g} s; fixes at most {phone.max_fix_age_s:g} s old, "
          f"{phone.max_accuracy_m:g} m vague, {phone.max_speed_kmh:g} km/h apart")
    print(f"lexicon {settings.lexicon_file}: {len(ctx.lexicon.patterns)} flags")
    from rules.context import province_from_settings

    cities = {c: x.city for c, x in province_from_settings(settings).centres.items()} if settings.cities else {"": ctx.city}
    for folder, city in zip(settings.centre_dirs.values(), cities.values(), strict=True):
        print(
            f"city    {folder}: {city.name}; {len(city.districts)} districts, {len(city.zones)} zones, "
            f"{len(city.help_points)} help points, {len(city.teams)} teams, {len(city.places)} places"
        )
    from ledger.policy import load_ledger_policy

    # every `patrol ledger`, `report` and `sweep` refuses a bad one, or one naming an outcome code the policy does not list
    ledger = load_ledger_policy(settings.ledger_policy_file, outcomes=ctx.policy.outcomes)
    print(f"ledger  {settings.ledger_policy_file}: retention {ledger.retention_days} days, report day from {ledger.day_starts:%H:%M}, "
          f"sweeps of the last {ledger.sweep_nights} nights")
    _check_tokens(settings)
    return 0


def _check_tokens(settings: Settings) -> None:
    """The tokens file as the console loads it at start: a bad entry or the published demo tokens on an address
    beyond loopback stop it (ConfigError); no file is no tokens, every call refused, which the console accepts."""
    from console.auth import TokenStore
    from console.server import refuse_demo_tokens

    tokens = TokenStore(settings.tokens_file, centres=list(settings.centre_dirs))
    if not settings.tokens_file.exists():
        print(f"tokens  {settings.tokens_file}: no such file: no tokens, the console and team API refuse every call (`patrol token add`)")
        return
    refuse_demo_tokens(tokens, settings.console_host, settings.allow_demo_tokens)
    print(f"tokens  {settings.tokens_file}: {len(tokens)} tokens")


def cmd_broker(args: argparse.Namespace) -> int:
    from pipeline.broker import BrokerError, EmbeddedBroker

    broker = EmbeddedBroker(host=args.host, port=args.port)
    stopping: list[int] = []

    def interrupted(signum: int, frame: object) -> None:
        # Stop the child and let the waits return, rather than raise KeyboardInterrupt wherever the main thread is:
        # raised inside kafka-python's readiness probe it could be swallowed, and the command then ran on.
        stopping.append(signum)
        broker.signal_child(signal.SIGTERM)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        try:
            broker.start()
        except BrokerError:
            if stopping:
                return 0
            raise
        if stopping:
            return 0
        print(f"embedded broker (Tansu, memory storage) on {broker.bootstrap}; Ctrl-C stops it", flush=True)
        code = broker.wait()
        return 0 if stopping else code
    finally:
        broker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    from faust.worker import Worker

    from agents import health
    from agents.worker import build_worker_app
    from pipeline.eventloop import use_event_loop
    from pipeline.profiling import profiled
    from pipeline.topics_admin import ensure_topics

    settings = _settings()
    if args.stages is not None:
        settings = replace(settings, stages=args.stages)
        settings.validate()  # an unknown stage stops the worker here, exit 2
    use_event_loop(settings)
    if not settings.broker:
        raise PatrolError("patrol worker needs PATROL_BROKER (start one with `patrol broker`)")
    from rules.context import province_from_settings

    province = province_from_settings(settings)
    ensure_topics(settings.broker, settings)  # a conflicting topic stops the worker before it consumes
    app = build_worker_app(settings, province, settings.broker)
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    try:
        with profiled(settings.profile_file):
            worker.execute_from_commandline()
    except SystemExit as exc:
        if health.DEATHS:  # an agent died: exit non-zero so that a supervisor restarts the worker
            print(f"patrol: error: agent died: {health.DEATHS}", file=sys.stderr)
            return health.EXIT_AGENT_DIED
        return int(exc.code or 0)
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from tools.replay import run_replay

    settings = _settings()
    result = run_replay(
        settings,
        tips=args.tips,
        weather=args.weather,
        teams=args.teams,
        acks=args.acks,
        detections=args.detections,
        out=args.out,
        tail=timedelta(hours=args.tail_hours),
    )
    print(result.summary())
    print(f"wrote {len(result.outputs)} output events to {args.out}")
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    from pipeline.clock import run_ticker

    settings = _settings()
    if not settings.broker:
        raise PatrolError("patrol clock needs PATROL_BROKER")
    asyncio.run(run_ticker(settings, settings.broker))
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from thermal.offline import detect_dir

    bad = detect_dir(args.folder, args.out, every_s=args.every)
    return 1 if bad else 0


def cmd_drill(args: argparse.Namespace) -> int:
    from drill.runner import run_drill
    from rules.context import province_from_settings

    settings = _settings()
    if args.cities:
        settings = replace(settings, cities=args.cities)
        settings.validate()
    province = province_from_settings(settings)
    output_dir(args.report, "drill report folder")  # before the night runs, not after it
    phones = None
    if args.phones:
        from cli.phones import console_phones

        phones = console_phones
    return run_drill(settings, province.centres, scenario=args.scenario, seed=args.seed, speed=args.speed, report=args.report, progress=not args.quiet,
                     phones=phones)


def cmd_console(args: argparse.Namespace) -> int:
    from console.calls import call_desk
    from console.commands import command_desk
    from console.ledger_api import ledger_screens
    from console.server import main as console_main

    settings = _settings()
    return console_main(settings, lambda s, bootstrap: [call_desk(s, bootstrap), command_desk(s, bootstrap), ledger_screens(s)])


def cmd_token(args: argparse.Namespace) -> int:
    from console.auth import add_token

    settings = _settings()
    token = add_token(settings.tokens_file, role=args.role, team_id=args.team, name=args.name, centres=args.centre,
                      known=list(settings.centre_dirs))
    print(token)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "pipeline":
        from rules.context import province_from_settings
        from tools.bench_pipeline import run_pipeline_bench, stage_layout

        settings = replace(_settings(), cities=args.cities)
        settings.validate()
        run_pipeline_bench(settings, province_from_settings(settings), tips=args.tips, rate=args.rate, low_rate=args.low_rate,
                           profile=not args.no_profile, split=stage_layout(args.split) if args.split else ())
        return 0
    from tools.bench_thermal import format_thermal_bench, run_thermal_bench

    print(format_thermal_bench(run_thermal_bench(n_frames=args.frames, seed=args.seed, real=args.real)))
    return 0


def _ledger(settings: Settings):  # type: ignore[no-untyped-def]
    """The ledger store (migrated) and the deployment's timezone (its first city's: report days)."""
    from geo.city import load_city
    from ledger.policy import load_ledger_policy
    from ledger.store import Store
    from rules.policy import load_policy

    policy = load_ledger_policy(settings.ledger_policy_file, outcomes=load_policy(settings.policy_file).outcomes)
    return Store.open(settings.ledger_database, policy), load_city(next(iter(settings.centre_dirs.values()))).timezone


def _number(lo: float, hi: float, *, whole: bool = False, above: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in lo..hi (`above`: strictly more than lo), a whole one for `whole`.

    `type=float` took nan, inf and 1e300 (a traceback once made a time span of), `type=int` a negative seed (numpy's
    traceback), 0 nights or a negative tail (runs that quietly did nothing).
    """
    def read(text: str) -> float:
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if whole else 'a number'}, got {text!r:.40}") from None
        if not math.isfinite(value) or value < lo or value > hi or (above and value == lo):
            low = f"more than {lo:g}" if above else f"at least {lo:g}"
            raise argparse.ArgumentTypeError(f"expected {low} and at most {hi:g}, got {text!r:.40}")
        return value

    read.__name__ = "whole number" if whole else "number"
    return read


SEED = _number(0, 2**32 - 1, whole=True)  # numpy's seeds


def _date(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    from core.validate import EARLIEST_YEAR, LATEST_YEAR, plausible_year

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None
    if not plausible_year(day):  # 0001-01-01 overflowed the report day's bounds (a traceback)
        raise argparse.ArgumentTypeError(f"expected a date in the years {EARLIEST_YEAR}..{LATEST_YEAR}, got {text!r}")
    return day


def cmd_ledger(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, time

    from ledger.migrations import current_version

    settings = _settings()
    if args.action == "run":
        from agents.ledger import run_ledger

        if not settings.broker:
            raise PatrolError("patrol ledger run needs PATROL_BROKER")
        store, _ = _ledger(settings)
        try:
            read = asyncio.run(run_ledger(settings, settings.broker, store, until_caught_up=args.once))
            if args.once:
                print(f"read {read} records; the ledger has caught up")
        finally:
            store.close()
        return 0
    if args.action == "drill":
        from drill.ledger_drill import format_ledger_scores, run_ledger_drill
        from rules.context import province_from_settings

        if args.cities:
            settings = replace(settings, cities=args.cities)
            settings.validate()
        output_dir(args.report, "ledger drill report folder")
        database = args.database
        if database is None:
            (args.report / "ledger.sqlite3").unlink(missing_ok=True)
            database = f"sqlite:///{(args.report / 'ledger.sqlite3').resolve()}"
        result = run_ledger_drill(settings, province_from_settings(settings).centres, database=database, nights=args.nights, seed=args.seed, out=args.report)
        print(format_ledger_scores(result))
        print(f"reports and scores.json in {args.report}")
        return 0
    store, tz = _ledger(settings)
    try:
        if args.action == "migrate":
            print(f"ledger schema version {current_version(store.db)} ({store.db.dialect})")
        elif args.action == "anonymize":
            as_of = datetime.combine(args.as_of, time(0), tzinfo=tz) if args.as_of else datetime.now(UTC)
            done = store.anonymize(as_of)
            print(f"anonymized {len(done.persons)} file(s) with no contact for {store.policy.retention_days} days before {as_of:%Y-%m-%d}")
            for person_id in done.persons:
                print(person_id)
            print(f"blanked the free text of {len(done.incidents)} incident(s) and {done.sweep_notes} sweep note(s)")
        elif args.action == "escalations":
            for row in store.escalations():
                print(f"{row['escalation_id']}  {row['person_id']}  {row['at']}  {row['reason']}")
    finally:
        store.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from ledger.report import to_csv, to_html

    settings = _settings()
    store, _ = _ledger(settings)
    try:
        sweeps = _centres(settings, store)
        centre = _centre(sweeps, args.centre) if args.centre else None
        tz = sweeps.cities[centre or sweeps.first].timezone
        if args.kind == "daily":
            if args.date is None:
                raise PatrolError("patrol report daily needs --date YYYY-MM-DD")
            first = last = args.date
            name = f"daily-{args.date.isoformat()}"
        else:
            span = store.span()
            first = args.date_from or (span[0].astimezone(tz).date() - timedelta(days=1) if span else datetime.now(tz).date())
            last = args.date_to or (span[1].astimezone(tz).date() if span else first)
            name = f"campaign-{first.isoformat()}-{last.isoformat()}"
        report = sweeps.report(store, args.kind, first, last, centre)
    finally:
        store.close()
    name = f"{centre}-{name}" if centre else name
    if args.out is None:
        sys.stdout.write(to_csv(report, args.lang))
        return 0
    output_dir(args.out, "report folder")
    (args.out / f"{name}-{args.lang}.csv").write_text(to_csv(report, args.lang), encoding="utf-8-sig", newline="")
    (args.out / f"{name}-{args.lang}.html").write_text(to_html(report, args.lang), encoding="utf-8")
    print(f"wrote {args.out / name}-{args.lang}.csv and .html")
    return 0


def _centres(settings: Settings, store: Store) -> LedgerCentres:
    """The deployment's centres over the ledger (`ledger.centres.LedgerCentres`): sweep lists and reports per centre."""
    from ledger.centres import LedgerCentres, deployment_cities

    return LedgerCentres(deployment_cities(settings), store.policy.sweep_radius_m)


def _centre(sweeps: LedgerCentres, asked: str | None) -> str:
    """The centre `--centre` names (default the first); a clear error for one not in PATROL_CITIES."""
    centre = asked or sweeps.first
    if centre not in sweeps.cities:
        raise ConfigError(f"--centre: {centre!r} is not a centre of PATROL_CITIES ({', '.join(sweeps.cities)})")
    return centre


def cmd_sweep(args: argparse.Namespace) -> int:
    import json
    from datetime import datetime

    settings = _settings()
    store, _ = _ledger(settings)
    try:
        sweeps = _centres(settings, store)
        centre = _centre(sweeps, args.centre)
        tonight = args.date or datetime.now(sweeps.cities[centre].timezone).date()
        level, stops = sweeps.sweep(store, tonight, args.level, centre)
    finally:
        store.close()
    if args.json:
        print(json.dumps([s.to_dict() for s in stops], ensure_ascii=False, indent=1))
        return 0
    print(f"sweep list of {centre} for the night of {tonight} (cold wave {level}): {len(stops)} place(s)")
    for s in stops:
        people = ", ".join(s.persons) or "-"
        place = f"  {s.place}" if s.place else ""
        print(f"{s.rank:>3}. risk {s.risk:6.3f}  {s.district:<10} ({s.lat:.5f}, {s.lon:.5f})  {s.hours}  nights {s.nights_seen}  persons {people}{place}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patrol",
        description="Streaming alerting pipeline for winter street rescue. Settings come from PATROL_* environment variables (see `patrol settings`).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        return p

    add("settings", cmd_settings, "print the settings read from the environment (secrets hidden)")
    add("check", cmd_check, "validate the policy, lexicon, city, ledger policy and tokens files and exit")
    p = add("broker", cmd_broker, "run the embedded Kafka-compatible broker (Tansu) in the foreground")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=_number(1, 65535, whole=True), default=9092, help="port (default 9092)")
    p = add("worker", cmd_worker, "run a pipeline worker (Faust agents) against PATROL_BROKER")
    p.add_argument("--stages", help="the stages to run, comma-separated, of intake, desk, notify (overrides PATROL_STAGES; default every stage); "
                   "a subset consumes in a consumer group of its own")
    add("clock", cmd_clock, "publish live wall-clock ticks to the clock topic every PATROL_TICK_SECONDS")
    p = add("replay", cmd_replay, "feed recorded JSON-lines files through the real pipeline under a simulated clock")
    p.add_argument("--tips", type=Path, required=True, help="tips, one JSON object per line")
    p.add_argument("--weather", type=Path, help="weather observations and warnings (JSON lines)")
    p.add_argument("--teams", type=Path, help="team-status records (JSON lines); default: every team of the city at its base")
    p.add_argument("--acks", type=Path, help="task-acks records (JSON lines)")
    p.add_argument("--detections", type=Path, help="thermal detections from edge devices (JSON lines)")
    p.add_argument("--tail-hours", type=_number(0, 168), default=2.0, help="simulated hours to keep the clock running after the last record (deadlines, follow-ups); default 2")
    p.add_argument("--out", type=Path, required=True, help="where to write every output event (JSON lines)")
    p = add("detect", cmd_detect, "run the thermal detector on a folder of frames (.png/.tif 16-bit centi-kelvin or 8-bit, .jpg 8-bit, .npy float °C) and videos (.mp4/.mov with NAME.SRT and NAME.json)")
    p.add_argument("folder", type=Path, help="folder of frames, each with an optional NAME.json metadata sidecar, and videos")
    p.add_argument("--every", type=_number(0, 3600, above=True), default=1.0, help="video: seconds of video between sampled frames (default 1)")
    p.add_argument("--out", type=Path, required=True, help="detections, one JSON object per line")
    p = add("drill", cmd_drill, "run a simulated winter night through the real pipeline and score it")
    p.add_argument("--scenario", default="default", help="scenario name (data/scenarios/NAME.toml) or path to a scenario file")
    p.add_argument("--seed", type=SEED, default=7, help="random seed (same seed, same decisions)")
    p.add_argument("--speed", type=_number(0, 1e6), default=0.0, help="simulated seconds per wall second (0: as fast as the pipeline goes)")
    p.add_argument("--report", type=Path, default=Path("out/drill"), help="folder for the scores JSON and the HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--phones", action="store_true", help="teams ack and report positions through a console's team API, as phones do")
    p.add_argument("--cities", default="", help="run the scenario in several cities at once, one dispatch centre each (e.g. harbin,qiqihar; "
                   "sets PATROL_CITIES); each city's report goes to REPORT/CITY/")
    add("console", cmd_console, "serve the dispatch console (calls, needs attention, operator commands) and the team API")
    p = add("token", cmd_token, "create an access token for the console or team API (printed once, stored hashed)")
    p.add_argument("action", choices=["add"])
    p.add_argument("role", choices=["operator", "supervisor", "team"])
    p.add_argument("--team", help="team id (role team)")
    p.add_argument("--name", help="who holds the token")
    p.add_argument("--centre", action="append", metavar="ID",
                   help="operator/supervisor: a dispatch centre (PATROL_CITIES) the token may see and command; repeat for several (none: every centre)")
    p = add("ledger", cmd_ledger, "the person ledger: feed it from the stream, migrate its schema, anonymize old files")
    p.add_argument("action", choices=["run", "migrate", "anonymize", "escalations", "drill"], help="run: consume dispatch/reports/conditions into the database and send each team's task what the ledger knows (task-hints); migrate: apply schema migrations; anonymize: apply the retention rule; escalations: list open social-work escalations; drill: the multi-night ledger drill, scored")
    p.add_argument("--once", action="store_true", help="run: stop once everything on the topics now has been read")
    p.add_argument("--nights", type=_number(1, 366, whole=True), default=3, help="drill: nights to run (default 3)")
    p.add_argument("--seed", type=SEED, default=7, help="drill: random seed")
    p.add_argument("--report", type=Path, default=Path("out/ledger-drill"), help="drill: folder for scores.json and the daily reports")
    p.add_argument("--database", help="drill: database URL (default: a fresh SQLite file in the report folder)")
    p.add_argument("--cities", default="", help="drill: several cities at once, one dispatch centre each, one ledger (e.g. harbin,qiqihar; default PATROL_CITIES)")
    p.add_argument("--as-of", type=_date, help="anonymize: the date the retention period counts back from (default: today)")
    p = add("report", cmd_report, "reports up the chain: the daily report (日报) or campaign totals, as CSV and printable HTML")
    p.add_argument("kind", choices=["daily", "campaign"])
    p.add_argument("--date", type=_date, help="daily: the report day YYYY-MM-DD (the night that starts on it)")
    p.add_argument("--from", dest="date_from", type=_date, help="campaign: first report day (default: the ledger's first)")
    p.add_argument("--to", dest="date_to", type=_date, help="campaign: last report day (default: the ledger's last)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument("--out", type=Path, help="folder for NAME-LANG.csv and NAME-LANG.html (default: CSV on stdout)")
    p.add_argument("--centre", help="one dispatch centre's report (one of PATROL_CITIES): its incidents, persons, tips and weather, "
                   "days in its city's time zone (default: the whole deployment, days in the first city's zone)")
    p = add("sweep", cmd_sweep, "tonight's proactive sweep list (主动排查): places people were found (hours, people) and the city's gathering places, ranked by risk")
    p.add_argument("--date", type=_date, help="the night to plan, YYYY-MM-DD (default: today)")
    p.add_argument("--level", choices=["none", "blue", "yellow", "orange", "red"], help="tonight's forecast cold-wave level (default: the latest in the centre's districts)")
    p.add_argument("--centre", help="the dispatch centre whose list (one of PATROL_CITIES; default the first): its own incidents and gathering places")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add("bench", cmd_bench, "benchmarks: pipeline throughput/latency or thermal detection quality/speed")
    p.add_argument("what", choices=["pipeline", "thermal"])
    p.add_argument("--tips", type=_number(1, 10**6, whole=True), default=3000, help="pipeline: tips to push (one second of event time apart; at most the policy's max_ahead_min × 60)")
    p.add_argument("--rate", type=_number(0, 10**6, above=True), default=500.0, help="pipeline: offered rate for the latency run (tips/s)")
    p.add_argument("--low-rate", type=_number(0, 10**6, above=True), default=50.0,
                   help="pipeline: the low offered rate after the latency run (tips/s): each hop's cost without a queue")
    p.add_argument("--no-profile", action="store_true", help="pipeline: skip the profiled worker run")
    p.add_argument("--split", nargs="?", const="intake,notify/desk", metavar="SETS",
                   help="pipeline: each run again with the worker split by stage, one process per stage set separated by '/' "
                   "(default intake,notify/desk: the desk alone; e.g. intake/desk,notify), printed beside the one worker's figures")
    p.add_argument("--cities", default="harbin,qiqihar", help="pipeline: runs with the first city alone, then with the first two (default harbin,qiqihar)")
    p.add_argument("--frames", type=_number(1, 10**6, whole=True), default=200, help="thermal: frames to generate")
    p.add_argument("--seed", type=SEED, default=11, help="thermal: generator seed")
    p.add_argument("--real", type=Path, help="thermal: also score a folder of labelled real frames (frames, NAME.json sidecars, labels.json)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.fn(args))
    except PatrolError as exc:
        print(f"patrol: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`patrol`: one binary with a subcommand for every role.

Every subcommand reads the same settings from the environment (see
`patrol settings`). Errors in configuration or data files print the file,
the line and the reason, and exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import PatrolError
from core.settings import Settings

if TYPE_CHECKING:
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
    print(f"lexicon {settings.lexicon_file}: {len(ctx.lexicon.patterns)} flags")
    city = ctx.city
    print(
        f"city    {settings.city_dir}: {city.name}; {len(city.districts)} districts, {len(city.zones)} zones, "
        f"{len(city.help_points)} help points, {len(city.teams)} teams, {len(city.places)} places"
    )
    return 0


def cmd_broker(args: argparse.Namespace) -> int:
    from pipeline.broker import EmbeddedBroker

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so that `finally` stops the broker child on SIGTERM too

    signal.signal(signal.SIGTERM, interrupted)
    broker = EmbeddedBroker(host=args.host, port=args.port)
    try:
        broker.start()
        print(f"embedded broker (Tansu, memory storage) on {broker.bootstrap}; Ctrl-C stops it", flush=True)
        return broker.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        broker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    from faust.worker import Worker

    from agents import health
    from agents.worker import build_worker_app
    from pipeline.profiling import profiled
    from pipeline.topics_admin import ensure_topics

    settings = _settings()
    if not settings.broker:
        raise PatrolError("patrol worker needs PATROL_BROKER (start one with `patrol broker`)")
    ctx = _context(settings)
    ensure_topics(settings.broker, settings)  # a conflicting topic stops the worker before it consumes
    app = build_worker_app(settings, ctx, settings.broker)
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
    ctx = _context(settings)
    result = run_replay(
        settings,
        ctx,
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

    bad = detect_dir(args.folder, args.out)
    return 1 if bad else 0


def cmd_drill(args: argparse.Namespace) -> int:
    from drill.runner import run_drill

    settings = _settings()
    ctx = _context(settings)
    return run_drill(settings, ctx, scenario=args.scenario, seed=args.seed, speed=args.speed, report=args.report, progress=not args.quiet)


def cmd_console(args: argparse.Namespace) -> int:
    from console.calls import call_desk
    from console.server import main as console_main

    settings = _settings()
    return console_main(settings, lambda s, bootstrap: [call_desk(s, bootstrap)])


def cmd_token(args: argparse.Namespace) -> int:
    from console.auth import add_token

    settings = _settings()
    token = add_token(settings.tokens_file, role=args.role, team_id=args.team, name=args.name)
    print(token)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    if args.what == "pipeline":
        from tools.bench_pipeline import run_pipeline_bench

        settings = _settings()
        ctx = _context(settings)
        run_pipeline_bench(settings, ctx, tips=args.tips, rate=args.rate, profile=not args.no_profile)
        return 0
    from tools.bench_thermal import format_thermal_bench, run_thermal_bench

    print(format_thermal_bench(run_thermal_bench(n_frames=args.frames, seed=args.seed)))
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
    add("check", cmd_check, "validate the policy, lexicon and city files and exit")
    p = add("broker", cmd_broker, "run the embedded Kafka-compatible broker (Tansu) in the foreground")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9092, help="port (default 9092)")
    add("worker", cmd_worker, "run a pipeline worker (Faust agents) against PATROL_BROKER")
    add("clock", cmd_clock, "publish live wall-clock ticks to the clock topic every PATROL_TICK_SECONDS")
    p = add("replay", cmd_replay, "feed recorded JSON-lines files through the real pipeline under a simulated clock")
    p.add_argument("--tips", type=Path, required=True, help="tips, one JSON object per line")
    p.add_argument("--weather", type=Path, help="weather observations and warnings (JSON lines)")
    p.add_argument("--teams", type=Path, help="team-status records (JSON lines); default: every team of the city at its base")
    p.add_argument("--acks", type=Path, help="task-acks records (JSON lines)")
    p.add_argument("--detections", type=Path, help="thermal detections from edge devices (JSON lines)")
    p.add_argument("--tail-hours", type=float, default=2.0, help="simulated hours to keep the clock running after the last record (deadlines, follow-ups); default 2")
    p.add_argument("--out", type=Path, required=True, help="where to write every output event (JSON lines)")
    p = add("detect", cmd_detect, "run the thermal detector on a folder of frames (.png/.tif 16-bit centi-kelvin, .npy float °C)")
    p.add_argument("folder", type=Path, help="folder of frames, each with an optional NAME.json metadata sidecar")
    p.add_argument("--out", type=Path, required=True, help="detections, one JSON object per line")
    p = add("drill", cmd_drill, "run a simulated winter night through the real pipeline and score it")
    p.add_argument("--scenario", default="default", help="scenario name (data/scenarios/NAME.toml) or path to a scenario file")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same decisions)")
    p.add_argument("--speed", type=float, default=0.0, help="simulated seconds per wall second (0: as fast as the pipeline goes)")
    p.add_argument("--report", type=Path, default=Path("out/drill"), help="folder for the scores JSON and the HTML report")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add("console", cmd_console, "serve the dispatch console and the team API")
    p = add("token", cmd_token, "create an access token for the console or team API (printed once, stored hashed)")
    p.add_argument("action", choices=["add"])
    p.add_argument("role", choices=["operator", "supervisor", "team"])
    p.add_argument("--team", help="team id (role team)")
    p.add_argument("--name", help="who holds the token")
    p = add("bench", cmd_bench, "benchmarks: pipeline throughput/latency or thermal detection quality/speed")
    p.add_argument("what", choices=["pipeline", "thermal"])
    p.add_argument("--tips", type=int, default=3000, help="pipeline: tips to push")
    p.add_argument("--rate", type=float, default=500.0, help="pipeline: offered rate for the latency run (tips/s)")
    p.add_argument("--no-profile", action="store_true", help="pipeline: skip the profiled worker run")
    p.add_argument("--frames", type=int, default=200, help="thermal: frames to generate")
    p.add_argument("--seed", type=int, default=11, help="thermal: generator seed")
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

"""The compose file and the image cannot run here; keep them honest against the code instead."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

import yaml

from cli.main import build_parser
from core.settings import PROJECT_ROOT, Settings

COMPOSE_TEXT = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SETTING_VARS = {str(f.metadata["env"]) for f in fields(Settings)}


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    return {str(k): str(v) for k, v in env.items()}


def test_services_and_images() -> None:
    services = COMPOSE["services"]
    assert {"kafka", "worker", "clock", "console", "simulator"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert services["worker"]["deploy"]["replicas"] >= 2
    for name in ("worker", "clock", "console", "simulator"):
        assert services[name]["image"] == "patrol:latest"


def test_every_patrol_variable_is_a_setting_the_code_reads() -> None:
    for name, service in COMPOSE["services"].items():
        for var in _env(service):
            if var.startswith("PATROL_"):
                assert var in SETTING_VARS, f"{name}: {var} is not read by core.settings"
    for name in ("worker", "clock", "console", "simulator"):
        env = _env(COMPOSE["services"][name])
        assert env["PATROL_BROKER"] == "kafka:9092"
        Settings.from_env(env)  # every value parses


def test_two_workers_share_two_centres_on_distinct_partitions_and_the_drill_runs_both() -> None:
    from pipeline.partitioning import home_partition

    services = COMPOSE["services"]
    settings = Settings.from_env(_env(services["worker"]))
    centres = list(settings.centre_dirs)
    assert len(centres) >= 2 and services["worker"]["deploy"]["replicas"] >= 2
    homes = {home_partition(c, settings.partitions) for c in centres}
    assert len(homes) == len(centres), f"centres {centres} share a desk partition of {settings.partitions}: one worker would hold both"
    command = services["simulator"]["command"]
    assert build_parser().parse_args(command).cities == settings.cities


def test_commands_are_real_subcommands() -> None:
    parser = build_parser()
    for name in ("worker", "clock", "console", "simulator"):
        command = COMPOSE["services"][name]["command"]
        args = parser.parse_args(command)
        assert args.command == command[0]


def test_console_port_matches_published_port() -> None:
    console = COMPOSE["services"]["console"]
    port = _env(console)["PATROL_CONSOLE_PORT"]
    assert any(str(p).endswith(f":{port}") for p in console["ports"])


def test_image_copies_every_package() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \1$", dockerfile, re.MULTILINE))
    assert packages <= copied, f"the image misses {sorted(packages - copied)}"
    assert set(pyproject["tool"]["importlinter"]["root_packages"]) == packages


def test_commented_security_variables_are_settings() -> None:
    """The commented Kafka security lines show real variables, every one of them, and no secret value."""
    commented = dict(re.findall(r"^\s*#\s*(PATROL_[A-Z_]+):\s*(\S+)", COMPOSE_TEXT, flags=re.M))
    security = {v for v in SETTING_VARS if v.startswith("PATROL_KAFKA_")}
    assert security and security <= set(commented)
    assert set(commented) <= SETTING_VARS
    secrets = {str(f.metadata["env"]) for f in fields(Settings) if f.metadata["secret"]} & set(commented)
    assert all(commented[v].startswith("${") or v == "PATROL_KAFKA_SSL_KEYFILE" for v in secrets)
def test_console_is_published_on_loopback_with_its_own_tokens() -> None:
    console = COMPOSE["services"]["console"]
    assert all(str(p).startswith("127.0.0.1:") for p in console["ports"]), console["ports"]
    tokens = _env(console)["PATROL_TOKENS"]
    assert "data/tokens.json" not in tokens  # never the demo file
    assert "PATROL_ALLOW_DEMO_TOKENS" not in _env(console)
    assert set(console["secrets"]) <= set(COMPOSE["secrets"])
    for name in ("worker", "console", "clock"):
        assert COMPOSE["services"][name]["restart"] == "unless-stopped"  # a worker exits when an agent dies

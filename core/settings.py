"""One frozen, typed settings object, read from the environment once at start.

Every setting names its environment variable; nothing else in the product
reads configuration. Secrets (tokens) live in files named here, never in the
printed settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"


def _meta(env: str, doc: str, secret: bool = False) -> dict[str, object]:
    return {"env": env, "doc": doc, "secret": secret}


@dataclass(frozen=True)
class Settings:
    broker: str = field(default="", metadata=_meta("PATROL_BROKER", "Kafka bootstrap servers; empty starts the embedded Tansu broker"))
    city_dir: Path = field(default=DATA_DIR / "cities" / "harbin", metadata=_meta("PATROL_CITY", "folder of the city's GeoJSON layers"))
    policy_file: Path = field(default=DATA_DIR / "policy.toml", metadata=_meta("PATROL_POLICY", "policy file (TOML)"))
    lexicon_file: Path = field(default=DATA_DIR / "lexicon.toml", metadata=_meta("PATROL_LEXICON", "bilingual flag lexicon (TOML)"))
    topic_prefix: str = field(default="", metadata=_meta("PATROL_TOPIC_PREFIX", "prefix for every topic name (isolates tenants and tests)"))
    app_id: str = field(default="patrol", metadata=_meta("PATROL_APP_ID", "Faust application id (consumer group)"))
    partitions: int = field(default=1, metadata=_meta("PATROL_PARTITIONS", "partitions per topic (workers scale up to this)"))
    replication: int = field(default=1, metadata=_meta("PATROL_REPLICATION", "replication factor of created topics"))
    guarantee: str = field(default="at_least_once", metadata=_meta("PATROL_GUARANTEE", "at_least_once or exactly_once (real Kafka only)"))
    state_dir: Path = field(default=PROJECT_ROOT / "var" / "state", metadata=_meta("PATROL_STATE_DIR", "worker-local table state"))
    web_port: int = field(default=6066, metadata=_meta("PATROL_WEB_PORT", "worker web/liveness port (one per worker)"))
    web_host: str = field(default="127.0.0.1", metadata=_meta("PATROL_WEB_HOST", "worker web/liveness bind address"))
    console_host: str = field(default="127.0.0.1", metadata=_meta("PATROL_CONSOLE_HOST", "console bind address"))
    console_port: int = field(default=8080, metadata=_meta("PATROL_CONSOLE_PORT", "console and team API port"))
    tokens_file: Path = field(default=DATA_DIR / "tokens.json", metadata=_meta("PATROL_TOKENS", "hashed access tokens for console and team API", secret=True))
    commit_interval: float = field(default=0.05, metadata=_meta("PATROL_COMMIT_INTERVAL", "seconds between offset commits (small: fewer redeliveries after a crash)"))
    tick_seconds: float = field(default=60.0, metadata=_meta("PATROL_TICK_SECONDS", "live clock ticker period"))
    log_level: str = field(default="WARNING", metadata=_meta("PATROL_LOG_LEVEL", "log level"))
    database_url: str = field(default="", metadata=_meta("PATROL_DATABASE_URL", "ledger database: postgresql://user:pass@host/db, or empty for SQLite at PATROL_STATE_DIR/ledger.sqlite3", secret=True))
    ledger_policy_file: Path = field(default=DATA_DIR / "ledger.toml", metadata=_meta("PATROL_LEDGER_POLICY", "ledger policy: retention, matching, refusals, sweeps (TOML)"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from the environment; a bad value names its variable."""
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            name = str(f.metadata["env"])
            raw = source.get(name)
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(name, raw, f.default)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.guarantee not in ("at_least_once", "exactly_once"):
            raise ConfigError(f"PATROL_GUARANTEE must be at_least_once or exactly_once, not {self.guarantee!r}")
        if self.partitions < 1:
            raise ConfigError("PATROL_PARTITIONS must be at least 1")
        if self.tick_seconds <= 0:
            raise ConfigError("PATROL_TICK_SECONDS must be positive")

    def describe(self) -> dict[str, str]:
        """Settings for display, secrets hidden."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[str(f.metadata["env"])] = "***" if f.metadata["secret"] else str(value)
        return out

    def to_env(self) -> dict[str, str]:
        """Every setting as its environment variable, so a child process reads back these settings.

        `Settings.from_env(s.to_env()) == s`: tools start workers with this
        instead of spelling `PATROL_*` names themselves.
        """
        return {str(f.metadata["env"]): _to_text(getattr(self, f.name)) for f in fields(self)}

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def ledger_database(self) -> str:
        """The ledger's database URL: PATROL_DATABASE_URL, or the embedded SQLite file under the state dir."""
        return self.database_url or f"sqlite:///{self.state_dir / 'ledger.sqlite3'}"


def _to_text(value: object) -> str:
    """The environment spelling of one setting's value (`_convert` reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _convert(name: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: expected {type(default).__name__}") from exc
    return raw

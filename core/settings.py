"""One frozen, typed settings object, read from the environment once at start.

Every setting names its environment variable; nothing else in the product
reads configuration. Secrets (tokens) live in files named here, never in the
printed settings.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from core.errors import ConfigError
from core.topics import STAGES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"


def _meta(env: str, doc: str, secret: bool = False) -> dict[str, object]:
    return {"env": env, "doc": doc, "secret": secret}


@dataclass(frozen=True)
class Settings:
    broker: str = field(default="", metadata=_meta("PATROL_BROKER", "Kafka bootstrap servers; empty starts the embedded Tansu broker"))
    city_dir: Path = field(default=DATA_DIR / "cities" / "harbin", metadata=_meta("PATROL_CITY", "folder of the city's GeoJSON layers"))
    cities: str = field(default="", metadata=_meta("PATROL_CITIES", "comma-separated city folders (names under data/cities, or paths), one dispatch centre each; empty: PATROL_CITY alone"))
    policy_file: Path = field(default=DATA_DIR / "policy.toml", metadata=_meta("PATROL_POLICY", "policy file (TOML)"))
    lexicon_file: Path = field(default=DATA_DIR / "lexicon.toml", metadata=_meta("PATROL_LEXICON", "bilingual flag lexicon (TOML)"))
    topic_prefix: str = field(default="", metadata=_meta("PATROL_TOPIC_PREFIX", "prefix for every topic name (isolates tenants and tests)"))
    app_id: str = field(default="patrol", metadata=_meta("PATROL_APP_ID", "Faust application id (consumer group of a worker running every stage; names the tables' changelogs)"))
    stages: str = field(default=",".join(STAGES), metadata=_meta("PATROL_STAGES", f"the worker's stages, comma-separated, of {', '.join(STAGES)}; "
                                                                  "a subset consumes in a group of its own, PATROL_APP_ID-STAGE-..."))
    partitions: int = field(default=1, metadata=_meta("PATROL_PARTITIONS", "partitions of the scaled topics and, exactly, of the desk's inputs (workers share the dispatch centres up to this)"))
    replication: int = field(default=1, metadata=_meta("PATROL_REPLICATION", "replication factor of created topics"))
    guarantee: str = field(default="at_least_once", metadata=_meta("PATROL_GUARANTEE", "at_least_once or exactly_once (real Kafka only)"))
    state_dir: Path = field(default=PROJECT_ROOT / "var" / "state", metadata=_meta("PATROL_STATE_DIR", "worker-local table state"))
    web_port: int = field(default=6066, metadata=_meta("PATROL_WEB_PORT", "worker web/liveness port (one per worker)"))
    web_host: str = field(default="127.0.0.1", metadata=_meta("PATROL_WEB_HOST", "worker web/liveness bind address"))
    console_host: str = field(default="127.0.0.1", metadata=_meta("PATROL_CONSOLE_HOST", "console bind address"))
    console_port: int = field(default=8080, metadata=_meta("PATROL_CONSOLE_PORT", "console and team API port"))
    allow_demo_tokens: bool = field(default=False, metadata=_meta("PATROL_ALLOW_DEMO_TOKENS", "let the console listen beyond loopback with the published demo tokens (demos only)"))
    tokens_file: Path = field(default=DATA_DIR / "tokens.json", metadata=_meta("PATROL_TOKENS", "hashed access tokens for console and team API", secret=True))
    console_trusted_proxies: str = field(default="", metadata=_meta("PATROL_CONSOLE_TRUSTED_PROXIES", "addresses or networks (comma-separated) of reverse proxies whose X-Forwarded-For names the client; empty: none"))
    console_write_rate: float = field(default=10.0, metadata=_meta("PATROL_CONSOLE_WRITE_RATE", "writes per second one token may keep up (acks, statuses, notes); more are 429 with Retry-After"))
    console_write_burst: int = field(default=60, metadata=_meta("PATROL_CONSOLE_WRITE_BURST", "writes one token may send at once before PATROL_CONSOLE_WRITE_RATE applies (a phone's outbox after a dead zone)"))
    commit_interval: float = field(default=0.05, metadata=_meta("PATROL_COMMIT_INTERVAL", "seconds between offset commits (small: fewer redeliveries after a crash)"))
    tick_seconds: float = field(default=60.0, metadata=_meta("PATROL_TICK_SECONDS", "live clock ticker period"))
    exercise: bool = field(default=False, metadata=_meta("PATROL_EXERCISE", "mark partner notices (CAP status Exercise) and reporter messages as a drill; drills set it"))
    log_level: str = field(default="WARNING", metadata=_meta("PATROL_LOG_LEVEL", "log level"))
    event_loop: str = field(default="uvloop", metadata=_meta("PATROL_EVENT_LOOP", "event loop of the worker, console and benches: uvloop or asyncio"))
    profile_file: str = field(default="", metadata=_meta("PATROL_PROFILE", "write a cProfile of the worker (all threads) to this file when it stops; empty: off"))
    # Kafka security (production clusters; the embedded broker speaks PLAINTEXT only): pipeline/kafka_security.py
    kafka_security_protocol: str = field(default="PLAINTEXT", metadata=_meta("PATROL_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"))
    kafka_sasl_mechanism: str = field(default="PLAIN", metadata=_meta("PATROL_KAFKA_SASL_MECHANISM", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL_* protocols)"))
    kafka_sasl_username: str = field(default="", metadata=_meta("PATROL_KAFKA_SASL_USERNAME", "SASL user name"))
    kafka_sasl_password: str = field(default="", metadata=_meta("PATROL_KAFKA_SASL_PASSWORD", "SASL password", secret=True))
    kafka_ssl_cafile: str = field(default="", metadata=_meta("PATROL_KAFKA_SSL_CAFILE", "CA bundle (PEM) that signed the brokers' certificates; empty: the system's CAs"))
    kafka_ssl_certfile: str = field(default="", metadata=_meta("PATROL_KAFKA_SSL_CERTFILE", "client certificate (PEM) for mutual TLS"))
    kafka_ssl_keyfile: str = field(default="", metadata=_meta("PATROL_KAFKA_SSL_KEYFILE", "client private key (PEM) for mutual TLS", secret=True))
    kafka_ssl_key_password: str = field(default="", metadata=_meta("PATROL_KAFKA_SSL_KEY_PASSWORD", "password of the client private key", secret=True))
    database_url: str = field(default="", metadata=_meta("PATROL_DATABASE_URL", "ledger database: postgresql://user:pass@host/db, or empty for SQLite at PATROL_STATE_DIR/ledger.sqlite3", secret=True))
    ledger_policy_file: Path = field(default=DATA_DIR / "ledger.toml", metadata=_meta("PATROL_LEDGER_POLICY", "ledger policy: retention, matching, refusals, sweeps (TOML)"))

    def __post_init__(self) -> None:
        # A city folder's name is its centre's id: `PATROL_CITY=.` (started inside the folder) named a centre "", an
        # empty key on every desk input and in every incident id.
        object.__setattr__(self, "city_dir", named_folder(self.city_dir))

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
        if self.event_loop not in ("uvloop", "asyncio"):
            raise ConfigError(f"PATROL_EVENT_LOOP must be uvloop or asyncio, not {self.event_loop!r}")
        for name, value, empty_ok in (("PATROL_TOPIC_PREFIX", self.topic_prefix, True), ("PATROL_APP_ID", self.app_id, False)):
            # Kafka's topic names (and Faust's changelog topics, named after the app id): these characters, at most 249
            # in all. Anything else was refused later, by the broker, with a traceback.
            if not _KAFKA_NAME.fullmatch(value) or value in (".", "..") or (not value and not empty_ok):
                raise ConfigError(f"{name}={value!r:.60}: only letters, digits, '.', '_' and '-', at most {MAX_NAME_PART} characters "
                                  "(it names Kafka topics)")
        _ = self.stage_set
        if self.partitions < 1:
            raise ConfigError("PATROL_PARTITIONS must be at least 1")
        if self.tick_seconds <= 0:
            raise ConfigError("PATROL_TICK_SECONDS must be positive")
        if not (self.console_write_rate > 0 and math.isfinite(self.console_write_rate)):
            raise ConfigError(f"PATROL_CONSOLE_WRITE_RATE must be a positive number of writes per second, not {self.console_write_rate}")
        if self.console_write_burst < 1:
            raise ConfigError(f"PATROL_CONSOLE_WRITE_BURST must be at least 1, not {self.console_write_burst}")
        _ = self.console_trusted_networks
        if self.commit_interval <= 0:
            raise ConfigError("PATROL_COMMIT_INTERVAL must be positive")
        if self.replication < 1:
            raise ConfigError("PATROL_REPLICATION must be at least 1")
        for name, port in (("PATROL_WEB_PORT", self.web_port), ("PATROL_CONSOLE_PORT", self.console_port)):
            if not 1 <= port <= 65535:
                raise ConfigError(f"{name} must be a port 1..65535, not {port}")
        if self.log_level.upper() not in logging.getLevelNamesMapping():
            raise ConfigError(f"PATROL_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {self.log_level!r}")
        validate_kafka_security(self)
        _ = self.centre_dirs

    @property
    def console_trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """PATROL_CONSOLE_TRUSTED_PROXIES as networks (an address is a network of one)."""
        out = []
        for entry in (e.strip() for e in self.console_trusted_proxies.split(",")):
            if not entry:
                continue
            try:
                out.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ConfigError(f"PATROL_CONSOLE_TRUSTED_PROXIES: {entry!r:.60} is no IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)") from None
        return tuple(out)

    @property
    def centre_dirs(self) -> dict[str, Path]:
        """The deployment's dispatch centres in order: id (the folder's name) -> city folder."""
        if not self.cities.strip():
            return {self.city_dir.name: self.city_dir}
        out: dict[str, Path] = {}
        for entry in (e.strip() for e in self.cities.split(",")):
            if not entry:
                continue
            path = named_folder(Path(entry)) if ("/" in entry or entry.startswith(".")) else DATA_DIR / "cities" / entry
            if not path.is_dir():
                raise ConfigError(f"PATROL_CITIES: {entry!r} is not a city folder ({path})")
            if path.name in out:
                raise ConfigError(f"PATROL_CITIES: centre {path.name!r} is named twice")
            out[path.name] = path
        if not out:
            raise ConfigError("PATROL_CITIES names no city")
        return out

    @property
    def stage_set(self) -> tuple[str, ...]:
        """PATROL_STAGES in the pipeline's order, each once: which agents this worker registers."""
        named = {s.strip().lower() for s in self.stages.split(",") if s.strip()}
        unknown = sorted(named - set(STAGES))
        if unknown or not named:
            raise ConfigError(f"PATROL_STAGES={self.stages!r:.60}: " + (f"unknown stage {', '.join(unknown)}; " if unknown else "no stage; ")
                              + f"expected some of {', '.join(STAGES)}, comma-separated")
        return tuple(s for s in STAGES if s in named)

    @property
    def group_id(self) -> str:
        """The consumer group (Faust app id) of this worker's stage set.

        Every stage: PATROL_APP_ID, as before stages could be split, so a running
        deployment keeps its committed offsets. A subset: a group of its own
        (`patrol-desk-notify`), so workers of different stage sets never take each
        other's partitions, and workers of the same set share them.
        """
        chosen = self.stage_set
        return self.app_id if chosen == STAGES else "-".join((self.app_id, *chosen))

    def __repr__(self) -> str:
        """The dataclass's repr with secret settings as `***`: it printed passwords into any log line or traceback
        naming the settings."""
        shown = ", ".join(f"{f.name}={'***' if f.metadata['secret'] else getattr(self, f.name)!r}" for f in fields(self))
        return f"{type(self).__name__}({shown})"

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


def named_folder(path: Path) -> Path:
    """A folder written so that its name is empty or `..` (`.`, `./`, `city/..`), made absolute (links not followed) so
    that it has its own name; any other path as written."""
    return Path(os.path.abspath(path)) if path.name in ("", "..") else path


MAX_NAME_PART = 100  # of a topic prefix or app id: the longest topic built on them stays under Kafka's 249 characters
_KAFKA_NAME = re.compile(rf"[A-Za-z0-9._-]{{0,{MAX_NAME_PART}}}")


def _to_text(value: object) -> str:
    """The environment spelling of one setting's value (`_convert` reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _convert(name: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            word = raw.strip().lower()
            if word not in _TRUE + _FALSE:  # "maybe" (or a typo of "true") was read as false
                raise ValueError(word)
            return word in _TRUE
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            number = float(raw)
            if not math.isfinite(number):  # nan passed every `<= 0` check: a ticker sleeping nan seconds
                raise ValueError(raw)
            return number
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as exc:
        expected = {"bool": "true or false (1/0, yes/no, on/off)", "float": "a finite number"}.get(type(default).__name__, type(default).__name__)
        raise ConfigError(f"{name}={raw!r}: expected {expected}") from exc
    return raw


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def validate_kafka_security(settings: Settings) -> None:
    """Refuse a security setting that cannot work, naming its variable, before any client tries."""
    protocol = settings.kafka_security_protocol.upper()
    if protocol not in KAFKA_SECURITY_PROTOCOLS:
        raise ConfigError(f"PATROL_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol!r}: expected one of {', '.join(KAFKA_SECURITY_PROTOCOLS)}")
    if protocol != "PLAINTEXT" and not settings.broker:
        raise ConfigError(f"PATROL_KAFKA_SECURITY_PROTOCOL={protocol} needs PATROL_BROKER: the embedded broker speaks PLAINTEXT only")
    if protocol.startswith("SASL_"):
        if settings.kafka_sasl_mechanism.upper() not in KAFKA_SASL_MECHANISMS:
            raise ConfigError(f"PATROL_KAFKA_SASL_MECHANISM={settings.kafka_sasl_mechanism!r}: expected one of {', '.join(KAFKA_SASL_MECHANISMS)}")
        for name, value in (("PATROL_KAFKA_SASL_USERNAME", settings.kafka_sasl_username), ("PATROL_KAFKA_SASL_PASSWORD", settings.kafka_sasl_password)):
            if not value:
                raise ConfigError(f"{name} is required with PATROL_KAFKA_SECURITY_PROTOCOL={protocol}")
    tls = protocol in ("SSL", "SASL_SSL")
    files = (
        ("PATROL_KAFKA_SSL_CAFILE", settings.kafka_ssl_cafile),
        ("PATROL_KAFKA_SSL_CERTFILE", settings.kafka_ssl_certfile),
        ("PATROL_KAFKA_SSL_KEYFILE", settings.kafka_ssl_keyfile),
    )
    for name, value in files:
        if value and not tls:
            raise ConfigError(f"{name} is set but PATROL_KAFKA_SECURITY_PROTOCOL={protocol} does not use TLS (SSL or SASL_SSL)")
        if value and not Path(value).is_file():
            raise ConfigError(f"{name}={value!r}: no such file")
    if settings.kafka_ssl_keyfile and not settings.kafka_ssl_certfile:
        raise ConfigError("PATROL_KAFKA_SSL_KEYFILE needs PATROL_KAFKA_SSL_CERTFILE (the client certificate)")

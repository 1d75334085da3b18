"""Settings back to environment variables: what a worker started by a tool reads."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from core.settings import Settings


def test_to_env_round_trips_every_setting() -> None:
    changed = replace(
        Settings(),
        broker="127.0.0.1:9999",
        topic_prefix="run1-",
        app_id="patrol-run1",
        partitions=3,
        state_dir=Path("/tmp/state dir"),
        commit_interval=0.1 + 0.2,  # a float whose short spelling is not exact
        tick_seconds=7.5,
        log_level="INFO",
        allow_demo_tokens=True,
        exercise=True,
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="patrol",
        kafka_sasl_password="s3cret",  # a worker needs its secrets too
    )
    env = changed.to_env()
    assert set(env) == {str(f.metadata["env"]) for f in fields(Settings)}
    assert all(isinstance(v, str) for v in env.values())
    assert env["PATROL_PARTITIONS"] == "3" and env["PATROL_STATE_DIR"] == "/tmp/state dir" and env["PATROL_EXERCISE"] == "true"
    assert Settings.from_env(env) == changed


def test_to_env_of_defaults_reads_back_as_defaults() -> None:
    assert Settings.from_env(Settings().to_env()) == Settings()


def test_the_ledger_database_is_sqlite_under_the_state_dir_unless_a_url_is_given() -> None:
    settings = Settings.from_env({"PATROL_STATE_DIR": "/srv/patrol"})
    assert settings.ledger_database == "sqlite:////srv/patrol/ledger.sqlite3"
    url = "postgresql://patrol:s3cret@db:5432/patrol"
    with_pg = Settings.from_env({"PATROL_DATABASE_URL": url})
    assert with_pg.ledger_database == url
    assert with_pg.describe()["PATROL_DATABASE_URL"] == "***" and "s3cret" not in str(with_pg.describe())


def test_cities_name_the_centres_in_order_and_a_bad_one_names_its_variable() -> None:
    import pytest

    from core.errors import ConfigError
    from core.settings import DATA_DIR

    assert Settings().centre_dirs == {"harbin": DATA_DIR / "cities" / "harbin"}  # PATROL_CITY alone
    two = Settings.from_env({"PATROL_CITIES": "qiqihar, harbin"})
    assert list(two.centre_dirs) == ["qiqihar", "harbin"]
    assert Settings.from_env(two.to_env()) == two
    for bad, said in (("harbin,atlantis", "'atlantis' is not a city folder"), ("harbin,harbin", "named twice"), (" , ", "names no city")):
        with pytest.raises(ConfigError, match="PATROL_CITIES") as err:
            Settings.from_env({"PATROL_CITIES": bad})
        assert said in str(err.value)

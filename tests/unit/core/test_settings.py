"""Settings back to environment variables: what a worker started by a tool reads."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR, Settings


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


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        # nan and inf passed every check (a ticker sleeping nan seconds); "maybe" read as false; ports and a
        # replication factor no broker or socket takes, and a log level no logger knows, were taken silently
        ({"PATROL_TICK_SECONDS": "nan"}, "PATROL_TICK_SECONDS='nan': expected a finite number"),
        ({"PATROL_COMMIT_INTERVAL": "inf"}, "PATROL_COMMIT_INTERVAL='inf': expected a finite number"),
        ({"PATROL_COMMIT_INTERVAL": "-1"}, "PATROL_COMMIT_INTERVAL must be positive"),
        ({"PATROL_EXERCISE": "maybe"}, "PATROL_EXERCISE='maybe': expected true or false"),
        ({"PATROL_REPLICATION": "0"}, "PATROL_REPLICATION must be at least 1"),
        ({"PATROL_WEB_PORT": "70000"}, "PATROL_WEB_PORT must be a port 1..65535"),
        ({"PATROL_CONSOLE_PORT": "-1"}, "PATROL_CONSOLE_PORT must be a port 1..65535"),
        ({"PATROL_LOG_LEVEL": "LOUD"}, "PATROL_LOG_LEVEL must be one of"),
        ({"PATROL_CONSOLE_WRITE_RATE": "0"}, "PATROL_CONSOLE_WRITE_RATE must be a positive number"),
        ({"PATROL_CONSOLE_WRITE_BURST": "0"}, "PATROL_CONSOLE_WRITE_BURST must be at least 1"),
        ({"PATROL_CONSOLE_TRUSTED_PROXIES": "10.0.0.5, proxy.local"}, "PATROL_CONSOLE_TRUSTED_PROXIES: 'proxy.local' is no IP address"),
        # a topic or group name Kafka refuses (a space, a slash, 300 characters) failed later, at the broker, with its traceback
        ({"PATROL_TOPIC_PREFIX": "night 1/"}, "PATROL_TOPIC_PREFIX='night 1/': only letters, digits, '.', '_' and '-'"),
        ({"PATROL_TOPIC_PREFIX": "p" * 101}, "PATROL_TOPIC_PREFIX="),
        ({"PATROL_APP_ID": "patrol desk"}, "PATROL_APP_ID='patrol desk': only letters, digits, '.', '_' and '-'"),
        ({"PATROL_APP_ID": "."}, "PATROL_APP_ID='.'"),
    ],
)
def test_a_setting_that_cannot_work_names_its_variable(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    assert needle in str(refused.value)


def test_booleans_and_log_levels_in_their_usual_spellings() -> None:
    settings = Settings.from_env({"PATROL_EXERCISE": " Off ", "PATROL_ALLOW_DEMO_TOKENS": "YES", "PATROL_LOG_LEVEL": "info"})
    assert settings.exercise is False and settings.allow_demo_tokens is True and settings.log_level == "info"


def test_stages_default_to_every_stage_in_the_app_ids_own_group() -> None:
    settings = Settings()
    assert settings.stage_set == ("intake", "desk", "notify")
    assert settings.group_id == "patrol"  # a running deployment keeps its consumer group and offsets
    assert Settings.from_env({"PATROL_STAGES": "notify, desk,intake"}).group_id == "patrol"


def test_a_stage_subset_has_a_group_of_its_own_whatever_the_spelling() -> None:
    split = Settings.from_env({"PATROL_STAGES": "notify,DESK,desk", "PATROL_APP_ID": "p1"})
    assert split.stage_set == ("desk", "notify")
    assert split.group_id == "p1-desk-notify"
    assert Settings.from_env({"PATROL_STAGES": "desk,notify", "PATROL_APP_ID": "p1"}).group_id == split.group_id
    assert Settings.from_env({"PATROL_STAGES": "intake", "PATROL_APP_ID": "p1"}).group_id == "p1-intake"


@pytest.mark.parametrize("value", ["intake,dispatch", "ingest", " , "])
def test_an_unknown_or_empty_stage_list_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="PATROL_STAGES") as caught:
        replace(Settings(), stages=value).validate()
    assert "intake, desk, notify" in str(caught.value)


@pytest.mark.parametrize(("name", "value"), [("PATROL_CITY", "."), ("PATROL_CITIES", "."), ("PATROL_CITIES", "./"),
                                             ("PATROL_CITY", "../harbin/.")])
def test_a_city_folder_written_as_dot_is_the_centre_of_its_own_name(name: str, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Started inside the city folder with `PATROL_CITY=.`, the centre's id (the folder's name) was "": an empty key on
    every desk input, an empty centre in every incident id and report."""
    monkeypatch.chdir(DATA_DIR / "cities" / "harbin")
    settings = Settings.from_env({name: value})
    assert list(settings.centre_dirs) == ["harbin"]
    assert next(iter(settings.centre_dirs.values())).resolve() == (DATA_DIR / "cities" / "harbin").resolve()
    assert Settings.from_env(settings.to_env()) == settings


def test_the_settings_repr_shows_no_secret() -> None:
    """The dataclass's own repr printed the SASL password, the key's password and the database URL's password in
    clear: a log line or a traceback naming the settings (`%r`, pytest's locals, a debugger) showed them. Secret
    settings read `***` there, as in `patrol settings`; equality and `to_env` still use the real values."""
    secrets = {"kafka_sasl_password": 'p "a s s" \\ 密码', "kafka_ssl_key_password": "k3y-pw", "database_url": "postgresql://u:db-pw@h/db"}
    settings = Settings(broker="kafka:9092", kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="patrol", **secrets)
    shown = repr(settings) + str(settings)
    assert not any(part in shown for part in ("a s s", "k3y-pw", "db-pw", "密码")), shown
    assert "kafka_sasl_password='***'" in shown and "kafka_sasl_username='patrol'" in shown
    assert Settings.from_env(settings.to_env()) == settings

"""Settings from the environment and the CLI's handling of bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import build_parser, main
from core.errors import ConfigError
from core.settings import DATA_DIR, Settings


def test_settings_read_env_and_hide_secrets() -> None:
    settings = Settings.from_env({"PATROL_BROKER": "k1:9092,k2:9092", "PATROL_PARTITIONS": "4", "PATROL_TOKENS": "/secret/tokens.json"})
    assert settings.broker == "k1:9092,k2:9092" and settings.partitions == 4
    shown = settings.describe()
    assert shown["PATROL_TOKENS"] == "***" and shown["PATROL_PARTITIONS"] == "4"
    with pytest.raises(ConfigError, match="PATROL_PARTITIONS"):
        Settings.from_env({"PATROL_PARTITIONS": "many"})
    with pytest.raises(ConfigError, match="PATROL_GUARANTEE"):
        Settings.from_env({"PATROL_GUARANTEE": "sometimes"})
    with pytest.raises(AttributeError):
        settings.broker = "x"  # type: ignore[misc]  # frozen


def test_check_reports_bad_policy_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text((DATA_DIR / "policy.toml").read_text(encoding="utf-8").replace("radius_m = 150.0", "radius_m = -3.0"), encoding="utf-8")
    monkeypatch.setenv("PATROL_POLICY", str(bad))
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "radius_m = -3.0" in text)
    assert f"{bad}:{line}: correlation.radius_m" in err


def test_check_passes_on_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "Harbin" in out
    assert f"ledger  {DATA_DIR / 'ledger.toml'}: retention 180 days" in out
    assert f"tokens  {DATA_DIR / 'tokens.json'}: " in out


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text)


def test_check_reports_a_bad_ledger_policy_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol check` passed while every `patrol ledger`, `report` and `sweep` command refused the ledger policy."""
    bad = tmp_path / "ledger.toml"
    bad.write_text((DATA_DIR / "ledger.toml").read_text(encoding="utf-8").replace("days = 180", "days = 0"), encoding="utf-8")
    monkeypatch.setenv("PATROL_LEDGER_POLICY", str(bad))
    assert main(["check"]) == 2
    assert f"{bad}:{_line_of(bad, 'days = 0')}: retention.days: must be at least 1" in capsys.readouterr().err
    monkeypatch.setenv("PATROL_LEDGER_POLICY", str(tmp_path / "missing.toml"))  # no ledger command starts without it
    assert main(["check"]) == 2
    assert f"{tmp_path / 'missing.toml'}: cannot read the ledger policy" in capsys.readouterr().err


def test_the_ledger_policy_names_only_the_policys_outcome_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The ledger policy counted `family_found` and `persuaded`, codes nothing sends (the desk takes only the policy's
    `dispatch.outcomes`): `patrol check` and the ledger's commands refuse such a code with its file, line and key."""
    bad = tmp_path / "ledger.toml"
    bad.write_text((DATA_DIR / "ledger.toml").read_text(encoding="utf-8").replace(
        'persuaded = ["guided_to_help_point"]', 'persuaded = ["guided_to_help_point", "persuaded"]'), encoding="utf-8")
    monkeypatch.setenv("PATROL_LEDGER_POLICY", str(bad))
    monkeypatch.setenv("PATROL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("PATROL_DATABASE_URL", raising=False)
    where = f"{bad}:{_line_of(bad, 'persuaded = [')}: outcomes.persuaded: 'persuaded' is not an outcome code of the dispatch policy"
    for command in (["check"], ["ledger", "migrate"]):
        assert main(command) == 2
        assert where in capsys.readouterr().err, command
    # and against the deployment's policy: one that drops a code the shipped ledger policy counts refuses it
    monkeypatch.delenv("PATROL_LEDGER_POLICY")
    policy = tmp_path / "policy.toml"
    policy.write_text((DATA_DIR / "policy.toml").read_text(encoding="utf-8").replace('"not_found", "false_alarm"]', '"not_found"]'), encoding="utf-8")
    monkeypatch.setenv("PATROL_POLICY", str(policy))
    assert main(["check"]) == 2
    assert "ledger.toml:" in (err := capsys.readouterr().err) and "outcomes.not_found: 'false_alarm' is not an outcome code" in err


def test_check_reports_a_bad_tokens_file_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol check` passed while the console refused to start on the tokens file."""
    bad = tmp_path / "tokens.json"
    bad.write_text((DATA_DIR / "tokens.json").read_text(encoding="utf-8").replace('"role": "supervisor"', '"role": "admin"'), encoding="utf-8")
    monkeypatch.setenv("PATROL_TOKENS", str(bad))
    assert main(["check"]) == 2
    line = _line_of(bad, '"role": "admin"')
    assert f"{bad}:{line}: tokens[1]: role must be one of operator, supervisor, team" in capsys.readouterr().err
    bad.write_text('{"tokens": [\n', encoding="utf-8")
    assert main(["check"]) == 2
    assert f"{bad}:2: not valid JSON" in capsys.readouterr().err


def test_check_takes_a_missing_tokens_file_as_the_console_does_and_refuses_demo_tokens_where_it_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No tokens file is no tokens (the console starts and refuses every call): said, not an error. The published
    demo tokens on an address beyond loopback stop the console at start: an error."""
    monkeypatch.setenv("PATROL_TOKENS", str(tmp_path / "none.json"))
    assert main(["check"]) == 0
    assert f"tokens  {tmp_path / 'none.json'}: no such file" in capsys.readouterr().out
    monkeypatch.delenv("PATROL_TOKENS")
    monkeypatch.setenv("PATROL_CONSOLE_HOST", "0.0.0.0")
    assert main(["check"]) == 2
    assert f"{DATA_DIR / 'tokens.json'}: the console would listen on 0.0.0.0 with the published demo tokens" in capsys.readouterr().err
    monkeypatch.setenv("PATROL_ALLOW_DEMO_TOKENS", "1")
    assert main(["check"]) == 0


def test_check_validates_every_city_of_the_deployment(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATROL_CITIES", "harbin,qiqihar")
    assert main(["check"]) == 0
    cities = [line for line in capsys.readouterr().out.splitlines() if line.startswith("city")]
    assert len(cities) == 2 and "Harbin" in cities[0] and "Qiqihar" in cities[1]


def test_replay_names_an_unreadable_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.jsonl"
    assert main(["replay", "--tips", str(missing), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert str(missing) in capsys.readouterr().err
    binary = tmp_path / "tips.jsonl"
    # A line that is not UTF-8 is a message like any other (a dead letter, tests/unit/tools/test_replay.py);
    # a file where no line has an event time cannot be replayed at all.
    binary.write_bytes(b'{"tip_id": "a"}\n\xff\xfe\n')
    assert main(["replay", "--tips", str(binary), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert f"{binary}:1: no line has a usable event time" in capsys.readouterr().err


def test_replay_refuses_an_output_it_cannot_write_before_it_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--out` naming a folder, or a path under a file, was opened only after the whole replay had run: a traceback."""
    tips = tmp_path / "tips.jsonl"
    tips.write_text('{"tip_id": "a", "channel": "hotline", "reported_at": "2026-12-20T19:00:00+08:00", "lat": 45.76, "lon": 126.63}\n',
                    encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for out in (tmp_path, blocker / "out.jsonl"):
        assert main(["replay", "--tips", str(tips), "--out", str(out)]) == 2
        assert capsys.readouterr().err.startswith(f"patrol: error: {out}: cannot write the output file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "tips.jsonl"]


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["drill", "--scenario", "short", "--quiet", "--report"], "drill report folder"),
        (["ledger", "drill", "--nights", "1", "--report"], "ledger drill report folder"),
        (["report", "daily", "--date", "2026-12-20", "--out"], "report folder"),
    ],
)
def test_a_report_folder_that_is_a_file_is_refused_by_name_before_anything_runs(argv: list[str], what: str, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch,
                                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`patrol drill --report FILE` ran the whole night, then died making the folder (FileExistsError's traceback, the
    scores lost); `patrol report --out FILE` and `patrol ledger drill --report FILE` the same."""
    import drill.ledger_drill
    import drill.runner

    def ran(*args: object, **kwargs: object) -> int:
        raise AssertionError("ran before its report folder was checked")

    monkeypatch.setattr(drill.runner, "run_drill", ran)
    monkeypatch.setattr(drill.ledger_drill, "run_ledger_drill", ran)
    monkeypatch.setenv("PATROL_STATE_DIR", str(tmp_path / "state"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for folder, why in ((blocker, "is a file, not a folder"), (blocker / "under", "cannot make")):
        assert main([*argv, str(folder)]) == 2
        said = capsys.readouterr().err
        assert said.startswith(f"patrol: error: {folder}: ") and what in said and why in said, said
    assert blocker.read_text(encoding="utf-8") == "x"


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    text = parser.format_help()
    for command in ("drill", "replay", "detect", "console", "broker", "worker", "clock", "bench", "check", "settings", "token"):
        assert command in text


@pytest.mark.parametrize(("argv", "option"), [
    # Each ran on, with a traceback (NaN or 1e300 hours as a timedelta, a negative seed in numpy), or quietly did nothing
    # (0 nights, a negative tail) or ran a night at a speed no clock has.
    (["replay", "--tips", "t.jsonl", "--out", "o.jsonl", "--tail-hours", "nan"], "--tail-hours"),
    (["replay", "--tips", "t.jsonl", "--out", "o.jsonl", "--tail-hours", "1e300"], "--tail-hours"),
    (["replay", "--tips", "t.jsonl", "--out", "o.jsonl", "--tail-hours", "-5"], "--tail-hours"),
    (["detect", "frames", "--out", "o.jsonl", "--every", "inf"], "--every"),
    (["detect", "frames", "--out", "o.jsonl", "--every", "0"], "--every"),
    (["drill", "--speed", "nan"], "--speed"),
    (["drill", "--speed", "-1"], "--speed"),
    (["drill", "--seed", "-1"], "--seed"),
    (["drill", "--seed", "99999999999999999999"], "--seed"),
    (["ledger", "drill", "--nights", "-1"], "--nights"),
    (["ledger", "drill", "--nights", "0"], "--nights"),
    (["ledger", "drill", "--seed", "-3"], "--seed"),
    (["broker", "--port", "70000"], "--port"),
    (["bench", "pipeline", "--rate", "nan"], "--rate"),
    (["bench", "pipeline", "--tips", "0"], "--tips"),
    (["bench", "thermal", "--frames", "-2"], "--frames"),
])
def test_a_number_option_out_of_range_is_a_usage_error_naming_it(argv: list[str], option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err


def test_a_file_setting_or_input_that_is_a_device_or_a_pipe_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """PATROL_POLICY=/dev/zero or `--tips /dev/zero` read without end (MemoryError, a traceback); a FIFO waited forever."""
    import os

    fifo = tmp_path / "tips.fifo"
    os.mkfifo(fifo)
    for name in ("PATROL_POLICY", "PATROL_LEXICON", "PATROL_LEDGER_POLICY", "PATROL_TOKENS"):
        for device in ("/dev/zero", str(fifo)):
            monkeypatch.setenv(name, device)
            assert main(["check"]) == 2, name
            err = capsys.readouterr().err
            assert f"{device}: cannot read" in err and "not a regular file" in err, (name, err)
            monkeypatch.delenv(name)
    for device in ("/dev/zero", str(fifo)):
        assert main(["replay", "--tips", device, "--out", str(tmp_path / "o.jsonl")]) == 2
        err = capsys.readouterr().err
        assert f"{device}: cannot read input file: not a regular file" in err, err


@pytest.mark.parametrize("argv, env", [(["worker", "--stages", "intake,deks"], {}), (["worker"], {"PATROL_STAGES": "deks"})])
def test_a_worker_with_an_unknown_stage_stops_before_it_connects(argv: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATROL_BROKER", "127.0.0.1:1")  # nothing listens: the refusal must come first
    assert main(argv) == 2
    assert "unknown stage deks" in capsys.readouterr().err

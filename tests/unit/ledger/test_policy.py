from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import DATA_DIR
from ledger.policy import load_ledger_policy
from tests.policies import DISPATCH_OUTCOMES, ledger_policy

SHIPPED = (DATA_DIR / "ledger.toml").read_text(encoding="utf-8")


def test_the_shipped_policy_loads() -> None:
    policy = ledger_policy()
    assert policy.max_ahead_min == 60
    assert policy.retention_days == 180 and policy.outcome_columns("refused_supplies_given") == ("refused", "supplies")
    assert policy.flag_factor(("elderly", "intoxicated")) == 1.5 and policy.level_factor("red") == 3.0
    assert policy.gathering_factor("station") == 0.12 and policy.gathering_factor("square") == 0.0


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("days = 180", "days = 0", "retention.days: must be at least 1"),
        ("max_ahead_min = 60", "max_ahead_min = 0", "times.max_ahead_min: must be at least 1"),
        ("max_ahead_min = 60", "max_ahead_min = 60\nmax_behind_h = 24", "times.max_behind_h: unknown key"),
        ("days = 180", 'days = "long"', "retention.days: expected int"),
        ('day_starts = "12:00"', 'day_starts = "noon"', "report.day_starts: expected HH:MM"),
        ("radius_m = 250.0", "radius_m = 250.0\nradius_km = 1", "matching.radius_km: unknown key"),
        ('cold_wave_levels = ["orange", "red"]', 'cold_wave_levels = ["purple"]', "refusals.cold_wave_levels: unknown value 'purple'"),
        ("elderly = 1.5", "elderly = 1.5\nsleepy = 2", "sweep.flag_weight.sleepy: unknown key"),
        ("min_score = 0.35", "min_score = 3", "matching.min_score: must be at most 1"),
        ("construction = 0.08", "construction = 0.08\nbus_stop = 0.1", "sweep.gathering_weight.bus_stop: unknown key"),
        ("station = 0.12", "station = -1", "sweep.gathering_weight.station: must be at least 0"),
        # 10**30 days overflowed `patrol ledger anonymize`'s cutoff (and a sweep's or refusals' window) in a traceback
        ("days = 180", "days = 1000000000000000000000000000000", "retention.days: must be at most 36500"),
        ("nights = 7", "nights = 100000000", "sweep.nights: must be at most 36500"),
        ("within_days = 7.0", "within_days = 1e300", "refusals.within_days: must be at most 36500"),
        # a code the desk refuses (not in dispatch.outcomes): no team can send it, so its column or refusals counted nothing
        ('home = ["returned_home"]', 'home = ["returned_home", "family_found"]',
         "outcomes.home: 'family_found' is not an outcome code of the dispatch policy (dispatch.outcomes: taken_to_hospital,"),
        ('refused = ["refused", "refused_supplies_given"]', 'refused = ["refused", "refused_suplies_given"]',
         "outcomes.refused: 'refused_suplies_given' is not an outcome code"),
        ('outcomes = ["refused", "refused_supplies_given"]', 'outcomes = ["refused", "refused_supplies"]',
         "refusals.outcomes: 'refused_supplies' is not an outcome code"),
        # Tenth attack audit (session 26): a matching radius of 1e12 m put any sighting of the city into any file; a
        # sweep radius the same made tonight's list one stop; a level weight of 1e308 made risks infinite; a word of
        # punctuation alone ("，") read every tip with a comma as a man's
        ("radius_m = 250.0", "radius_m = 1e12", "matching.radius_m: must be at most 5000"),
        ("radius_m = 200.0", "radius_m = 1e12", "sweep.radius_m: must be at most 5000"),
        ("red = 3.0", "red = 1e308", "sweep.level_weight.red: must be at most 100"),
        ('male_words = ["男"', 'male_words = ["，", "男"', "matching.male_words: '，' holds no letter or digit"),
        ('colour_words = ["红"', 'colour_words = ["-", "红"', "matching.colour_words: '-' holds no letter or digit"),
    ],
)
def test_a_bad_policy_names_file_line_and_key(tmp_path: Path, old: str, new: str, says: str) -> None:
    path = tmp_path / "ledger.toml"
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ledger_policy(path)
    message = str(err.value)
    assert says in message and message.startswith(f"{path}:")
    line = int(message.split(":")[1])
    assert new.split("\n")[-1].split(" =")[0] in text.splitlines()[line - 1] or "[" in text.splitlines()[line - 1]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the ledger policy"):
        ledger_policy(tmp_path / "nope.toml")


def test_outcome_codes_are_checked_against_the_dispatch_policy_given() -> None:
    """The codes are the deployment's `dispatch.outcomes`, not a list of the ledger's own: a policy without
    `false_alarm` refuses the shipped ledger policy that counts it under not_found."""
    without = tuple(code for code in DISPATCH_OUTCOMES if code != "false_alarm")
    with pytest.raises(ConfigError, match=r"outcomes.not_found: 'false_alarm' is not an outcome code") as err:
        load_ledger_policy(DATA_DIR / "ledger.toml", outcomes=without)
    assert err.value.line == next(i for i, text in enumerate(SHIPPED.splitlines(), 1) if text.startswith("not_found = "))
    assert ledger_policy().outcome_columns("false_alarm") == ("not_found",)

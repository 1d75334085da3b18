"""What each topic must look like, and which existing topics stop a role (no broker)."""

from __future__ import annotations

from dataclasses import replace

from core import topics as names
from core.settings import Settings
from pipeline.topics_admin import DESK_INPUTS, check_specs, topic_specs


def test_desk_inputs_are_exactly_the_setting_and_scaled_stages_follow_it() -> None:
    settings = replace(Settings(), partitions=4, topic_prefix="p-")
    specs = {s.name: s for s in topic_specs(settings)}
    assert set(specs) == {f"p-{t}" for t in names.ALL}
    for short in DESK_INPUTS:
        assert (specs[f"p-{short}"].partitions, specs[f"p-{short}"].exact) == (4, True)
    for short in set(names.SCALED) - set(DESK_INPUTS):
        assert (specs[f"p-{short}"].partitions, specs[f"p-{short}"].exact) == (4, False)
    assert specs["p-dispatch"].partitions == 1 and not specs["p-dispatch"].exact


def test_a_desk_input_with_other_partitions_is_named_with_both_counts() -> None:
    specs = topic_specs(Settings())
    problems = check_specs(specs, {"reports": 4, "tips": 4, "dispatch": 3, "clock": 1})
    assert len(problems) == 1
    assert "'reports' has 4 partitions" in problems[0] and "exactly 1" in problems[0]


def test_missing_and_matching_topics_are_fine() -> None:
    assert check_specs(topic_specs(Settings()), {}) == []
    assert check_specs(topic_specs(Settings()), {t: 1 for t in names.ALL}) == []

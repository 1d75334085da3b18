"""The feeder's barrier waits on each stage set's consumer group, for the topics that set reads."""

from __future__ import annotations

from dataclasses import replace

from core import topics as names
from core.settings import Settings
from tools.harness import CONSUMED, stage_groups


def test_one_worker_is_one_group_reading_every_consumed_topic() -> None:
    groups = stage_groups([Settings()])
    assert list(groups) == ["patrol"]
    assert set(CONSUMED) <= groups["patrol"]


def test_split_workers_are_a_group_per_stage_set_and_two_of_one_set_share_it() -> None:
    intake, desk = replace(Settings(), stages="intake"), replace(Settings(), stages="desk,notify")
    groups = stage_groups([intake, desk, desk])
    assert set(groups) == {"patrol-intake", "patrol-desk-notify"}
    assert names.TIPS in groups["patrol-intake"] and names.TIPS not in groups["patrol-desk-notify"]
    assert names.REPORTS in groups["patrol-desk-notify"] and names.REPORTS not in groups["patrol-intake"]
    assert names.CLOCK in groups["patrol-intake"] and names.CLOCK in groups["patrol-desk-notify"]  # the trackers tick too
    assert groups["patrol-intake"] | groups["patrol-desk-notify"] == stage_groups([Settings()])["patrol"]

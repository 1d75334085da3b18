"""A worker registers the agents of its stages only, and reads exactly the topics `core.topics.STAGE_INPUTS` says
(the test harness's barrier waits on those per consumer group)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from agents.health import _agent_topics
from agents.worker import build_worker_app
from core import topics as names
from core.settings import Settings
from rules.context import Province, province_from_settings


@pytest.fixture(scope="module")
def province() -> Province:
    return province_from_settings(Settings())


def _app(province: Province, stages: str, tmp_path: Path) -> tuple[set[str], set[str], list[str], str]:
    settings = replace(Settings(), stages=stages, topic_prefix="u-", state_dir=tmp_path)
    app = build_worker_app(settings, province, "127.0.0.1:1")
    agents = set(app.agents)
    read = {topic for agent in app.agents.values() for topic in _agent_topics(agent)}
    changelogs = sorted(table.changelog_topic.get_topic_name() for table in app.tables.values())
    assert changelogs == sorted(f"patrol-{name}-changelog" for name in app.tables)  # PATROL_APP_ID's, whatever the group
    return agents, read, changelogs, app.conf.id


@pytest.mark.parametrize("stage", names.STAGES)
def test_each_stage_reads_the_topics_it_is_said_to(stage: str, province: Province, tmp_path: Path) -> None:
    _, read, _, group = _app(province, stage, tmp_path)
    assert read == {f"u-{t}" for t in names.STAGE_INPUTS[stage]}
    assert group == f"patrol-{stage}"


def test_every_stage_is_todays_worker_and_a_split_keeps_its_tables_changelogs(province: Province, tmp_path: Path) -> None:
    everything, read, changelogs, group = _app(province, "intake,desk,notify", tmp_path)
    assert group == "patrol" and read == {f"u-{t}" for stage in names.STAGES for t in names.STAGE_INPUTS[stage]}
    assert {"intake", "detections", "thermal", "desk", "partners", "reporters"} <= everything
    parts = [_app(province, stage, tmp_path / stage) for stage in names.STAGES]
    assert set().union(*(agents for agents, _, _, _ in parts)) == everything  # nothing lost, nothing run twice
    assert not any(a & b for i, (a, _, _, _) in enumerate(parts) for b, _, _, _ in parts[i + 1:])
    # The desk alone recovers the changelog the one worker wrote: the split keeps incidents and trackers.
    assert sorted(c for _, _, split, _ in parts for c in split) == changelogs and len(changelogs) >= 4

"""Topic names, the one place they are spelled."""

from __future__ import annotations

TIPS = "tips"
WEATHER = "weather"
TEAM_STATUS = "team-status"
TASK_ACKS = "task-acks"
CLOCK = "clock"
THERMAL_FRAMES = "thermal-frames"
DETECTIONS = "detections"
REPORTS = "reports"
CONDITIONS = "conditions"
DISPATCH = "dispatch"
TEAM_TASKS = "team-tasks"
DEAD_LETTERS = "dead-letters"

INPUTS: tuple[str, ...] = (TIPS, WEATHER, TEAM_STATUS, TASK_ACKS, CLOCK, THERMAL_FRAMES, DETECTIONS)
OUTPUTS: tuple[str, ...] = (DISPATCH, TEAM_TASKS, DEAD_LETTERS, CONDITIONS)
INTERNAL: tuple[str, ...] = (REPORTS,)
ALL: tuple[str, ...] = INPUTS + INTERNAL + OUTPUTS

# Stages that scale with PATROL_PARTITIONS; the desk's inputs stay single-partition.
SCALED: tuple[str, ...] = (TIPS, DETECTIONS, THERMAL_FRAMES)

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
PARTNER_NOTICES = "partner-notices"
REPORTER_FEEDBACK = "reporter-feedback"
REPORTER_CONTACTS = "reporter-contacts"
CONSOLE_ACTIONS = "console-actions"
OPERATOR_COMMANDS = "operator-commands"
COMMAND_RESULTS = "command-results"
TASK_HINTS = "task-hints"

# The largest record producers send (Faust's producer_max_request_size; aiokafka refuses a little more):
# a record over it cannot reach a topic at all.
MAX_MESSAGE_BYTES = 1_000_000

INPUTS: tuple[str, ...] = (TIPS, WEATHER, TEAM_STATUS, TASK_ACKS, OPERATOR_COMMANDS, CLOCK, THERMAL_FRAMES, DETECTIONS)
OUTPUTS: tuple[str, ...] = (DISPATCH, TEAM_TASKS, DEAD_LETTERS, CONDITIONS, PARTNER_NOTICES, REPORTER_FEEDBACK, COMMAND_RESULTS)
INTERNAL: tuple[str, ...] = (REPORTS, REPORTER_CONTACTS)
# Written by the console only: operators' decisions on dead letters, read back at its start.
CONSOLE: tuple[str, ...] = (CONSOLE_ACTIONS,)
# Written by the ledger feeder (`patrol ledger run`): what the person ledger knows, for a team's task.
LEDGER: tuple[str, ...] = (TASK_HINTS,)
ALL: tuple[str, ...] = INPUTS + INTERNAL + OUTPUTS + CONSOLE + LEDGER

# Topics with PATROL_PARTITIONS partitions. The desk's inputs are keyed by dispatch
# centre (one centre, one partition); clock ticks go to every partition.
DESK_INPUTS: tuple[str, ...] = (REPORTS, WEATHER, TEAM_STATUS, TASK_ACKS, OPERATOR_COMMANDS, CLOCK)
SCALED: tuple[str, ...] = (TIPS, DETECTIONS, THERMAL_FRAMES, *DESK_INPUTS)

# The worker's stages (`PATROL_STAGES`) and the topics each one's agents read: intake (tips, detections, thermal frames
# and, for the thermal trackers, the clock), the desk, and the notices (partner notices, replies to reporters).
# A worker running some stages consumes these in a group of its own (`Settings.group_id`).
STAGE_INPUTS: dict[str, tuple[str, ...]] = {
    "intake": (TIPS, DETECTIONS, THERMAL_FRAMES, CLOCK),
    "desk": DESK_INPUTS,
    "notify": (DISPATCH, REPORTER_CONTACTS),
}
STAGES: tuple[str, ...] = tuple(STAGE_INPUTS)

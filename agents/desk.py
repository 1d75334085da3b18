"""The desk agent: reports, weather, team status, acks, commands and ticks in; decisions out.

One agent on purpose: it is the single writer of incident and team state, so
every input meets that state in one order and a replay decides exactly as a
live night. The rules live in `rules.desk.Desk`; this is only the glue to
topics and to the changelogged table that survives a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from agents.common import BATCH_MAX, BATCH_WITHIN_S, Outbox, forget_on_revoke, save_tables, stats
from agents.metrics import DeskBatchTimer, watch_desk
from core import topics as names
from core.errors import RecordError
from core.records import Conditions, Report
from rules.context import Context
from rules.desk import Desk, Outputs, commands
from rules.intake import parse_ack, parse_command, parse_json, parse_team_status, parse_tick, parse_weather
from rules.phone import ClientIds


class AcksOnce:
    """Where acks enter the desk: a phone's action carrying a client id is applied once.

    A phone resends a queued action until it hears back, so the same action
    can reach `task-acks` twice (the first answer was lost). The ids applied
    live in their own changelogged table, kept for twice the policy's offline
    limit of event time; acks without a client id pass straight through.
    Commands on `operator-commands` share the table (as `cmd:<command_id>`).
    """

    def __init__(self, table: Any, ctx: Context) -> None:
        self.table = table
        self.ctx = ctx
        self.keep = timedelta(hours=2 * ctx.policy.phone.max_offline_h)
        self.ids: ClientIds[None] | None = None
        self.changed: dict[str, str | None] = {}
        self.repeats = 0

    def handle(self, desk: Desk, raw: bytes) -> Outputs:
        ack = parse_ack(parse_json(raw))
        return self._once(desk, ack.client_id, ack.at, lambda: desk.handle_ack(ack))

    def command(self, desk: Desk, raw: bytes) -> Outputs:
        """An operator's or a team's command: every one has an id, applied (and answered) once."""
        command = parse_command(parse_json(raw), self.ctx)
        return self._once(desk, f"cmd:{command.command_id}", command.at, lambda: commands.handle(desk, command))

    def _once(self, desk: Desk, client_id: str | None, at: datetime, apply: Callable[[], Outputs]) -> Outputs:
        if self.ids is None:
            self.ids = ClientIds(self.keep)
            for key, value in self.table.items():
                self.ids.add(str(key), datetime.fromisoformat(value), None)
        if client_id is not None and client_id in self.ids:
            self.repeats += 1
            return Outputs()
        out = apply()
        if client_id is not None:
            self.ids.add(client_id, at, None)
            self.changed[client_id] = at.isoformat()
            for old in self.ids.prune(desk.now or at):
                self.changed[old] = None
        return out

    def take_changes(self) -> dict[str, str | None]:
        changes, self.changed = self.changed, {}
        return changes

    def forget(self) -> None:
        """Drop the in-memory ids: the table is the truth after a rebalance."""
        self.ids = None


def _handler(desk: Desk, ctx: Context, short: str, acks: AcksOnce) -> Callable[[bytes], Outputs]:
    """The pure function that handles one raw record of topic `short`."""
    if short == names.REPORTS:
        return lambda raw: desk.handle_report(Report.from_dict(json.loads(raw)))
    if short == names.WEATHER:
        return lambda raw: desk.handle_weather(*parse_weather(parse_json(raw), ctx))
    if short == names.TEAM_STATUS:
        return lambda raw: desk.handle_team_status(parse_team_status(parse_json(raw), ctx))
    if short == names.TASK_ACKS:
        return lambda raw: acks.handle(desk, raw)
    if short == names.OPERATOR_COMMANDS:
        return lambda raw: acks.command(desk, raw)
    if short == names.CLOCK:
        return lambda raw: desk.handle_tick(parse_tick(parse_json(raw)).at)
    raise RecordError(f"desk does not read topic {short!r}")


def register(app: Any, topics: Any, ctx: Context) -> None:
    outbox = Outbox(topics)
    counters = stats("desk")
    inputs = (names.REPORTS, names.WEATHER, names.TEAM_STATUS, names.TASK_ACKS, names.OPERATOR_COMMANDS, names.CLOCK)
    by_full_name = {topics.settings.topic(short): short for short in inputs}
    source = app.topic(
        *by_full_name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=1,
    )
    table = app.Table("desk-state", default=None, partitions=1, key_type=str)
    acks = AcksOnce(app.Table("desk-ack-ids", default=None, partitions=1, key_type=str), ctx)
    state: dict[str, Desk] = {}
    watch_desk(lambda: state.get("desk"))

    def forget() -> None:
        state.clear()
        acks.forget()

    forget_on_revoke(app, forget)

    def current_desk() -> Desk:
        if "desk" not in state:
            desk = Desk(ctx)
            desk.load_entries((str(k), v) for k, v in table.items())
            desk.dirty.clear()
            state["desk"] = desk
        return state["desk"]

    async def flush(records: list[tuple[str, str | None, Any]], desk: Desk, event: Any) -> None:
        await outbox.send_all(records)
        records.clear()
        await save_tables(app, event, (table, dict(desk.take_dirty())), (acks.table, acks.take_changes()))

    @app.agent(source, name="desk")
    async def desk_agent(stream: Any) -> None:
        # Batches amortise the wait for delivery; within a batch order is kept.
        async for batch in stream.take_events(BATCH_MAX, within=BATCH_WITHIN_S):
            timer = DeskBatchTimer()
            desk = current_desk()
            records: list[tuple[str, str | None, Any]] = []
            for event in batch:
                short = by_full_name.get(event.message.topic, event.message.topic)
                raw = event.value
                try:
                    out = _handler(desk, ctx, short, acks)(raw)
                except Exception as exc:
                    counters.dead_letters += 1
                    await flush(records, desk, event)  # keep what the records before it decided
                    await outbox.dead(short, raw, exc, event)
                    counters.tick()
                    continue
                records += [(names.DISPATCH, ev.incident_id, ev) for ev in out.events]
                records += [(names.TEAM_TASKS, task.team_id, task) for task in out.tasks]
                records += [(names.CONDITIONS, c["region"], Conditions(**c)) for c in out.conditions]
                records += [(names.COMMAND_RESULTS, r.incident_id, r) for r in out.results]
                counters.tick()
            await flush(records, desk, batch[-1])
            timer.done()

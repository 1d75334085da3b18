"""The desk agent: reports, weather, team status, acks, commands and ticks in; decisions out.

One writer of each dispatch centre's state: the desk's inputs are keyed by
centre (`geo.centres`, `pipeline.partitioning`), so one partition holds a
centre and every input meets its state in one order; a replay decides exactly
as a live night. The agent keeps one `rules.desk.Desk` per centre it holds,
its state under `<centre>/` keys of one changelogged table, and drops them all
when partitions move (rebuilt from the table after the rebalance). Clock
ticks come to every partition and tick the centres homed there. The rules
live in `rules.desk.Desk`; this is only the glue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from agents.common import Outbox, batches, forget_on_revoke, save_tables, stats
from agents.metrics import DeskBatchTimer, watch_desk
from core import topics as names
from core.errors import RecordError
from core.records import Conditions, Report
from pipeline.partitioning import centres_on, home_partition
from rules.context import Context, Province
from rules.desk import Desk, Outputs, commands
from rules.intake import parse_ack, parse_command, parse_json, parse_team_status, parse_tick, parse_weather
from rules.phone import ClientIds

log = logging.getLogger("patrol.desk")


class CentreTable:
    """One centre's view of a shared table: its keys carry the `<centre>/` prefix."""

    def __init__(self, table: Any, centre: str) -> None:
        self.table, self.prefix = table, f"{centre}/"

    def items(self) -> Iterator[tuple[str, Any]]:
        for key, value in self.table.items():
            if str(key).startswith(self.prefix):
                yield str(key)[len(self.prefix):], value

    def changes(self, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Changes to this centre's keys, as `agents.common.save_tables` writes them to the shared table."""
        return self.table, {self.prefix + key: value for key, value in values.items()}


_KEY_PREFIXES = ("cmd:", "ack:")


def ack_key(client_id: str | None) -> str | None:
    """Where an ack's client id is kept in the table it shares with commands (`cmd:<command_id>`).

    A phone's client id may hold ':' (`console.phone`): an ack whose id was
    `cmd:X` took command X's place, and the command was then dropped as a
    repeat. Ids that begin like a prefix get `ack:` before them; the others
    keep the bare key they were always stored under.
    """
    if client_id is None or not client_id.startswith(_KEY_PREFIXES):
        return client_id
    return f"ack:{client_id}"


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
        self.writes = 0  # every change to `changed` counted (`Centres.apply`)

    def handle(self, desk: Desk, raw: bytes) -> Outputs:
        ack = parse_ack(parse_json(raw))
        return self._once(desk, ack_key(ack.client_id), ack.at, lambda: desk.handle_ack(ack))

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
        if client_id is not None and desk.now is not None and at < desk.now - self.keep:
            # Its id, had it been applied, is forgotten by now: a copy sent again days later (a replay into the live
            # topics, a producer re-sending its log) merged, assigned or resolved a second time.
            raise RecordError(f"at: {at.isoformat()} is more than {self.keep.total_seconds() / 3600:g} h behind the desk's clock "
                              f"({desk.now.isoformat()}), longer than the ids applied are kept: it may have been applied already",
                              kind="stale_time")
        out = apply()
        if client_id is not None:
            self.ids.add(client_id, at, None)
            self.changed[client_id] = at.isoformat()
            self.writes += 1
            for old in self.ids.prune(desk.now or at):
                self.changed[old] = None
        return out

    def take_changes(self) -> dict[str, str | None]:
        changes, self.changed = self.changed, {}
        return changes


def report_object(raw: bytes) -> dict[str, Any]:
    """A record of `reports` decoded, as the desk reads it (`json.loads`), once for routing and reading: a value that is
    no JSON object is refused by name (`[]` was an internal error, a traceback logged each)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RecordError(f"report: not a JSON object ({type(exc).__name__})", kind="malformed") from exc
    if not isinstance(data, dict):
        raise RecordError("report: expected a JSON object", kind="malformed")
    return data


def read_report(data: dict[str, Any]) -> Report:
    """A decoded record of `reports` as the desk takes it (trusted; `rules.desk.check_report` checks its fields); one
    that cannot be a report at all (a field missing, a time that is no time) is a RecordError naming why, not an
    internal error logged with its traceback. `data` is only read: a step re-applied after a roll-back reads it again."""
    try:
        return Report.from_dict(data)
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise RecordError(f"report: {str(exc)[:200]}", kind="malformed") from exc


def _handler(desk: Desk, ctx: Context, short: str, acks: AcksOnce) -> Callable[[bytes], Outputs]:
    """The pure function that handles one raw record of topic `short` (reports: `_record_step`, which may hold the
    object routing decoded)."""
    if short == names.WEATHER:
        return lambda raw: desk.handle_weather(*parse_weather(parse_json(raw), ctx))
    if short == names.TEAM_STATUS:
        return lambda raw: desk.handle_team_status(parse_team_status(parse_json(raw), ctx))
    if short == names.TASK_ACKS:
        return lambda raw: acks.handle(desk, raw)
    if short == names.OPERATOR_COMMANDS:
        return lambda raw: acks.command(desk, raw)
    raise RecordError(f"desk does not read topic {short!r}")


def _outputs(outs: list[Outputs]) -> list[tuple[str, str | None, Any]]:
    """What the desk decided, as records for their topics, in order."""
    records: list[tuple[str, str | None, Any]] = []
    for out in outs:
        records += [(names.DISPATCH, ev.incident_id, ev) for ev in out.events]
        records += [(names.TEAM_TASKS, task.team_id, task) for task in out.tasks]
        records += [(names.CONDITIONS, c["region"], Conditions(**c)) for c in out.conditions]
        records += [(names.COMMAND_RESULTS, r.incident_id, r) for r in out.results]
    return records


def _tick_step(centre: str, at: datetime) -> Callable[[Centres], Outputs]:
    return lambda centres: centres.desk(centre).clock_tick(at)


def _record_step(centre: str, short: str, raw: bytes, report: dict[str, Any] | None = None) -> Callable[[Centres], Outputs]:
    """One desk input as a step on its centre (`Centres.apply`): re-applicable after a roll-back. `report`: a report's
    object as routing decoded it (`report_object`), read from there rather than decoded again."""
    def step(centres: Centres) -> Outputs:
        desk = centres.desk(centre)
        if short == names.REPORTS:
            return desk.handle_report(read_report(report if report is not None else report_object(raw)))
        return _handler(desk, centres.province.centres[centre], short, centres.acks[centre])(raw)

    return step


def _key(event: Any) -> str | None:
    key = getattr(event.message, "key", None)
    return key.decode("utf-8", errors="replace") if isinstance(key, bytes) else key


class Centres:
    """The desks of the centres this worker holds, built from the table on first use."""

    def __init__(self, province: Province, table: Any, ack_table: Any) -> None:
        self.province, self.table, self.ack_table = province, table, ack_table
        self.desks: dict[str, Desk] = {}
        self.acks: dict[str, AcksOnce] = {}
        self.stale = False
        # The steps each centre's desk took since its state was last written: what a roll-back re-applies.
        self.journal: dict[str, list[Callable[[Centres], object]]] = {}

    def apply(self, centre: str, step: Callable[[Centres], Outputs]) -> Outputs:
        """Take one step on a centre's desk; when it raises after changing that desk, undo the change.

        A handler that raised half-way (an internal error, or a refusal after
        a first change) left its change in memory, and the batch then saved it
        with the others: a team busy without a task, an incident half moved.
        The desk is then rebuilt from its table (the state last written) and
        the batch's earlier steps are re-applied to it: the rules are
        deterministic, so it ends exactly as it was before the failed step
        (their outputs were kept already). A refusal before any change (most
        dead letters) costs nothing.
        """
        desk = self.desk(centre)
        touches, ack_writes = desk.touches, self.acks[centre].writes
        try:
            out = step(self)
        except RecordError:
            if desk.touches != touches or self.acks[centre].writes != ack_writes:
                self.roll_back(centre)
            raise
        except Exception:
            self.roll_back(centre)
            raise
        self.journal.setdefault(centre, []).append(step)
        return out

    def roll_back(self, centre: str) -> None:
        if self.stale:  # partitions were revoked: the table may no longer hold this centre; the next batch rebuilds
            return
        self.desks.pop(centre, None)
        self.acks.pop(centre, None)
        for step in self.journal.get(centre, []):
            try:
                step(self)
            except Exception:  # deterministic rules met a different table: nothing of this batch's desk can be trusted
                log.exception("re-applying the batch's inputs to %s failed; its desk is rebuilt next batch", centre)
                self.desks.pop(centre, None)
                self.acks.pop(centre, None)
                self.stale = True
                return

    def written(self) -> None:
        """The desks' state is in the tables: nothing to re-apply any more."""
        self.journal.clear()

    def drop(self) -> None:
        """Forget every cached desk at the next batch: after a rebalance the table, not memory, is the truth.

        Deferred so that a batch under way when partitions are revoked ends on
        the state it began with and writes what it changed.
        """
        self.stale = True

    def begin_batch(self) -> None:
        self.journal.clear()
        if self.stale:
            self.desks.clear()
            self.acks.clear()
            self.stale = False

    def desk(self, centre: str) -> Desk:
        if centre not in self.desks:
            desk = Desk(self.province.centres[centre], centre)
            desk.load_entries(CentreTable(self.table, centre).items())
            desk.dirty.clear()
            self.desks[centre] = desk
            self.acks[centre] = AcksOnce(CentreTable(self.ack_table, centre), self.province.centres[centre])
        return self.desks[centre]

    def centre_of(self, short: str, raw: bytes, key: str | None) -> str | None:
        """The centre one desk input belongs to; a record no centre claims is refused.

        None: an ack or command about an incident that no desk of this worker
        holds and that names no centre (`next_hop` says where to ask next).
        """
        if short == names.REPORTS:
            return self.report_centre(report_object(raw))
        obj = parse_json(raw)
        centre = obj.get("centre") if isinstance(obj.get("centre"), str) else None
        if centre is not None and short in (names.TEAM_STATUS, names.TASK_ACKS):
            centre = self.province.route(obj, key) or centre  # a roster team's record goes to its own centre (`geo.centres.route`)
        if short in (names.TASK_ACKS, names.OPERATOR_COMMANDS) and centre is None:
            # An operator's ack or command names no team of a city: the desk that holds the
            # incident knows it (any centre this worker holds; one keyed elsewhere is then sent home).
            # Its fields are checked first, as its desk would (the policy is every centre's): an id
            # that is a list or an object was an internal error here (unhashable), not `wrong_type`.
            if short == names.TASK_ACKS:
                ack = parse_ack(obj)
                event_id, incident_id = ack.event_id, ack.incident_id
            else:
                event_id, incident_id = None, parse_command(obj, self.province.first).incident_id
            for name in self.province.centres:
                desk = self.desk(name)
                if event_id in desk.event_index or incident_id in desk.incidents:
                    return name
            if (centre := self.province.route(obj, key)) is None:
                return None  # keyed by something else (an incident id): another worker's desk may hold it
        centre = centre or self.province.route(obj, key)
        if centre is None or centre not in self.province.centres:
            raise _unknown_centre(self.province)
        return centre

    def report_centre(self, data: dict[str, Any]) -> str:
        """The centre a decoded report (`report_object`) names, else the first; a centre that is no text, or no
        deployed centre, is refused by name (`{"centre": []}` was an internal error)."""
        named = data.get("centre")
        if named is not None and not isinstance(named, str):
            raise RecordError("report centre: expected a string", kind="wrong_type")
        centre = named or next(iter(self.province.centres))
        if centre not in self.province.centres:
            raise _unknown_centre(self.province)
        return centre

    def next_hop(self, earlier: set[str], held: set[int], partitions: int) -> tuple[str, bytes]:
        """Where to send an ack or command no desk here holds, and the `patrol-tried` header it then carries.

        The centres that have looked for its incident are those the record's
        header names (earlier hops) and those homed on the partitions this
        worker holds; the next is the first centre not among them. With every
        centre asked (always on one worker) the record is refused, as before.
        """
        tried = earlier | {c for p in held for c in centres_on(p, list(self.province.centres), partitions)}
        for centre in self.province.centres:
            if centre not in tried:
                return centre, ",".join(sorted(tried)).encode("utf-8")
        raise _unknown_centre(self.province)


TRIED_HEADER = "patrol-tried"


def _unknown_centre(province: Province) -> RecordError:
    return RecordError(f"no dispatch centre for this record (deployed: {', '.join(province.centres)}); "
                       "give `centre`, a position, a team or region of a deployed city", kind="unknown_centre")


def _tried(event: Any) -> set[str]:
    """The centres an earlier hop named in the record's `patrol-tried` header."""
    headers = getattr(event.message, "headers", None) or ()
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if name == TRIED_HEADER and isinstance(value, bytes):
            return {c for c in value.decode("utf-8", errors="replace").split(",") if c}
    return set()


def register(app: Any, topics: Any, province: Province) -> None:
    outbox = Outbox(topics)
    counters = stats("desk")
    partitions = topics.settings.partitions
    by_full_name = {topics.settings.topic(short): short for short in names.DESK_INPUTS}
    source = topics.many(*names.DESK_INPUTS)
    centres = Centres(
        province,
        app.Table("desk-state", default=None, partitions=partitions, key_type=str),
        app.Table("desk-ack-ids", default=None, partitions=partitions, key_type=str),
    )
    watch_desk(lambda: list(centres.desks.values()))

    forget_on_revoke(app, centres.drop)

    async def flush(records: list[tuple[str, str | None, Any]], forwarded: list[Any], last: dict[str, Any]) -> None:
        # Outputs reach the broker before the state that says they were made:
        # a crash in between replays the inputs and re-sends the same event ids.
        await outbox.send_all(records)
        for future in forwarded:
            await future
        records.clear()
        forwarded.clear()
        written = False
        for centre, event in last.items():
            # Each centre's entries go to its own changelog partition: name one of its events.
            desk, acks = centres.desks.get(centre), centres.acks.get(centre)
            if desk is not None and acks is not None:
                written |= await save_tables(app, event, CentreTable(centres.table, centre).changes(dict(desk.take_dirty())),
                                             acks.table.changes(acks.take_changes()), flush=False)
        last.clear()
        centres.written()
        if written:  # one wait for every centre's changelog writes, before the batch is acknowledged
            await app.producer.flush()

    @app.agent(source, name="desk")
    async def desk_agent(stream: Any) -> None:
        # Batches amortise the wait for delivery; within a batch order is kept.
        async for batch in batches(stream):
            timer = DeskBatchTimer()
            centres.begin_batch()
            records: list[tuple[str, str | None, Any]] = []
            forwarded: list[Any] = []
            last: dict[str, Any] = {}
            for event in batch:
                short = by_full_name.get(event.message.topic, event.message.topic)
                raw = event.value
                partition = event.message.partition
                try:
                    if short == names.CLOCK:
                        at = parse_tick(parse_json(raw)).at
                        outs = []
                        failed: Exception | None = None
                        for centre in centres_on(partition, list(province.centres), partitions):
                            try:
                                outs.append(centres.apply(centre, _tick_step(centre, at)))
                                last[centre] = event
                            except Exception as exc:  # the other centres' ticks stand, and so do their outputs
                                failed = failed or exc
                        if failed is not None:
                            records += _outputs(outs)
                            raise failed
                    else:
                        earlier = _tried(event)  # a hop's key names the centre asked, not the record's: route by its fields
                        report = report_object(raw) if short == names.REPORTS else None  # decoded once, read twice
                        owner = (centres.report_centre(report) if report is not None
                                 else centres.centre_of(short, raw, None if earlier else _key(event)))
                        if owner is None:  # no desk here holds its incident: ask the next centre's worker
                            held = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == event.message.topic}
                            hop, tried = centres.next_hop(earlier, held | {partition}, partitions)
                            forwarded.append(await outbox.send_raw(short, hop.encode("utf-8"), raw, {TRIED_HEADER: tried}))
                            counters.tick()
                            continue
                        centre = owner
                        if home_partition(centre, partitions) != partition:
                            # keyed by something else: send it home, where its centre's state lives
                            forwarded.append(await outbox.send_raw(short, centre.encode("utf-8"), raw))
                            counters.tick()
                            continue
                        outs = [centres.apply(centre, _record_step(centre, short, raw, report))]
                        last[centre] = event
                except Exception as exc:
                    counters.dead_letters += 1
                    await flush(records, forwarded, last)  # keep what the records before it decided
                    await outbox.dead(short, raw, exc, event)
                    counters.tick()
                    continue
                records += _outputs(outs)
                counters.tick()
            await flush(records, forwarded, last)
            timer.done()

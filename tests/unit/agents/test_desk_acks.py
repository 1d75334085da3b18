"""Where acks enter the desk: a phone's repeated client id is applied once, and the ids survive a restart."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from agents.desk import AcksOnce
from core.errors import RecordError
from core.records import TaskAck
from rules.context import Context
from rules.desk import Outputs

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 12, 20, 23, 0, tzinfo=CST)


class FakeDesk:
    """Counts the acks that reach the rules; refuses event ids starting with 'bad'."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.acks: list[TaskAck] = []

    def handle_ack(self, ack: TaskAck) -> Outputs:
        if ack.event_id.startswith("bad"):
            raise RecordError("no such task", kind="unknown_task")
        self.acks.append(ack)
        self.now = max(self.now or ack.at, ack.at)
        return Outputs()


def save(once: AcksOnce) -> None:
    """What `agents.common.save_tables` does with the ids a batch changed: write them, drop the forgotten ones."""
    for key, value in once.take_changes().items():
        if value is None:
            once.table.pop(key, None)
        else:
            once.table[key] = value


def raw(client_id: str | None, at: datetime = T0, event_id: str = "inc-1-r1", status: str = "accepted") -> bytes:
    return TaskAck(event_id=event_id, team_id="T-daoli-1", status=status, at=at, client_id=client_id).to_json()


def test_a_client_id_is_applied_once_and_survives_a_restart(ctx: Context) -> None:
    table: dict[str, Any] = {}
    desk = FakeDesk()
    once = AcksOnce(table, ctx)
    once.handle(desk, raw("phone-0001-aaaa"))  # type: ignore[arg-type]
    once.handle(desk, raw("phone-0001-aaaa"))  # type: ignore[arg-type]
    once.handle(desk, raw(None))  # type: ignore[arg-type]
    once.handle(desk, raw(None))  # type: ignore[arg-type]  # no id: the desk's own rules decide
    assert len(desk.acks) == 3 and once.repeats == 1
    save(once)
    assert table == {"phone-0001-aaaa": T0.isoformat()}
    restarted = AcksOnce(table, ctx)  # a new worker reads the changelogged table
    restarted.handle(desk, raw("phone-0001-aaaa"))  # type: ignore[arg-type]
    assert len(desk.acks) == 3 and restarted.repeats == 1


def test_a_refused_ack_is_not_remembered_and_old_ids_are_forgotten(ctx: Context) -> None:
    table: dict[str, Any] = {}
    desk = FakeDesk()
    once = AcksOnce(table, ctx)
    with pytest.raises(RecordError):
        once.handle(desk, raw("phone-0002-bbbb", event_id="bad-r1"))  # type: ignore[arg-type]
    assert "phone-0002-bbbb" not in (once.ids or {})
    once.handle(desk, raw("phone-0003-cccc"))  # type: ignore[arg-type]
    later = T0 + once.keep + timedelta(minutes=1)
    once.handle(desk, raw("phone-0004-dddd", at=later))  # type: ignore[arg-type]
    save(once)
    assert table == {"phone-0004-dddd": later.isoformat()}  # kept 2 x max_offline_h of event time


def test_a_command_is_applied_once_by_its_id_and_survives_a_restart(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    table: dict[str, Any] = {}
    desk = FakeDesk()
    applied: list[Any] = []

    def handle(_desk: Any, command: Any) -> Outputs:
        applied.append(command)
        return Outputs()

    monkeypatch.setattr("agents.desk.commands.handle", handle)
    payload = {"command_id": "cmd-7", "kind": "priority", "incident_id": "inc-1", "at": T0.isoformat(), "by": "alice",
               "priority": "P1", "reason": "not moving"}
    once = AcksOnce(table, ctx)
    once.command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]
    once.command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]  # a redelivery
    assert len(applied) == 1 and once.repeats == 1
    save(once)
    assert table == {"cmd:cmd-7": T0.isoformat()}
    AcksOnce(table, ctx).command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]
    assert len(applied) == 1
    with pytest.raises(RecordError):  # malformed: the agent dead-letters it
        once.command(desk, json.dumps({**payload, "command_id": "cmd-8", "kind": "teleport"}).encode())  # type: ignore[arg-type]


def test_an_ack_whose_client_id_reads_like_a_command_key_does_not_swallow_that_command(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Acks and commands share one table of ids applied, commands as `cmd:<command_id>`; a phone's client id may hold ':'."""
    table: dict[str, Any] = {}
    desk = FakeDesk()
    applied: list[Any] = []
    monkeypatch.setattr("agents.desk.commands.handle", lambda _desk, command: applied.append(command) or Outputs())
    once = AcksOnce(table, ctx)
    once.handle(desk, raw("cmd:cmd-7"))  # type: ignore[arg-type]
    payload = {"command_id": "cmd-7", "kind": "priority", "incident_id": "inc-1", "at": T0.isoformat(), "by": "alice",
               "priority": "P1", "reason": "not moving"}
    once.command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]
    assert len(desk.acks) == 1 and len(applied) == 1 and once.repeats == 0
    once.handle(desk, raw("cmd:cmd-7"))  # type: ignore[arg-type]  # the ack's own resend is still dropped
    assert len(desk.acks) == 1 and once.repeats == 1
    save(once)
    restarted = AcksOnce(table, ctx)
    restarted.command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]
    restarted.handle(desk, raw("cmd:cmd-7"))  # type: ignore[arg-type]
    restarted.handle(desk, raw("phone-0001-aaaa"))  # type: ignore[arg-type]  # a plain id keeps its bare key
    assert len(applied) == 1 and len(desk.acks) == 2 and restarted.repeats == 2
    save(restarted)
    assert "phone-0001-aaaa" in table


def test_an_action_older_than_its_id_is_remembered_is_refused_not_applied_again(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Command and ack ids are kept 2 x max_offline_h of event time; a copy of a command sent again days later (a replay
    into the live topics) found its id forgotten and was applied a second time (a merge, an assignment, a priority)."""
    table: dict[str, Any] = {}
    desk = FakeDesk()
    applied: list[Any] = []
    monkeypatch.setattr("agents.desk.commands.handle", lambda _desk, command: applied.append(command) or Outputs())
    payload = {"command_id": "cmd-7", "kind": "priority", "incident_id": "inc-1", "at": T0.isoformat(), "by": "alice",
               "priority": "P1", "reason": "not moving"}
    once = AcksOnce(table, ctx)
    once.command(desk, json.dumps(payload).encode())  # type: ignore[arg-type]
    once.handle(desk, raw("phone-0001-aaaa"))  # type: ignore[arg-type]
    later = T0 + 2 * once.keep
    once.handle(desk, raw("phone-0009-zzzz", at=later))  # type: ignore[arg-type]  # days on: the old ids are forgotten
    save(once)
    assert "cmd:cmd-7" not in table
    for replayed in (lambda: once.command(desk, json.dumps(payload).encode()), lambda: once.handle(desk, raw("phone-0001-aaaa"))):
        with pytest.raises(RecordError) as refused:
            replayed()  # type: ignore[arg-type]
        assert refused.value.kind == "stale_time"
    assert len(applied) == 1 and len(desk.acks) == 2
    once.handle(desk, raw(None))  # type: ignore[arg-type]  # an ack without an id: the desk's own rules decide, as before
    assert len(desk.acks) == 3

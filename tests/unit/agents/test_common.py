"""The shared report agent: good records become reports, bad ones dead letters, one batch sent together."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.common import register_report_agent, stats
from core import topics as names
from core.errors import RecordError
from core.records import Report


@dataclass
class Message:
    key: bytes | None
    offset: int


@dataclass
class Event:
    value: bytes
    message: Message


class Topic:
    def __init__(self, name: str, sent: list[tuple[str, bytes | None, bytes]]) -> None:
        self.name, self.sent = name, sent

    async def send(self, key: bytes | None, value: bytes) -> asyncio.Future[None]:
        self.sent.append((self.name, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Stream:
    def __init__(self, batches: list[list[Event]]) -> None:
        self.batches = batches

    async def take_events(self, max_: int, within: float) -> AsyncIterator[list[Event]]:
        for batch in self.batches:
            yield batch


class App:
    def __init__(self) -> None:
        self.agents: dict[str, tuple[Topic, Callable[[Any], Any]]] = {}

    def agent(self, channel: Topic, name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        def register(fun: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.agents[name] = (channel, fun)
            return fun

        return register


def to_report(raw: bytes) -> Report:
    obj = json.loads(raw)
    if "lat" not in obj:
        raise RecordError("lat: missing", kind="missing_field")
    return Report(report_id=obj["id"], source="tip", channel="hotline", at=datetime(2026, 12, 20, tzinfo=UTC),
                  lat=obj["lat"], lon=126.6, district="Daoli", centre="harbin")


def test_reports_and_dead_letters_of_one_batch_are_sent_in_order() -> None:
    sent: list[tuple[str, bytes | None, bytes]] = []
    topics = lambda name: Topic(name, sent)  # noqa: E731
    app = App()
    register_report_agent(app, topics, name="unit-intake", source=names.TIPS, to_report=to_report)
    channel, agent = app.agents["unit-intake"]
    assert channel.name == names.TIPS
    batch = [
        Event(b'{"id": "a", "lat": 45.7}', Message(b"a", 0)),
        Event(b'{"id": "b"}', Message(b"b", 1)),
        Event(b"not json", Message(None, 2)),
    ]
    asyncio.run(agent(Stream([batch])))
    assert [topic for topic, _, _ in sent] == [names.REPORTS, names.DEAD_LETTERS, names.DEAD_LETTERS]
    assert sent[0][1] == b"harbin" and json.loads(sent[0][2])["report_id"] == "a"
    missing = json.loads(sent[1][2])
    assert missing["error"] == "missing_field" and missing["payload"] == '{"id": "b"}' and missing["offset"] == 1
    internal = json.loads(sent[2][2])
    assert internal["error"] == "internal_error" and internal["payload"] == "not json" and internal["topic"] == names.TIPS
    counters = stats("unit-intake")
    assert counters.processed == 3 and counters.dead_letters == 2

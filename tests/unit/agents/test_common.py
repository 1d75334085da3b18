"""The shared report agent: good records become reports, bad ones dead letters, one batch sent together."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from agents import common
from agents.common import register_report_agent, stats
from core import topics as names
from core.errors import RecordError
from core.records import DeadLetter, Report


@dataclass
class Message:
    key: bytes | None
    offset: int


@dataclass
class Event:
    value: bytes
    message: Message


class Producer:
    def __init__(self, sent: list[tuple[str, bytes | None, bytes]]) -> None:
        self.sent = sent

    async def send(self, topic: str, key: bytes | None, value: bytes, partition: int | None, timestamp: float | None,
                   headers: Any) -> asyncio.Future[None]:
        self.sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Names:
    def topic(self, short: str) -> str:
        return short


class Topics:
    """The app's topics by short name (an input is named by its short name) and the producer behind them."""

    def __init__(self, app: App, sent: list[tuple[str, bytes | None, bytes]]) -> None:
        self.app, self.settings, self.producer = app, Names(), Producer(sent)
        app.producer = self.producer

    def __call__(self, name: str) -> str:
        return name


async def given_batches(stream: list[list[Event]]) -> AsyncIterator[list[Event]]:
    """Stands in for `agents.common.batches`: the stream is the list of its batches."""
    for batch in stream:
        yield batch


class App:
    def __init__(self) -> None:
        self.agents: dict[str, tuple[str, Callable[[Any], Any]]] = {}
        self.producer: Producer | None = None

    def agent(self, channel: str, name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        def register(fun: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.agents[name] = (channel, fun)
            return fun

        return register

    async def maybe_start_producer(self) -> Producer | None:
        return self.producer


def to_report(raw: bytes) -> Report:
    obj = json.loads(raw)
    if "lat" not in obj:
        raise RecordError("lat: missing", kind="missing_field")
    return Report(report_id=obj["id"], source="tip", channel="hotline", at=datetime(2026, 12, 20, tzinfo=UTC),
                  lat=obj["lat"], lon=126.6, district="Daoli", centre="harbin")


def test_reports_and_dead_letters_of_one_batch_are_sent_in_order(monkeypatch: Any) -> None:
    monkeypatch.setattr(common, "batches", given_batches)
    sent: list[tuple[str, bytes | None, bytes]] = []
    app = App()
    register_report_agent(app, Topics(app, sent), name="unit-intake", source=names.TIPS, to_report=to_report)
    channel, agent = app.agents["unit-intake"]
    assert channel == names.TIPS
    batch = [
        Event(b'{"id": "a", "lat": 45.7}', Message(b"a", 0)),
        Event(b'{"id": "b"}', Message(b"b", 1)),
        Event(b"not json", Message(None, 2)),
    ]
    asyncio.run(agent([batch]))
    assert [topic for topic, _, _ in sent] == [names.REPORTS, names.DEAD_LETTERS, names.DEAD_LETTERS]
    assert sent[0][1] == b"harbin" and json.loads(sent[0][2])["report_id"] == "a"
    missing = json.loads(sent[1][2])
    assert missing["error"] == "missing_field" and missing["payload"] == '{"id": "b"}' and missing["offset"] == 1
    internal = json.loads(sent[2][2])
    assert internal["error"] == "internal_error" and internal["payload"] == "not json" and internal["topic"] == names.TIPS
    counters = stats("unit-intake")
    assert counters.processed == 3 and counters.dead_letters == 2


class Channel:
    def __aiter__(self) -> Channel:
        return self

    async def __anext__(self) -> int:
        raise StopAsyncIteration


class LiveStream:
    """The part of a Faust stream `batches` drives: processors run on each arriving event, in order."""

    def __init__(self, arrivals: list[list[int]]) -> None:
        self.arrivals = arrivals  # events that arrive together, group after group
        self.channel = Channel()
        self.enable_acks = True
        self.current_event: int | None = None
        self._processors: list[Callable[[Any], Any]] = []
        self.acked: list[int] = []
        self.drained = asyncio.Event()

    def add_processor(self, processor: Callable[[Any], Any]) -> None:
        self._processors.append(processor)

    def _enable_passive(self, channel: Channel) -> None:
        self.drainer = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        for group in self.arrivals:
            for event in group:
                self.current_event = event
                for processor in self._processors:
                    await processor(event)
            await asyncio.sleep(0.01)
        self.drained.set()

    async def wait(self, event: asyncio.Event) -> None:
        await event.wait()

    async def wait_for_stopped(self, event: asyncio.Event) -> bool:
        await event.wait()
        return False

    async def ack(self, event: int) -> None:
        self.acked.append(event)


def test_batches_take_what_waits_and_ack_only_finished_batches() -> None:
    async def run() -> tuple[LiveStream, list[list[int]]]:
        stream = LiveStream([[0], [1, 2, 3, 4, 5], [6]])
        taken: list[list[int]] = []
        async with contextlib.aclosing(common.batches(stream, most=3)) as batches:
            async for batch in batches:
                taken.append(batch)
                await asyncio.sleep(0.05)  # long enough for what arrives next to queue up
                if 6 in batch:
                    break  # interrupted: a stop cancels the agent mid-batch
        await stream.drainer
        return stream, taken

    stream, taken = asyncio.run(run())
    assert taken == [[0], [1, 2, 3], [4, 5, 6]]  # what arrived meanwhile, never more than `most`
    assert stream.acked == [0, 1, 2, 3]  # the interrupted batch stays unacknowledged
    assert stream.enable_acks and not stream._processors


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, Any, int | None]] = []
        self.flushed = 0

    async def send(self, topic: str, key: Any, value: Any, partition: int | None, timestamp: float | None, headers: Any) -> None:
        self.sent.append((topic, key, value, partition))

    async def flush(self) -> None:
        self.flushed += 1


def test_save_tables_writes_the_store_and_the_changelog_as_faust_would() -> None:
    import faust

    app = faust.App("unit-save", store="memory://", autodiscover=False)
    table = app.Table("state", default=None, partitions=4, key_type=str)
    table.data["gone"] = {"n": 0}
    producer = _Producer()

    async def start() -> _Producer:
        return producer

    app.maybe_start_producer = start  # type: ignore[method-assign]
    app.producer = producer  # type: ignore[assignment,misc]
    table.partition_for_key = lambda key: 2  # type: ignore[method-assign]  # Faust: the current event's partition
    event = Event(b"", Message(None, 7))
    written = asyncio.run(common.save_tables(app, event, (table, {"a": {"n": 1}, "gone": None, "never": None})))
    assert written and producer.flushed == 1
    assert dict(table.data) == {"a": {"n": 1}}  # the store; a missing key deleted writes nothing
    faust_key, headers = table.changelog_topic.prepare_key("a", table.key_serializer, None, {})
    faust_value, _ = table.changelog_topic.prepare_value({"n": 1}, table.value_serializer, None, headers)
    tombstone_key, _ = table.changelog_topic.prepare_key("gone", table.key_serializer, None, {})
    assert producer.sent == [("unit-save-state-changelog", faust_key, faust_value, 2), ("unit-save-state-changelog", tombstone_key, None, 2)]
    assert json.loads(faust_value) == {"n": 1}
    assert not asyncio.run(common.save_tables(app, event, (table, {"never": None}))), "nothing to write"


def test_a_dead_letter_fits_in_a_broker_message_whatever_the_payload() -> None:
    # The producer raises on a record over its 1 000 000-byte request limit; an agent that cannot send its dead letter
    # dies and reads the same record at its restart. 200 kB of control bytes escaped to 1.2 MB, 999 kB of text plus the
    # letter's own fields passed the limit, and a 900 kB time string came back whole in the reason as well.
    cases = [
        bytes([1]) * 200_000,
        b'{"tip_id": "t", "text": "' + b"a" * 999_000 + b'"}',
        b'{"tip_id": "t", "reported_at": "' + b"9" * 900_000 + b'"}',
    ]
    for raw in cases:
        letter = common.dead_letter(names.TIPS, raw, RecordError("reported_at: not an ISO 8601 time: " + raw[-900_000:].decode("latin-1")),
                                    key=b"k" * 500_000)
        assert len(letter.to_json()) <= 1_000_000 - 10_000  # the producer's limit, with room for the key and headers
        assert "payload cut to its first" in letter.reason and raw.decode("utf-8", "replace").startswith(letter.payload)
        assert letter.event_id == common.dead_letter(names.TIPS, raw, RecordError("x")).event_id  # the id is the whole payload's
    small = b'{"tip_id": "t", "text": "' + b"\x01" * 1000 + b'"}'
    kept = common.dead_letter(names.TIPS, small, RecordError("text: x"))
    assert kept.payload == small.decode() and kept.reason == "text: x"
    # a huge payload that is not UTF-8 keeps its first bytes exactly, within the same limit
    huge = "老人".encode("gbk") * 300_000
    letter = common.dead_letter(names.TIPS, huge, RecordError("not JSON"))
    assert len(letter.to_json()) <= 1_000_000 - 10_000 and letter.payload_b64 is not None
    assert huge.startswith(base64.b64decode(letter.payload_b64)) and len(base64.b64decode(letter.payload_b64)) > 10_000


def test_a_payload_that_is_not_utf8_is_kept_byte_for_byte() -> None:
    # A GBK tip was kept only as text with replacement characters where its Chinese was: the bytes were lost.
    raw = '{"tip_id": "t-1", "text": "桥洞下有位老人"}'.encode("gbk")
    letter = common.dead_letter(names.TIPS, raw, RecordError("not UTF-8", kind="malformed"))
    assert "\ufffd" in letter.payload and letter.payload_b64 is not None
    assert base64.b64decode(letter.payload_b64) == raw and base64.b64decode(letter.payload_b64).decode("gbk").endswith("老人\"}")
    utf8 = common.dead_letter(names.TIPS, '{"text": "老人\ufffd"}'.encode(), RecordError("x"))  # a replacement character typed
    assert utf8.payload_b64 is None and DeadLetter.from_dict(json.loads(letter.to_json())) == letter


def test_a_dispatch_event_read_downstream_must_carry_plausible_offset_times() -> None:
    """The partner and reporter agents took a time without its offset as the server's local time (a CAP notice
    `sent` hours off) and a year-9999 one overflowed later: both are dead-lettered now."""
    from core.errors import RecordError
    from core.records import DispatchEvent

    good = DispatchEvent(event_id="inc-1-r1", kind="dispatch", incident_id="inc-1", revision=1, priority="P2",
                         category="escort_station", rules=(), zone_id="Z1", key_area=None, lat=45.77, lon=126.62,
                         sources=("tip-1",), team_id=None, ack_deadline=None, nearest_help_point=None, notify=(),
                         at=datetime(2026, 12, 20, 23, 0, tzinfo=UTC)).to_dict()
    assert common.read_dispatch(good).incident_id == "inc-1"
    for bad in ("2026-12-20T23:00:00", "9999-12-20T23:00:00+00:00"):
        with pytest.raises(RecordError, match="at: "):
            common.read_dispatch({**good, "at": bad})


def test_the_worker_s_readers_of_dispatch_share_one_reading_of_each_record_and_refuse_a_bad_one_each() -> None:
    """Partner notices and replies read the same events: `dispatch_of` decodes and checks a record once for both (the
    same, unchanged event), and a record that fails is kept by neither and fails again for the second reader."""
    from core.records import DispatchEvent

    event = DispatchEvent(event_id="inc-2-r1", kind="dispatch", incident_id="inc-2", revision=1, priority="P2",
                          category="guidance", rules=(), zone_id="Z1", key_area=None, lat=45.77, lon=126.62,
                          sources=("tip-2",), team_id=None, ack_deadline=None, nearest_help_point=None, notify=(),
                          at=datetime(2026, 12, 20, 23, 0, tzinfo=UTC))
    raw = event.to_json()
    first = common.dispatch_of(raw)
    assert first == event == common.read_dispatch(json.loads(raw))
    assert common.dispatch_of(bytes(bytearray(raw))) is first  # another consumer's copy of the same bytes
    bad = json.dumps({**event.to_dict(), "at": "2026-12-20T23:00:00"}).encode()
    for _reader in ("partners", "reporters"):
        with pytest.raises(RecordError, match="at: "):
            common.dispatch_of(bad)
    with pytest.raises(json.JSONDecodeError):
        common.dispatch_of(b"{not json")

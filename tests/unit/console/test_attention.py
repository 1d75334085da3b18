"""The needs-attention queue folds dead letters and operators' decisions, in either order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from console.attention import MAX_ATTENTION_ITEMS, MAX_SHOWN_PAYLOAD_CHARS, AttentionQueue
from core import topics
from core.records import ConsoleAction, DeadLetter

AT = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)


def letter(n: int, topic: str = "tips", error: str = "unknown_address") -> dict:
    return DeadLetter(topic=topic, reason="address: unknown address", payload=json.dumps({"tip_id": f"t{n}", "address": "x"}), error=error,
                      offset=n, event_id=f"dl-{n:04x}").to_dict()


def action(n: int, what: str = "dismissed") -> dict:
    return ConsoleAction(action_id=f"dl-{n:04x}-{what}", dead_letter_id=f"dl-{n:04x}", action=what, by="op", at=AT, reason="test").to_dict()


def test_open_until_decided_and_first_decision_stands() -> None:
    q = AttentionQueue()
    changes = q.apply_record(topics.DEAD_LETTERS, letter(1))
    assert changes and changes[0][0] == "attention" and q.counts()["open"] == 1
    assert q.apply_record(topics.DEAD_LETTERS, letter(1)) == [], "a redelivered dead letter is one item"
    item = q.snapshot()["items"][0]
    assert item["original"] == {"tip_id": "t1", "address": "x"} and "map" in item["hint"]
    q.apply_record(topics.CONSOLE_ACTIONS, action(1))
    assert q.counts() == {"open": 0, "resolved": 1, "other_dead_letters": 0}
    assert q.apply_record(topics.CONSOLE_ACTIONS, action(1, "resubmitted")) == []
    assert q.get("dl-0001").action.action == "dismissed"  # type: ignore[union-attr]


def test_decision_read_before_its_dead_letter_and_other_topics_counted() -> None:
    q = AttentionQueue()
    q.apply_record(topics.CONSOLE_ACTIONS, action(2, "resubmitted"))
    q.apply_record(topics.DEAD_LETTERS, letter(2))
    q.apply_record(topics.DEAD_LETTERS, letter(3, topic="weather"))
    q.apply_record(topics.DEAD_LETTERS, {"nonsense": True})
    q.apply_record(topics.DEAD_LETTERS, "not an object")
    assert q.counts() == {"open": 0, "resolved": 1, "other_dead_letters": 1}
    malformed = DeadLetter(topic="tips", reason="malformed JSON", payload="not json {", error="malformed", event_id="dl-9").to_dict()
    q.apply_record(topics.DEAD_LETTERS, malformed)
    assert q.snapshot()["items"][0]["original"] is None and q.counts()["open"] == 1


def test_a_dead_tip_nested_too_deeply_leaves_the_queue_readable() -> None:
    # The intake dead-letters a tip nested 100 000 deep as malformed; decoding its payload again to prefill the form
    # raised RecursionError: the item was stored, and every snapshot of the queue failed from then on (500 on /api/attention).
    q = AttentionQueue()
    deep = '{"tip_id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    dead = DeadLetter(topic="tips", reason="malformed JSON: nested too deeply", payload=deep, error="malformed", offset=1, event_id="dl-00ff")
    changes = q.apply_record(topics.DEAD_LETTERS, dead.to_dict())
    assert changes and changes[0][1]["item"]["original"] is None
    q.apply_record(topics.DEAD_LETTERS, letter(2))
    assert [i["id"] for i in q.snapshot()["items"]] == ["dl-00ff", "dl-0002"]


def test_a_decision_in_year_9999_is_not_kept() -> None:
    """Kept, it overflowed the sorting of decisions in UTC: every screen of the queue failed (OverflowError)."""
    q = AttentionQueue()
    q.apply_record(topics.DEAD_LETTERS, letter(3))
    assert q.apply_record(topics.CONSOLE_ACTIONS, {**action(3), "at": "9999-12-31T23:00:00-05:00"}) == []
    assert q.apply_record(topics.CONSOLE_ACTIONS, {**action(3), "at": "2026-12-20T23:00:00"}) == []  # no offset either
    assert q.snapshot()["open"] == 1
    q.apply_record(topics.CONSOLE_ACTIONS, action(3))
    assert q.snapshot()["resolved_items"][0]["action"]["at"] == AT.isoformat()


def test_a_dead_letter_whose_fields_are_not_their_types_is_not_queued() -> None:
    # Kept, an offset "x" beside the others' numbers failed the sorting of every snapshot (GET /api/attention a 500
    # for every operator, at every restart); a payload that is a number failed the item's `original`; a time without
    # offset its decision's sorting.
    q = AttentionQueue()
    q.apply_record(topics.DEAD_LETTERS, letter(1))
    for n, over in enumerate(({"offset": "x"}, {"payload": 5}, {"event_id": 7}, {"reason": None}, {"at": "2026-12-20T15:00:00"}), start=2):
        assert q.apply_record(topics.DEAD_LETTERS, {**letter(n), **over}) == [], over
    assert q.counts()["open"] == 1
    assert [i["id"] for i in q.snapshot()["items"]] == ["dl-0001"]


def test_a_flood_of_unreadable_tips_keeps_the_queue_s_answer_bounded() -> None:
    """Anyone who can send a tip can fill `dead-letters` (up to 512 kB a letter): the queue answered every open item
    with its payload twice (text and parsed), and every operator page fetched it again at each new dead letter, so
    the screen where a real caller's failed tip is corrected never loaded. The oldest MAX_ATTENTION_ITEMS are
    answered, each payload cut to what a correction can carry; the counts still tell every one."""
    q = AttentionQueue()
    big = json.dumps({"tip_id": "t", "address": "x", "text": "冷" * 200_000}, ensure_ascii=False)
    for n in range(MAX_ATTENTION_ITEMS + 50):
        q.apply_record(topics.DEAD_LETTERS, {**letter(n), "payload": big if n % 2 else letter(n)["payload"]})
    snap = q.snapshot()
    assert snap["open"] == MAX_ATTENTION_ITEMS + 50 and len(snap["items"]) == MAX_ATTENTION_ITEMS
    assert [i["offset"] for i in snap["items"]] == list(range(MAX_ATTENTION_ITEMS)), "the oldest first"
    assert len(json.dumps(snap, ensure_ascii=False)) < MAX_ATTENTION_ITEMS * (MAX_SHOWN_PAYLOAD_CHARS * 2 + 2000)
    cut, whole = snap["items"][1], snap["items"][0]
    assert cut["payload_cut"] and len(cut["payload"]) == MAX_SHOWN_PAYLOAD_CHARS and cut["original"] is None
    assert not whole["payload_cut"] and whole["original"] == {"tip_id": "t0", "address": "x"}
    assert q.get(cut["id"]) is not None and len(q.get(cut["id"]).letter.payload) == len(big), "the letter itself is kept whole"  # type: ignore[union-attr]

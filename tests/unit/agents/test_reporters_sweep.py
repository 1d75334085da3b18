"""The reply agent's sweep: expired entries become deletes (tombstones), its clock entry stays, old entries get a start."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agents.reporters import CLOCK_KEY, sweep
from rules.reporters import ReplyWriter, TipReplies

AT = datetime(2026, 12, 20, 23, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_sweep_deletes_expired_entries_and_starts_the_retention_of_old_ones() -> None:
    writer = ReplyWriter(hotline="12349", exercise=False)
    writer.advance(AT + timedelta(hours=40))
    ended = TipReplies(contact="tel:+8613812345678", via="sms", sent=["inc-a:ended"], read_at=AT, closed=["inc-a"], ended_at=AT + timedelta(hours=1))
    open_ = TipReplies(contact="tel:+8613812345679", via="sms", read_at=AT, last_at=AT + timedelta(hours=2), open=["inc-b"])
    legacy = {"contact": "tel:+8613812345670", "via": "sms", "sent": ["inc-c:on_the_way"]}  # written before retention
    entries = [(CLOCK_KEY, {"clock": AT.isoformat()}), ("tip-1", ended.to_dict()), ("tip-2", open_.to_dict()), ("tip-3", legacy)]
    changes = sweep(writer, entries)
    assert set(changes) == {"tip-1", "tip-3"}
    assert changes["tip-1"] is None, "a delete: save_tables writes a tombstone"
    kept = TipReplies.from_dict(changes["tip-3"])
    assert kept.read_at == writer.clock and kept.sent == ["inc-c:on_the_way"]
    writer.advance(AT + timedelta(hours=40 + 168))
    assert sweep(writer, [("tip-3", kept.to_dict())]) == {"tip-3": None}

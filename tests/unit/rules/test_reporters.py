"""Replies to reporters: once per stage, plain bilingual words, nothing about anyone's identity."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.records import DispatchEvent, ReporterContact
from rules.reporters import ReplyWriter, TipReplies
from tests.unit.rules.test_partners import event as partner_event

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 20, 23, 5, tzinfo=TZ)


def event(revision: int = 1, **kw: Any) -> DispatchEvent:
    """A dispatch event whose sources (tip-1 unless named) the desk took with a reporter contact."""
    return partner_event(revision, **{"contact_sources": kw.get("sources", ("tip-1",)), **kw})


CONTACT = ReporterContact(tip_id="tip-1", contact="tel:+8613812345678", masked="tel:+86138****5678", via="sms", at=AT)


def test_team_on_the_way_then_outcome_once_each() -> None:
    writer = ReplyWriter(hotline="12349", exercise=False)
    due, state = writer.contact(CONTACT, TipReplies())
    assert due == []
    first, state = writer.handle(event(), "tip-1", state)
    assert first is not None and first.stage == "on_the_way" and first.outcome_class == "team_on_the_way"
    assert first.to == "tel:+8613812345678" and first.via == "sms" and first.feedback_id == "fb-tip-1-inc-abc-on_the_way"
    assert "on the way" in first.message_en and "已出发" in first.message_zh
    again, state = writer.handle(event(2, kind="update", team_id="T-daoli-1"), "tip-1", state)
    assert again is None, "a second team is not a second message"
    end, state = writer.handle(event(3, kind="resolved", status="resolved", reason="resolved by T-daoli-2: taken_to_station"), "tip-1", state)
    assert end is not None and end.stage == "ended" and end.outcome_class == "taken_to_station"
    assert "rescue station" in end.message_en and "救助站" in end.message_zh and "12349" in end.message_zh
    for message in (first.message_zh, first.message_en, end.message_zh, end.message_en):
        assert "13812345678" not in message and "胡言乱语" not in message and "mental" not in message
    repeat, _ = writer.handle(event(3, kind="resolved", status="resolved"), "tip-1", state)
    assert repeat is None
    assert TipReplies.from_dict(state.to_dict()) == state


def test_no_contact_no_reply_and_queued_is_not_on_the_way() -> None:
    writer = ReplyWriter(hotline="12349", exercise=True)
    none, _ = writer.handle(event(), "tip-1", TipReplies())
    assert none is None
    _, state = writer.contact(CONTACT, TipReplies())
    queued, _ = writer.handle(event(kind="queued", team_id=None, status="queued"), "tip-1", state)
    assert queued is None
    end, _ = writer.handle(event(kind="resolved", status="resolved", reason="resolved by console"), "tip-1", state)
    assert end is not None and end.outcome_class == "handled" and end.exercise and end.message_en.startswith("[Drill]")


def test_outcome_from_field_or_reason() -> None:
    assert event(kind="resolved", reason="resolved by T-1: not_found").outcome_code() == "not_found"
    assert event(kind="resolved", reason=None).outcome_code() is None
    assert event(kind="resolved", reason="resolved by T-1", outcome="refused").outcome_code() == "refused"
    assert dataclasses.is_dataclass(CONTACT)


def test_an_event_read_before_the_contact_is_answered_when_the_contact_comes() -> None:
    writer = ReplyWriter(hotline="12349", exercise=False)
    early, state = writer.handle(event(), "tip-1", TipReplies())
    assert early is None
    writer.handle(event(2, kind="update", team_id="T-daoli-1"), "tip-1", state)
    due, state = writer.contact(CONTACT, state)
    assert [f.stage for f in due] == ["on_the_way"] and due[0].event_id == "inc-abc-r1"
    again, _ = writer.contact(CONTACT, state)
    assert again == [], "remembered events are answered once"


def test_a_second_tip_reusing_a_tip_id_does_not_take_over_the_first_reporters_replies() -> None:
    # Intake writes a tip's contact before its report; a second tip with the same tip_id and other content is refused
    # by the desk (`duplicate`), but its contact had already replaced the first reporter's: the outcome of the first
    # report went to whoever sent the second.
    writer = ReplyWriter(hotline="12349", exercise=False)
    _, state = writer.contact(CONTACT, TipReplies())
    other = dataclasses.replace(CONTACT, contact="tel:+8613900000000", masked="tel:+86139****0000")
    due, state = writer.contact(other, state)
    assert due == [] and state.contact == CONTACT.contact
    end, _ = writer.handle(event(kind="resolved", status="resolved", reason="resolved by T-1: taken_to_hospital"), "tip-1", state)
    assert end is not None and end.to == CONTACT.contact
    _, again = writer.contact(CONTACT, state)  # a redelivery of the first tip's contact changes nothing
    assert again == state


def test_one_contact_gets_a_bounded_number_of_replies_a_day() -> None:
    """Anyone may leave a contact on a tip: a flood of tips naming one stranger's number (each its own incident) had the
    hotline text that number two messages a tip, without end. A contact gets at most MAX_REPLIES_PER_CONTACT replies in
    CONTACT_WINDOW of event time; the rest are not sent (counted), other contacts are not affected."""
    from datetime import timedelta

    from rules.reporters import CONTACT_WINDOW, MAX_REPLIES_PER_CONTACT

    writer = ReplyWriter(hotline="12349", exercise=False)
    sent = []
    for n in range(MAX_REPLIES_PER_CONTACT + 15):
        tip = f"tip-{n}"
        _, state = writer.contact(dataclasses.replace(CONTACT, tip_id=tip), TipReplies())
        feedback, state = writer.handle(event(incident_id=f"inc-{n}", event_id=f"inc-{n}-r1", sources=(tip,), at=AT + timedelta(minutes=n)),
                                        tip, state)
        sent.append(feedback)
        again, _ = writer.handle(event(incident_id=f"inc-{n}", event_id=f"inc-{n}-r2", kind="update", sources=(tip,),
                                       at=AT + timedelta(minutes=n, seconds=30)), tip, state)
        assert again is None  # a suppressed stage is not tried again by the next event
    assert sum(f is not None for f in sent) == MAX_REPLIES_PER_CONTACT and writer.suppressed == 15
    other = dataclasses.replace(CONTACT, tip_id="tip-x", contact="tel:+8613900000000")
    _, state = writer.contact(other, TipReplies())
    assert writer.handle(event(incident_id="inc-x", sources=("tip-x",), at=AT + timedelta(hours=1)), "tip-x", state)[0] is not None
    later = AT + CONTACT_WINDOW + timedelta(hours=1)  # a day on, the first contact is answered again
    _, state = writer.contact(dataclasses.replace(CONTACT, tip_id="tip-late"), TipReplies())
    assert writer.handle(event(incident_id="inc-late", sources=("tip-late",), at=later), "tip-late", state)[0] is not None


def test_a_tip_the_desk_took_without_a_contact_is_not_answered_to_a_contact_sent_later_under_its_id() -> None:
    # The first tip left no contact and was taken; a second tip reusing its id with a contact is refused by the desk as
    # a duplicate, but intake had written the second tip's contact: its sender was told how the first call ended.
    writer = ReplyWriter(hotline="12349", exercise=False)
    _, state = writer.contact(CONTACT, TipReplies())
    for ev in (event(contact_sources=()), event(2, kind="resolved", status="resolved", contact_sources=("tip-2",))):
        reply, state = writer.handle(ev, "tip-1", state)
        assert reply is None
    due, _ = writer.contact(CONTACT, state)
    assert due == [], "nor when the contact is read after the events"
    answered, _ = writer.handle(event(3, kind="resolved", status="resolved"), "tip-1", state)
    assert answered is not None and answered.to == CONTACT.contact

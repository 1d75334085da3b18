"""Replies to reporters who left a contact: a team is on the way, and how it ended.

Pure. Per tip the state is its contact and which messages were sent, so a
replay or a redelivered event never texts a reporter twice (ids come from
tip, incident and stage). Messages are short, bilingual and in plain words;
they say what happened to the report, never who the person was or anything
another reporter said.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.records import DispatchEvent, ReporterContact, ReporterFeedback

ON_THE_WAY, ENDED = "on_the_way", "ended"
ACTIVE_STATUSES: frozenset[str] = frozenset({"assigned", "accepted", "en_route", "on_scene", "open"})

# Outcome code (team or operator) -> class, Chinese and English plain words.
OUTCOME_CLASSES: dict[str, tuple[str, str, str]] = {
    "taken_to_hospital": ("taken_to_hospital", "已送医院救治", "taken to hospital for care"),
    "taken_to_station": ("taken_to_station", "已护送到救助站", "taken to the rescue station"),
    "returned_home": ("returned_home", "已帮助其返回家中", "helped back home"),
    "guided_to_help_point": ("guided", "已引导到附近的救助点", "guided to a nearby help point"),
    "supplies_given": ("supplies_given", "已送上御寒物资，我们会再去看望", "given warm clothes and supplies; we will visit again"),
    "refused_supplies_given": ("supplies_given", "已送上御寒物资，我们会再去看望", "given warm clothes and supplies; we will visit again"),
    "refused": ("refused_help", "当事人暂不愿接受救助，我们已留下求助电话并会再去看望",
                "the person did not want help for now; we left our number and will visit again"),
    "not_found": ("not_found", "队伍到场后没有找到需要帮助的人", "the team found no one needing help at the place"),
    "false_alarm": ("no_help_needed", "经核实无人需要救助", "no one there needed help"),
}
HANDLED = ("handled", "已处理完毕", "handled")
# Tips named by recent events whose contact was not read yet (contacts and
# events arrive on two topics): replayed when the contact comes.
RECENT_TIPS = 10_000
# Replies one contact gets in a window of event time. Anyone may leave a contact on a tip: a flood of tips naming a
# stranger's number had the hotline text it twice a tip without end. Kept in memory (a restart forgets the counts).
MAX_REPLIES_PER_CONTACT = 20
CONTACT_WINDOW = timedelta(hours=24)
CONTACTS_KEPT = 100_000


@dataclass
class TipReplies:
    """What one tip's reporter can be told and was told."""

    contact: str | None = None
    via: str | None = None
    sent: list[str] = field(default_factory=list)  # "incident_id:stage"

    def to_dict(self) -> dict[str, Any]:
        return {"contact": self.contact, "via": self.via, "sent": list(self.sent)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TipReplies:
        if not data:
            return cls()
        return cls(contact=data.get("contact"), via=data.get("via"), sent=list(data.get("sent") or []))


def stage_of(ev: DispatchEvent) -> str | None:
    """Which reply an event calls for: a team sent, the incident resolved, or none."""
    if ev.kind == "resolved":
        return ENDED
    if ev.team_id and ev.kind in ("dispatch", "update", "escalation", "followup") and ev.status in ACTIVE_STATUSES:
        return ON_THE_WAY
    return None


class ReplyWriter:
    """Messages for the reporters named by a dispatch event's sources."""

    def __init__(self, *, hotline: str | Callable[[DispatchEvent], str], exercise: bool) -> None:
        """`hotline`: the number a reply names, or the number for an event (each city's own, in a many-city deployment)."""
        self.hotline_of: Callable[[DispatchEvent], str] = hotline if callable(hotline) else (lambda _ev: hotline)
        self.exercise = exercise
        self.recent: OrderedDict[str, list[DispatchEvent]] = OrderedDict()
        self.replied: OrderedDict[str, deque[datetime]] = OrderedDict()  # contact -> times of its replies in the window
        self.suppressed = 0  # replies not sent: their contact had its share of the window

    def contact(self, record: ReporterContact, state: TipReplies) -> tuple[list[ReporterFeedback], TipReplies]:
        """Remember a tip's contact; replies due for events already read about the tip go out now.

        The first contact a tip id brought stays. Intake writes a contact before
        the desk judges the tip's report, so a second tip reusing the id with
        other content (refused by the desk as a `duplicate`) would otherwise
        have its sender told how the first reporter's call ended.
        """
        if state.contact is not None and state.contact != record.contact:
            return [], state
        state = TipReplies(contact=record.contact, via=record.via, sent=list(state.sent))
        out: list[ReporterFeedback] = []
        for ev in self.recent.pop(record.tip_id, []):
            feedback, state = self.handle(ev, record.tip_id, state)
            if feedback is not None:
                out.append(feedback)
        return out, state

    def handle(self, ev: DispatchEvent, tip_id: str, state: TipReplies) -> tuple[ReporterFeedback | None, TipReplies]:
        """The reply this event calls for to the reporter of `tip_id`, if any, and the state after it."""
        stage = stage_of(ev)
        if stage is None or tip_id not in ev.contact_sources:  # the desk took this tip without a contact
            return None, state
        if state.contact is None or state.via is None:
            self._remember(tip_id, ev)
            return None, state
        key = f"{ev.incident_id}:{stage}"
        if key in state.sent or (stage == ON_THE_WAY and f"{ev.incident_id}:{ENDED}" in state.sent):
            return None, state
        if not self._may_reply(state.contact, ev.at):  # marked as sent: the next event of the tip does not try again
            self.suppressed += 1
            return None, TipReplies(contact=state.contact, via=state.via, sent=[*state.sent, key])
        outcome_class, zh, en = self._words(ev, stage)
        feedback = ReporterFeedback(
            feedback_id=f"fb-{tip_id}-{ev.incident_id}-{stage}",
            tip_id=tip_id,
            incident_id=ev.incident_id,
            event_id=ev.event_id,
            stage=stage,
            outcome_class=outcome_class,
            message_zh=zh,
            message_en=en,
            via=state.via,
            to=state.contact,
            at=ev.at,
            exercise=self.exercise,
        )
        return feedback, TipReplies(contact=state.contact, via=state.via, sent=[*state.sent, key])

    def _may_reply(self, contact: str, at: datetime) -> bool:
        """Whether `contact` may get one more reply at `at` (MAX_REPLIES_PER_CONTACT in CONTACT_WINDOW); counts it if so."""
        times = self.replied.setdefault(contact, deque())
        self.replied.move_to_end(contact)
        while times and times[0] <= at - CONTACT_WINDOW:
            times.popleft()
        while len(self.replied) > CONTACTS_KEPT:
            self.replied.popitem(last=False)
        if len(times) >= MAX_REPLIES_PER_CONTACT:
            return False
        times.append(at)
        return True

    def _remember(self, tip_id: str, ev: DispatchEvent) -> None:
        """Keep a tip's reply-worthy events (bounded) in case its contact is read after them."""
        events = self.recent.setdefault(tip_id, [])
        self.recent.move_to_end(tip_id)
        events.append(ev)
        del events[:-4]
        while len(self.recent) > RECENT_TIPS:
            self.recent.popitem(last=False)

    def _words(self, ev: DispatchEvent, stage: str) -> tuple[str, str, str]:
        drill_zh, drill_en = ("【演练】", "[Drill] ") if self.exercise else ("", "")
        if stage == ON_THE_WAY:
            return (
                "team_on_the_way",
                f"{drill_zh}【救助热线】感谢您的报告，救助队伍已出发前往您报告的地点。",
                f"{drill_en}Rescue hotline: thank you for your report. A team is on the way to the place you reported.",
            )
        code = ev.outcome_code()
        outcome_class, zh, en = OUTCOME_CLASSES.get(code or "", HANDLED)
        hotline = self.hotline_of(ev)
        return (
            outcome_class,
            f"{drill_zh}【救助热线】您报告的求助已处理：{zh}。感谢您的关心，再发现需要帮助的人请拨打 {hotline}。",
            f"{drill_en}Rescue hotline: the help you reported has been dealt with: {en}. Thank you. If you see someone "
            f"else in need, call {hotline}.",
        )

"""Replies to reporters who left a contact: a team is on the way, and how it ended.

Pure. Per tip the state is its contact and which messages were sent, so a
replay or a redelivered event never texts a reporter twice (ids come from
tip, incident and stage). Messages are short, bilingual and in plain words;
they say what happened to the report, never who the person was or anything
another reporter said.

Retention, in event time (the latest dispatch event read, `ReplyWriter.clock`;
a contact never moves it: intake writes contacts before the desk checks the
tip's time). A tip's entry is forgotten (`ReplyWriter.expired`) once every
incident that named it ended (resolved or merged) `keep_after_end` ago, or in
any case `keep_unanswered` after its contact or its last event, but never
while a redelivery of its contact would still be taken: a contact or event
more than `keep_after_end` behind the clock is dropped as stale, so a forgotten
entry is never rebuilt and no reporter is texted twice.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.records import DispatchEvent, ReporterContact, ReporterFeedback, from_iso, iso

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
KEEP_AFTER_END = timedelta(hours=36)  # defaults of data/policy.toml [replies]
KEEP_UNANSWERED = timedelta(hours=168)
CLOSING_KINDS = ("resolved", "merged")


@dataclass
class TipReplies:
    """What one tip's reporter can be told and was told."""

    contact: str | None = None
    via: str | None = None
    sent: list[str] = field(default_factory=list)  # "incident_id:stage"
    read_at: datetime | None = None  # the contact's time (None in state written before retention: set on a sweep)
    last_at: datetime | None = None  # the latest event naming the tip
    open: list[str] = field(default_factory=list)  # incidents naming the tip, not yet resolved or merged
    closed: list[str] = field(default_factory=list)  # incidents naming the tip that were resolved or merged
    ended_at: datetime | None = None  # when the last open one closed

    def to_dict(self) -> dict[str, Any]:
        return {"contact": self.contact, "via": self.via, "sent": list(self.sent), "read_at": iso(self.read_at),
                "last_at": iso(self.last_at), "open": list(self.open), "closed": list(self.closed),
                "ended_at": iso(self.ended_at)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TipReplies:
        if not data:
            return cls()
        return cls(contact=data.get("contact"), via=data.get("via"), sent=list(data.get("sent") or []),
                   read_at=_time(data.get("read_at")), last_at=_time(data.get("last_at")), open=list(data.get("open") or []),
                   closed=list(data.get("closed") or []), ended_at=_time(data.get("ended_at")))

    def saw(self, ev: DispatchEvent) -> TipReplies:
        """The state after reading `ev`, which names this tip among the sources taken with its contact: which incidents
        are open, and since when none is."""
        incident, closed, opened = ev.incident_id, list(self.closed), list(self.open)
        if ev.kind in CLOSING_KINDS:
            if incident in opened or incident not in closed:
                opened = [i for i in opened if i != incident]
                closed.append(incident)
        elif incident not in closed and incident not in opened:
            opened.append(incident)
        ended = self.ended_at
        if opened:
            ended = None
        elif closed and (ended is None or ev.at > ended) and ev.kind in CLOSING_KINDS:
            ended = ev.at
        last = ev.at if self.last_at is None or ev.at > self.last_at else self.last_at
        return replace(self, open=opened, closed=closed, ended_at=ended, last_at=last)


def _time(text: Any) -> datetime | None:
    return from_iso(text) if isinstance(text, str) else None


def stage_of(ev: DispatchEvent) -> str | None:
    """Which reply an event calls for: a team sent, the incident resolved, or none."""
    if ev.kind == "resolved":
        return ENDED
    if ev.team_id and ev.kind in ("dispatch", "update", "escalation", "followup") and ev.status in ACTIVE_STATUSES:
        return ON_THE_WAY
    return None


def reply_key(centre: str, tip_id: str) -> str:
    """Where a tip's contact and replies are kept: under its dispatch centre, as each city's producers number their own
    tips (`12345-0001` in two cities). Keyed by the tip id alone, the second city's reporter was never answered and the
    first was told how the other city's call ended: another person's outcome. No centre (records written before
    centres were named): the tip id alone."""
    return f"{centre}/{tip_id}" if centre else tip_id


class ReplyWriter:
    """Messages for the reporters named by a dispatch event's sources."""

    def __init__(self, *, hotline: str | Callable[[DispatchEvent], str], exercise: bool,
                 keep_after_end: timedelta = KEEP_AFTER_END, keep_unanswered: timedelta = KEEP_UNANSWERED) -> None:
        """`hotline`: the number a reply names, or the number for an event (each city's own, in a many-city deployment).
        `keep_after_end`, `keep_unanswered`: the policy's `[replies]` periods (see the module's docstring)."""
        self.hotline_of: Callable[[DispatchEvent], str] = hotline if callable(hotline) else (lambda _ev: hotline)
        self.exercise = exercise
        self.keep_after_end, self.keep_unanswered = keep_after_end, keep_unanswered
        self.clock: datetime | None = None  # the latest dispatch event read (kept in the agent's table)
        self.recent: OrderedDict[str, list[DispatchEvent]] = OrderedDict()
        self.replied: OrderedDict[str, deque[datetime]] = OrderedDict()  # contact -> times of its replies in the window
        self.suppressed = 0  # replies not sent: their contact had its share of the window
        self.stale = 0  # contacts and events dropped: more than keep_after_end behind the clock

    def is_stale(self, at: datetime) -> bool:
        """Whether a record dated `at` is too far behind the clock to be taken (a redelivery of a forgotten tip's)."""
        return self.clock is not None and at < self.clock - self.keep_after_end

    def advance(self, at: datetime) -> None:
        """Move the clock to a dispatch event's time (never back); events remembered for a contact that are now stale go."""
        if self.clock is not None and at <= self.clock:
            return
        self.clock = at
        while self.recent:
            tip_id, events = next(iter(self.recent.items()))
            if not self.is_stale(max(e.at for e in events)):
                break
            del self.recent[tip_id]

    def expired(self, state: TipReplies) -> bool:
        """Whether a tip's entry is forgotten at the clock: every incident naming it ended `keep_after_end` ago, or its
        contact and last event are `keep_unanswered` old; and in either case a redelivery of its contact would be stale
        (else it would rebuild the entry, and redelivered events would text the reporter again)."""
        now, read = self.clock, state.read_at
        if now is None or read is None:
            return False
        if now - read <= self.keep_after_end and state.sent:
            return False
        latest = max(read, state.last_at) if state.last_at is not None else read
        if now - latest >= self.keep_unanswered:
            return True
        return not state.open and state.ended_at is not None and now - state.ended_at >= self.keep_after_end

    def contact(self, record: ReporterContact, state: TipReplies) -> tuple[list[ReporterFeedback], TipReplies]:
        """Remember a tip's contact; replies due for events already read about the tip go out now.

        The first contact a tip id brought stays. Intake writes a contact before
        the desk judges the tip's report, so a second tip reusing the id with
        other content (refused by the desk as a `duplicate`) would otherwise
        have its sender told how the first reporter's call ended.
        """
        if state.contact is not None and state.contact != record.contact:
            return [], state
        if self.is_stale(record.at):  # a redelivery of a forgotten tip's contact: its replies were sent, or never due
            self.stale += 1
            return [], state
        if state.contact is None:
            state = TipReplies(contact=record.contact, via=record.via, sent=list(state.sent), read_at=record.at)
        out: list[ReporterFeedback] = []
        for ev in self.recent.pop(reply_key(record.centre, record.tip_id), []):
            feedback, state = self.handle(ev, record.tip_id, state)
            if feedback is not None:
                out.append(feedback)
        return out, state

    def handle(self, ev: DispatchEvent, tip_id: str, state: TipReplies) -> tuple[ReporterFeedback | None, TipReplies]:
        """The reply this event calls for to the reporter of `tip_id`, if any, and the state after it."""
        if self.is_stale(ev.at):
            self.stale += 1
            return None, state
        self.advance(ev.at)
        stage = stage_of(ev)
        if tip_id not in ev.contact_sources:  # the desk took this tip without a contact
            return None, state
        if stage is None and ev.kind not in CLOSING_KINDS:
            return None, state
        contact, via = state.contact, state.via
        if contact is None or via is None:
            self._remember(reply_key(ev.centre, tip_id), ev)
            return None, state
        state = state.saw(ev)
        if stage is None:
            return None, state
        key = f"{ev.incident_id}:{stage}"
        if key in state.sent or (stage == ON_THE_WAY and f"{ev.incident_id}:{ENDED}" in state.sent):
            return None, state
        if not self._may_reply(contact, ev.at):  # marked as sent: the next event of the tip does not try again
            self.suppressed += 1
            return None, replace(state, sent=[*state.sent, key])
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
            via=via,
            to=contact,
            at=ev.at,
            exercise=self.exercise,
        )
        return feedback, replace(state, sent=[*state.sent, key])

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

    def _remember(self, key: str, ev: DispatchEvent) -> None:
        """Keep a tip's reply-worthy and closing events (the last 6; the last RECENT_TIPS tips; dropped once stale) in case
        its contact is read after them; `key` is the tip's `reply_key`."""
        events = self.recent.setdefault(key, [])
        self.recent.move_to_end(key)
        events.append(ev)
        del events[:-6]
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

"""Dispatch events in, partner notices out: one OASIS CAP 1.2 alert per partner and change.

Pure: the same events in the same order give the same notices, byte for
byte (identifiers come from event ids, times from event times), so a replay
or a crash-and-retry never sends a partner a different message. What a
partner receives is the city's data (`geo.partners`); what the incident is,
the desk's event. Free text never leaves: it may hold the reporter's number.

Per incident and partner the first notice is an `Alert`, a change the
partner cares about an `Update`, and the end of the incident (resolved,
merged) or the partner no longer being named a `Cancel`; Updates and
Cancels reference every earlier message of that thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from core.records import DispatchEvent, PartnerNotice
from geo.partners import Partner, Partners
from rules.referrals import referral_partners
from rules.triage import waived_flags
from rules.wording import category_words, flag_words

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP circle radius for an incident's position: the correlation radius, in km.
POSITION_RADIUS_KM = 0.15
ENDED_STATUSES: frozenset[str] = frozenset({"resolved", "merged", "closed", "cancelled"})
URGENCY = {"P1": "Immediate", "P2": "Immediate", "P3": "Expected", "P4": "Future"}
SEVERITY = {"P1": "Extreme", "P2": "Severe", "P3": "Moderate", "P4": "Minor"}
MAX_REFERENCES = 20

TeamName = Callable[[str], str | None]


@dataclass(frozen=True)
class Thread:
    """What one partner was told about one incident: the references and what it looked like."""

    references: tuple[str, ...]
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {"references": list(self.references), "fingerprint": self.fingerprint}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thread:
        return cls(references=tuple(data["references"]), fingerprint=str(data["fingerprint"]))


def sent_time(at: datetime, tz: ZoneInfo) -> str:
    """CAP's dateTime: local time with a numeric offset, whole seconds (never `Z`)."""
    return at.astimezone(tz).replace(microsecond=0).isoformat()


def ended(ev: DispatchEvent) -> bool:
    return ev.kind == "resolved" or ev.status in ENDED_STATUSES


def fingerprint(ev: DispatchEvent) -> str:
    """What a partner acts on: a change here is worth an Update."""
    return "|".join(
        [ev.priority, ev.category, ev.team_id or "-", f"{ev.lat:.4f},{ev.lon:.4f}", ",".join(ev.flags), str(ev.persons or "")]
    )


class NoticeWriter:
    """Turns one incident's events into CAP notices, given what each partner was already told."""

    def __init__(self, partners: Partners, tz: ZoneInfo, *, exercise: bool, team_name: TeamName = lambda _t: None) -> None:
        self.partners = partners
        self.tz = tz
        self.exercise = exercise
        self.team_name = team_name

    def handle(self, ev: DispatchEvent, threads: Mapping[str, Thread]) -> tuple[list[PartnerNotice], dict[str, Thread]]:
        """The notices this event calls for and the threads after it (partner id -> thread)."""
        if ev.kind == "referral":  # a referral after the night: its own notice, no thread of the incident's notices
            return [n for p in referral_partners(ev.rules) if (n := self.referral(ev, p)) is not None], dict(threads)
        out: list[PartnerNotice] = []
        after = dict(threads)
        is_over = ended(ev)
        for partner_id in sorted(self.partners.partners):
            partner = self.partners.partners[partner_id]
            thread = threads.get(partner_id)
            named = partner_id in ev.notify and not is_over
            if thread is None:
                if named and partner.wants("new", ev.priority):
                    notice = self._notice(ev, partner, "Alert", ())
                    out.append(notice)
                    after[partner_id] = Thread((self._reference(notice),), fingerprint(ev))
                continue
            if named:
                if fingerprint(ev) == thread.fingerprint or "update" not in partner.stages:
                    continue
                notice = self._notice(ev, partner, "Update", thread.references)
                out.append(notice)
                after[partner_id] = Thread((*thread.references, self._reference(notice))[-MAX_REFERENCES:], fingerprint(ev))
                continue
            del after[partner_id]  # ended, or the partner is no longer named
            if "end" in partner.stages:
                out.append(self._notice(ev, partner, "Cancel", thread.references))
        return out, after

    def referral(self, ev: DispatchEvent, partner_id: str) -> PartnerNotice | None:
        """The one referral of `ev`'s incident to `partner_id` (a `referral` event, `rules.referrals`): an Alert whose
        id comes from the incident, so every resend is the same message. None when the city has no such partner."""
        partner = self.partners.get(partner_id)
        if partner is None:
            return None
        identifier = f"patrol-referral-{ev.incident_id}-{partner.id}"
        status = "Exercise" if self.exercise else "Actual"
        address = partner.address_for(ev.district)
        cap = self.alert_xml(ev, partner, identifier=identifier, status=status, msg_type="Alert", address=address,
                             references=(), referral=True)
        return PartnerNotice(notice_id=identifier, partner=partner.id, incident_id=ev.incident_id, event_id=ev.event_id,
                             msg_type="Alert", status=status, address=address, cap=cap, at=ev.at)

    # ------------------------------------------------------------- the alert

    def _reference(self, notice: PartnerNotice) -> str:
        return f"{self.partners.sender},{notice.notice_id},{sent_time(notice.at, self.tz)}"

    def _notice(self, ev: DispatchEvent, partner: Partner, msg_type: str, references: tuple[str, ...]) -> PartnerNotice:
        identifier = f"patrol-{ev.event_id}-{partner.id}"
        status = "Exercise" if self.exercise else "Actual"
        address = partner.address_for(ev.district)
        cap = self.alert_xml(ev, partner, identifier=identifier, status=status, msg_type=msg_type, address=address, references=references)
        return PartnerNotice(
            notice_id=identifier,
            partner=partner.id,
            incident_id=ev.incident_id,
            event_id=ev.event_id,
            msg_type=msg_type,
            status=status,
            address=address,
            cap=cap,
            at=ev.at,
        )

    def alert_xml(
        self, ev: DispatchEvent, partner: Partner, *, identifier: str, status: str, msg_type: str, address: str, references: tuple[str, ...],
        referral: bool = False,
    ) -> str:
        """The CAP 1.2 `alert` document (elements in the schema's order); `referral`: the referral after the night."""
        sent = sent_time(ev.at, self.tz)
        alert = ET.Element(f"{{{CAP_NS}}}alert")
        _add(alert, "identifier", identifier)
        _add(alert, "sender", self.partners.sender)
        _add(alert, "sent", sent)
        _add(alert, "status", status)
        _add(alert, "msgType", msg_type)
        _add(alert, "source", "patrol")
        _add(alert, "scope", "Restricted")
        _add(alert, "restriction", "仅限救助协作单位 / for rescue partner agencies only")
        _add(alert, "addresses", address)
        if status == "Exercise":
            _add(alert, "note", "演练，非真实警情 / drill, not a real incident")
        elif msg_type == "Cancel":
            _add(alert, "note", _cancel_note(ev, partner.id))
        if references:
            _add(alert, "references", " ".join(references))
        _add(alert, "incidents", ev.incident_id)
        for language in ("zh-CN", "en-US"):
            self._info(alert, ev, partner, language, msg_type, sent, referral=referral)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="unicode")

    def _info(self, alert: ET.Element, ev: DispatchEvent, partner: Partner, language: str, msg_type: str, sent: str,
              *, referral: bool = False) -> None:
        zh = language == "zh-CN"
        pick = 0 if zh else 1
        info = _add(alert, "info")
        _add(info, "language", language)
        _add(info, "category", "Rescue")
        if ev.category == "medical" or referral:
            _add(info, "category", "Health")
        category = category_words(ev.category)[pick]
        what = ("转介：" if zh else "referral: ") + category if referral else category
        _add(info, "event", ("寒冬街头救助：" if zh else "Winter street rescue: ") + what)
        _add(info, "responseType", "AllClear" if msg_type == "Cancel" else "Execute")
        _add(info, "urgency", "Past" if msg_type == "Cancel" else "Expected" if referral else URGENCY.get(ev.priority, "Unknown"))
        _add(info, "severity", SEVERITY.get(ev.priority, "Unknown"))
        _add(info, "certainty", "Observed" if any(c != "thermal" for c in ev.channels) or not ev.channels else "Likely")
        _add(info, "audience", partner.name if zh else partner.name_en)
        _code(info, "eventCode", "patrol:category", ev.category)
        _code(info, "eventCode", "patrol:priority", ev.priority)
        _add(info, "effective", sent)
        _add(info, "senderName", self.partners.sender_name if zh else self.partners.sender_name_en)
        team = self._team(ev, zh)
        if referral:
            _add(info, "headline", ("转介 " if zh else "Referral ") + f"{ev.incident_id} · {category}")
            _add(info, "description", self._referral_description(ev, zh))
        else:
            _add(info, "headline", f"{ev.priority} {category} · {team}")
            _add(info, "description", self._description(ev, zh, team))
        waived = waived_flags(ev.rules)  # a minor with a parent is not asked of the police as a mandatory report
        ask = partner.ask(tuple(f for f in ev.flags if f not in waived), ev.category)
        if msg_type == "Cancel":
            _add(info, "instruction", "本事件已结束，无需继续处置，感谢协助。" if zh else "This incident is over; no further action is needed. Thank you.")
        else:
            _add(info, "instruction", ask.zh if zh else ask.en)
        _add(info, "contact", self.partners.contact)
        _code(info, "parameter", "team_id", ev.team_id or "-")
        _code(info, "parameter", "flags", " ".join(ev.flags) or "-")
        if ev.persons is not None:
            _code(info, "parameter", "persons", str(ev.persons))
        area = _add(info, "area")
        _add(area, "areaDesc", self._area_desc(ev, zh))
        _add(area, "circle", f"{ev.lat:.6f},{ev.lon:.6f} {POSITION_RADIUS_KM}")

    def _team(self, ev: DispatchEvent, zh: bool) -> str:
        if not ev.team_id:
            return "暂无空闲队伍，已排队" if zh else "no free team yet, queued"
        name = self.team_name(ev.team_id)
        label = f"{name} ({ev.team_id})" if name else ev.team_id
        return ("已派 " if zh else "sent: ") + label

    def _description(self, ev: DispatchEvent, zh: bool, team: str) -> str:
        flags = flag_words(ev.flags)[0 if zh else 1]
        persons = ev.persons if ev.persons is not None else ("未知" if zh else "unknown")
        point = ev.nearest_help_point.name if ev.nearest_help_point else ("无" if zh else "none")
        if zh:
            return f"优先级 {ev.priority}；情况：{flags}；人数：{persons}；{team}；最近救助点：{point}；事件 {ev.incident_id}。"
        return f"Priority {ev.priority}; situation: {flags}; persons: {persons}; {team}; nearest help point: {point}; incident {ev.incident_id}."

    def _referral_description(self, ev: DispatchEvent, zh: bool) -> str:
        """What the referral needs: the incident, where and when the person was met, the outcome, where they went,
        the flags and head count; never free text or the reporter's contact."""
        met = sent_time(ev.resolved_at, self.tz) if ev.resolved_at else ("未知" if zh else "unknown")
        first = sent_time(ev.first_report_at, self.tz) if ev.first_report_at else ("未知" if zh else "unknown")
        where = self._area_desc(ev, zh)
        flags = flag_words(ev.flags)[0 if zh else 1]
        went = ev.destination.name if ev.destination else ("无" if zh else "none")
        persons = ev.persons if ev.persons is not None else ("未知" if zh else "unknown")
        team = self.team_name(ev.team_id) if ev.team_id else None
        by = f"{team} ({ev.team_id})" if team else (ev.team_id or "-")
        if zh:
            return (f"事件 {ev.incident_id}；首次报告 {first}；{met} 在 {where}（{ev.lat:.5f},{ev.lon:.5f}）由 {by} 处置；"
                    f"处置结果：{ev.outcome_code() or '未知'}；去向：{went}；情况：{flags}；人数：{persons}。")
        return (f"Incident {ev.incident_id}; first reported {first}; met {met} at {where} ({ev.lat:.5f},{ev.lon:.5f}) by {by}; "
                f"outcome: {ev.outcome_code() or 'unknown'}; destination: {went}; situation: {flags}; persons: {persons}.")

    @staticmethod
    def _area_desc(ev: DispatchEvent, zh: bool) -> str:
        parts = [p for p in (ev.district, ev.zone_id, ev.key_area) if p]
        where = " / ".join(parts) if parts else ("服务区内" if zh else "in the service area")
        return where


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _code(parent: ET.Element, name: str, value_name: str, value: str) -> None:
    element = _add(parent, name)
    _add(element, "valueName", value_name)
    _add(element, "value", value)


def _cancel_note(ev: DispatchEvent, partner_id: str) -> str:
    if ended(ev):
        return f"事件已结束 / incident ended ({ev.kind}: {ev.reason or ev.status})"
    return f"不再需要 {partner_id} 协助 / {partner_id} no longer needed"


ET.register_namespace("", CAP_NS)

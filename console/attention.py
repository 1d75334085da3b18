"""The "needs attention" queue: every tip that could not be read, until an operator deals with it.

Pure and synchronous like `console.state`: dead letters from `dead-letters`
open items, operators' decisions from `console-actions` close them, and a
restarted console rebuilds the same queue by reading both topics from the
beginning. Nothing unread: an item leaves the open list only when it was
resubmitted as a tip or dismissed with a reason, and the console counts
what is still open.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from core import topics
from core.errors import RecordError
from core.records import ConsoleAction, DeadLetter, decoded

# Reasons an operator can usually fix from the original text, as the intake names them.
FIXABLE: dict[str, str] = {
    "unknown_address": "address not found: place it on the map or correct the address",
    "out_of_area": "position outside the service area: place it on the map",
    "unknown_channel": "unknown channel: choose the channel",
    "missing_field": "a field is missing (position, time, channel or id): fill it in",
    "invalid": "a value is invalid (often the time): correct it",
    "wrong_type": "a value has the wrong form: correct it",
    "malformed": "the message could not be read: re-enter it from the original text",
    "too_large": "the text is too long: shorten it",
}
ACTIONS: tuple[str, ...] = ("resubmitted", "dismissed")
# What the queue answers (`/api/attention`, fetched again by every operator page at each new dead letter): the oldest
# MAX_ATTENTION_ITEMS open items, each payload cut to MAX_SHOWN_PAYLOAD_CHARS (the console's body limit: no correction
# can carry more). Anyone who can send a tip can fill `dead-letters` with letters of up to 512 kB; answered whole,
# the screen where a real caller's failed tip is corrected stopped loading. The counts tell every item.
MAX_ATTENTION_ITEMS = 100
MAX_SHOWN_PAYLOAD_CHARS = 16 * 1024

Change = tuple[str, dict[str, Any]]


@dataclass
class AttentionItem:
    """One unreadable tip and what was done about it."""

    letter: DeadLetter
    action: ConsoleAction | None = None
    centre: str | None = None  # the city the tip was for, as the intake places it (`AttentionQueue.centre_of`)
    placed: bool = False

    @property
    def open(self) -> bool:
        return self.action is None

    def original(self) -> dict[str, Any] | None:
        """The original payload as a JSON object, to prefill the correction form; None if unreadable.

        A tip nested too deeply for the decoder is dead-lettered as such: reading it again here must not raise, or every
        snapshot of the queue (and every later screen of it) fails on that one item.
        """
        if len(self.letter.payload) > MAX_SHOWN_PAYLOAD_CHARS:
            return None  # too long to correct in the form; its text is shown cut
        try:
            data = json.loads(self.letter.payload)
        except (ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.letter.event_id,
            "error": self.letter.error,
            "reason": self.letter.reason,
            "hint": FIXABLE.get(self.letter.error, "check the original text"),
            "payload": self.letter.payload[:MAX_SHOWN_PAYLOAD_CHARS],
            "payload_cut": len(self.letter.payload) > MAX_SHOWN_PAYLOAD_CHARS,
            "original": self.original(),
            "at": self.letter.at.isoformat() if self.letter.at else None,
            "offset": self.letter.offset,
            "open": self.open,
            "action": self.action.to_dict() if self.action else None,
        }


class AttentionQueue:
    """Dead tips in, operators' decisions in; the open ones first, oldest first."""

    def __init__(self) -> None:
        self.items: dict[str, AttentionItem] = {}
        self.early: dict[str, ConsoleAction] = {}  # a decision read before its dead letter (two topics)
        self.other_dead_letters = 0

    def apply_record(self, topic: str, data: Any) -> list[Change]:
        """Fold one record of `dead-letters` or `console-actions`; anything else is not ours."""
        if not isinstance(data, dict):
            return []
        try:
            if topic == topics.DEAD_LETTERS:
                # an offset "x" beside the others' numbers, kept, failed the sorting of every snapshot of the queue
                return self.apply_dead_letter(decoded(DeadLetter, data))
            if topic == topics.CONSOLE_ACTIONS:
                # year 1 or 9999, kept, overflowed the sorting of decisions: every screen of the queue failed
                return self.apply_action(decoded(ConsoleAction, data))
        except (TypeError, ValueError, KeyError, RecordError):
            return []
        return []

    def apply_dead_letter(self, letter: DeadLetter) -> list[Change]:
        if letter.topic != topics.TIPS:
            self.other_dead_letters += 1
            return [("attention", self.counts())]
        if not letter.event_id or letter.event_id in self.items:
            return []  # a redelivered dead letter (same id)
        item = AttentionItem(letter, self.early.pop(letter.event_id, None))
        self.items[letter.event_id] = item
        return [("attention", {**self.counts(), "item": item.to_dict()})]

    def apply_action(self, action: ConsoleAction) -> list[Change]:
        if action.action not in ACTIONS:
            return []
        item = self.items.get(action.dead_letter_id)
        if item is None:
            self.early[action.dead_letter_id] = action
            return []
        if item.action is not None:
            return []  # the first decision stands (a second one raced it)
        item.action = action
        return [("attention", {**self.counts(), "item": item.to_dict()})]

    def counts(self, keep: Callable[[AttentionItem], bool] = lambda _item: True) -> dict[str, int]:
        """Open and decided items (those `keep` lets a reader see), and dead letters of other topics."""
        kept = [i for i in self.items.values() if keep(i)]
        opened = sum(1 for i in kept if i.open)
        return {"open": opened, "resolved": len(kept) - opened, "other_dead_letters": self.other_dead_letters}

    def snapshot(self, keep: Callable[[AttentionItem], bool] = lambda _item: True) -> dict[str, Any]:
        """The oldest MAX_ATTENTION_ITEMS open items, then the latest decisions; the counts name them all (of `keep`)."""
        opened = sorted((i for i in self.items.values() if i.open and keep(i)), key=lambda i: (i.letter.offset or 0, i.letter.event_id))
        done = sorted((i for i in self.items.values() if i.action is not None and keep(i)), key=lambda i: (_decided_at(i), i.letter.event_id),
                      reverse=True)
        return {**self.counts(keep), "items": [i.to_dict() for i in opened[:MAX_ATTENTION_ITEMS]], "resolved_items": [i.to_dict() for i in done[:50]]}

    def get(self, letter_id: str) -> AttentionItem | None:
        return self.items.get(letter_id)

    @staticmethod
    def centre_of(item: AttentionItem, locate: Callable[[Mapping[str, Any]], str | None]) -> str | None:
        """The centre whose city holds the failed tip (`locate`: the centre of a tip's payload, as the intake places
        it; None: none does), placed once and only when a token scoped to some centres asks: placing an address costs
        up to 0.1 s, and a restarted console reads every dead letter again."""
        if not item.placed:
            original = item.original()
            item.centre = locate(original) if original is not None else None
            item.placed = True
        return item.centre


def _decided_at(item: AttentionItem) -> str:
    return item.action.at.astimezone(UTC).isoformat() if item.action is not None else ""

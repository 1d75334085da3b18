"""What replays and drills feed into the pipeline: timed input records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class FeedItem:
    """One input record at its event time, for one input topic.

    `value` is the raw payload exactly as a producer would send it (bytes),
    so a malformed line in a replay file takes the same dead-letter path as a
    malformed message from a live producer. `seq` keeps file order among
    records with the same time.
    """

    at: datetime
    seq: int
    topic: str
    value: bytes
    key: str | None = None

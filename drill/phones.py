"""The drill's teams on the phones' path: acks and positions through the console's team API.

With `patrol drill --phones`, the simulated teams do not write `task-acks`
and `team-status` themselves: each reaction becomes the HTTP request a
team's phone makes (bearer token of that team, a client id, the time the
button was pressed or the fix taken), so a drill exercises authorisation,
the position checks and the once-only rule as a real night would. What the
console refuses is counted, not retried: a phone would show it as refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

import aiohttp

from core import topics as names
from core.errors import PatrolError
from core.feed import FeedItem

# What the gateway writes instead of the feeder.
PHONE_TOPICS: tuple[str, ...] = (names.TASK_ACKS, names.TEAM_STATUS)
RETRY_S = 0.1
THROTTLE_MAX_S = 5.0  # the longest Retry-After waited at once
RETRIES = 200  # a 503 (console catching up, broker busy) is retried for up to ~20 s, as a phone would


class PhoneGateway:
    """Sends the simulated teams' reactions to the console's team API, one team token each.

    `seen(event_ids, tick)` says whether the console has read these dispatch
    events and this clock tick: a phone only acts on a task it was shown.
    """

    def __init__(self, url: str, tokens: Mapping[str, str], seen: Callable[[Collection[str], datetime], bool]) -> None:
        self.url = url
        self.tokens = dict(tokens)
        self.seen = seen
        self.sent: Counter[str] = Counter()
        self.repeats = 0
        self.throttled = 0  # 429 answers waited out (PATROL_CONSOLE_WRITE_RATE)
        self.refused: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []  # the first refusals, to read in the report
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PhoneGateway:
        self._http = aiohttp.ClientSession(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    async def catch_up(self, event_ids: Collection[str], tick: datetime, timeout_s: float = 60.0) -> None:
        """Wait until the console shows what the teams are about to react to."""
        deadline = time.monotonic() + timeout_s
        while not self.seen(event_ids, tick):
            if time.monotonic() > deadline:
                raise PatrolError(f"the console did not show the drill's events within {timeout_s:.0f} s")
            await asyncio.sleep(0.01)

    async def send(self, item: FeedItem) -> None:
        """One reaction as the phone's request (feeder's `send_via` writer)."""
        assert self._http is not None
        record = json.loads(item.value)
        token = self.tokens[record["team_id"]]
        path, body = request_for(item.topic, record)
        body["client_id"] = "drill-" + hashlib.sha1(item.value).hexdigest()[:24]
        attempts = 0
        while attempts < RETRIES:
            async with self._http.post(path, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
                answer = await resp.json()
                if resp.status < 300:
                    self.sent[item.topic] += 1
                    self.repeats += 1 if answer.get("duplicate") else 0
                    return
                if resp.status == 429:  # over the token's write budget: wait as told, as the phone's outbox does
                    self.throttled += 1
                    await asyncio.sleep(min(THROTTLE_MAX_S, float(resp.headers.get("Retry-After") or 1)))
                    continue
                if resp.status < 500:
                    self.refused[f"{item.topic}:{answer.get('error')}"] += 1
                    if len(self.examples) < 5:
                        self.examples.append({"team_id": record["team_id"], "request": body, "answer": answer})
                    return
            attempts += 1
            await asyncio.sleep(RETRY_S)
        raise PatrolError(f"the console kept answering {resp.status} to {path}: {answer}")

    def summary(self) -> dict[str, Any]:
        return {"sent": dict(self.sent), "repeats": self.repeats, "throttled": self.throttled, "refused": dict(sorted(self.refused.items())), "refused_examples": self.examples}


def request_for(topic: str, record: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The API path and body a phone sends for a simulated team's record."""
    if topic == names.TASK_ACKS:
        body = {k: record[k] for k in ("event_id", "status", "at") if k in record}
        if record.get("outcome") is not None:
            body["outcome"] = record["outcome"]
        return "/api/team/acks", body
    if topic == names.TEAM_STATUS:
        return "/api/team/status", {k: record[k] for k in ("status", "lat", "lon", "at")}
    raise PatrolError(f"phones do not write {topic!r}")

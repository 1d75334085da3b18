"""The drill's phones against a console that answers like the real one (aiohttp test server, no broker)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from core import topics as names
from core.feed import FeedItem
from drill.phones import PhoneGateway

AT = datetime(2026, 12, 20, 23, 0, tzinfo=UTC)


def test_a_429_is_waited_out_and_sent_again_not_refused() -> None:
    # The console limits a token's writes (429 too_many_writes, Retry-After): the drill's phone counted that as a
    # refusal and dropped the team's ack, so the desk escalated a task the team had taken.
    seen: list[dict[str, Any]] = []

    async def acks(request: web.Request) -> web.Response:
        seen.append(await request.json())
        if len(seen) == 1:
            return web.json_response({"error": "too_many_writes", "message": "slow down"}, status=429, headers={"Retry-After": "0"})
        return web.json_response({"duplicate": False}, status=202)

    async def main() -> dict[str, Any]:
        app = web.Application()
        app.router.add_post("/api/team/acks", acks)
        async with TestServer(app) as server:
            async with PhoneGateway(str(server.make_url("/")), {"T-1": "team-token"}, lambda ids, tick: True) as phones:
                record = {"event_id": "inc-1-r1", "team_id": "T-1", "status": "accepted", "at": AT.isoformat()}
                await phones.send(FeedItem(at=AT, topic=names.TASK_ACKS, key="T-1", value=json.dumps(record).encode(), seq=0))
                return phones.summary()

    summary = asyncio.run(main())
    assert summary["sent"] == {names.TASK_ACKS: 1} and summary["throttled"] == 1 and summary["refused"] == {}
    assert len(seen) == 2 and seen[0] == seen[1]  # the same request, the same client id

"""Operators in control and teams' corrections, on the real broker with a real worker.

Calls taken at the console become incidents; an operator overrides the team,
adds a support unit, merges two incidents, splits a report back out and sets
a priority with a reason; a team on scene adds flags and the head count from
its phone. Each goes through `operator-commands` to the desk, which answers
on `command-results`; refusals (unknown team, a team lacking a capability) are
answers the console shows, and unauthorised or malformed requests write nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from console.auth import add_token
from console.calls import call_desk
from console.commands import CommandDesk, command_desk
from console.server import ConsoleRunner
from core import topics
from core.records import TeamStatus
from core.settings import Settings
from tests.integration.test_console_api import read_topic
from tests.integration.test_console_calls import NOW, auth, wait_for, with_worker

pytestmark = pytest.mark.integration

TEAMS = (("T-daoli-1", 45.7730, 126.6160, ("social_work",)), ("T-daoli-2", 45.7700, 126.6200, ("medical", "vehicle")),
         ("T-nangang-2", 45.7535, 126.6480, ("medical", "police", "vehicle")), ("T-daowai-3", 45.7810, 126.6690, ("police", "social_work")))


Team = tuple[str, float, float, tuple[str, ...]]


@asynccontextmanager
async def console_with_commands(settings: Settings, broker: str, teams: tuple[Team, ...]) -> AsyncIterator[
        tuple[AIOKafkaProducer, ConsoleRunner, CommandDesk]]:
    """A producer and a console with the call and command screens, every team available at NOW; both stopped after."""
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=settings.console_port,
                           extensions=[call_desk(settings, broker), command_desk(settings, broker)])
    await runner.start()
    try:
        desk = runner.extensions[1]
        assert isinstance(desk, CommandDesk)
        for team_id, lat, lon, caps in teams:
            status = TeamStatus(team_id=team_id, at=NOW, status="available", lat=lat, lon=lon, capabilities=caps)
            await producer.send_and_wait(settings.topic(topics.TEAM_STATUS), status.to_json(), key=team_id.encode())
        yield producer, runner, desk
    finally:
        await runner.stop()
        await producer.stop()


def test_operators_command_the_desk_and_teams_correct_the_assessment(broker: str, tmp_path: Path) -> None:
    settings, worker, op, _ = with_worker(broker, tmp_path, "王调度")
    lead_token = add_token(settings.tokens_file, "team", team_id="T-daowai-3")
    other_token = add_token(settings.tokens_file, "team", team_id="T-daoli-1")
    port = settings.console_port

    async def main() -> None:
        async with console_with_commands(settings, broker, TEAMS) as (producer, runner, desk):
            state = runner.service.state
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:

                async def call(lat: float, lon: float, flags: list[str]) -> str:
                    body = {"channel": "hotline", "text": "有人在路边", "lat": lat, "lon": lon, "flags": flags}
                    sent = await http.post("/api/calls", json=body, headers=auth(op))
                    assert sent.status == 202, await sent.text()
                    tip_id = (await sent.json())["tip_id"]
                    await wait_for(lambda: any(tip_id in v.latest.sources and v.latest.team_id for v in state.incidents.values()))
                    return str(next(v.latest.incident_id for v in state.incidents.values() if tip_id in v.latest.sources))

                async def command(incident_id: str, body: dict[str, Any], token: str = op) -> dict[str, Any]:
                    """Send a command and wait for the desk's answer, read back through the API."""
                    sent = await http.post(f"/api/incidents/{incident_id}/commands", json=body, headers=auth(token))
                    assert sent.status == 202, await sent.text()
                    command_id = (await sent.json())["command"]["command_id"]
                    await wait_for(lambda: command_id in desk.answers)
                    answer: dict[str, Any] = await (await http.get(f"/api/commands/{command_id}", headers=auth(op))).json()
                    return answer

                a = await call(45.7725, 126.6170, [])
                assert state.incidents[a].latest.team_id == "T-daoli-2"  # by ETA: the vehicle team

                # Security and validation: refused, and nothing reaches the desk.
                url = f"/api/incidents/{a}/commands"
                override = {"kind": "assign", "team_id": "T-daowai-3", "reason": "熟悉这位老人 knows the man"}
                assert (await http.post(url, json=override)).status == 401
                assert (await http.post(url, json=override, headers=auth(lead_token))).status == 403
                big = await http.post(url, data=b"{" + b" " * 20000 + b"}", headers={**auth(op), "Content-Type": "application/json"})
                assert big.status == 413
                for bad, code in (({"kind": "teleport"}, "unknown_command"), ({**override, "colour": "red"}, "unknown_field"),
                                  ({"kind": "priority", "priority": "P1"}, "missing_field"), ({"kind": "assess", "add_flags": ["dragon"]}, "unknown_flag")):
                    refused = await http.post(url, json=bad, headers=auth(op))
                    assert refused.status == 400 and (await refused.json())["error"] == code
                assert (await http.post("/api/incidents/inc-nope/commands", json=override, headers=auth(op))).status == 404

                # Override the lead from the shortlist: the desk's event names the operator's rule and the operator.
                answer = await command(a, override)
                assert answer["status"] == "applied" and answer["by"] == "王调度"
                latest = state.incidents[a].latest
                assert latest.team_id == "T-daowai-3" and "operator:assign" in latest.rules and "王调度" in (latest.reason or "")
                assert set(desk.answers) == {answer["command_id"]}, "the refused requests wrote nothing"
                written = await read_topic(broker, settings, topics.OPERATOR_COMMANDS, expect=1)
                assert [(c["command_id"], c["by"], c["team_id"]) for c in written] == [(answer["command_id"], "王调度", "T-daowai-3")]
                # At least once: the same command delivered again (a producer's retry) is applied and answered once.
                await producer.send_and_wait(settings.topic(topics.OPERATOR_COMMANDS), json.dumps(written[0], ensure_ascii=False).encode(),
                                             key=a.encode())

                # Refusals are answers, shown with the incident's other answers.
                unknown = await command(a, {"kind": "assign", "team_id": "T-nobody"})
                assert (unknown["status"], unknown["error"]) == ("rejected", "unknown_team")
                listed = (await (await http.get(f"/api/commands?incident_id={a}", headers=auth(op))).json())["answers"]
                assert [x["command_id"] for x in listed] == [unknown["command_id"], answer["command_id"]]

                # The team on scene corrects the assessment from its phone, once even when the phone resends.
                task = state.incidents[a].task_event_id
                found = {"event_id": task, "add_flags": ["minor", "no_id"], "persons": 2, "client_id": "phone-assess-0001"}
                assert (await http.post("/api/team/assessment", json=found, headers=auth(other_token))).status == 403
                first = await http.post("/api/team/assessment", json=found, headers=auth(lead_token))
                assert first.status == 202, await first.text()
                again = await http.post("/api/team/assessment", json=found, headers=auth(lead_token))
                assert again.status == 200 and (await again.json())["duplicate"] is True
                await wait_for(lambda: "phone-assess-0001" in desk.answers)
                assert desk.answers["phone-assess-0001"]["status"] == "applied"
                sent = await read_topic(broker, settings, topics.OPERATOR_COMMANDS, expect=1)
                assert [c["event_id"] for c in sent if c["command_id"] == "phone-assess-0001"] == [task], "the desk checks the task named"
                latest = state.incidents[a].latest
                assert {"minor", "no_id"} <= set(latest.flags) and latest.persons == 2 and "team_assessment" in latest.rules
                assert "T-daowai-3" in (latest.reason or "")
                mine = await (await http.get("/api/commands/phone-assess-0001", headers=auth(lead_token))).json()
                assert mine["status"] == "applied"

                # A support unit the operator adds.
                support = await command(a, {"kind": "support", "team_id": "T-nangang-2"})
                assert support["status"] == "applied"
                units = state.incidents[a].latest.assignments
                assert any(u["team_id"] == "T-nangang-2" and u["role"] == "support" for u in units)

                # A second incident needing a medic: a team without it is refused; then the two are merged and split again.
                b = await call(45.7600, 126.6300, ["injured"])
                assert state.incidents[b].latest.team_id == "T-daoli-2"
                lacking = await command(b, {"kind": "assign", "team_id": "T-daoli-1"})
                assert (lacking["status"], lacking["error"]) == ("rejected", "lacks_capability")
                merged = await command(a, {"kind": "merge", "other_incident_id": b, "reason": "同一人 same person"})
                assert merged["status"] == "applied"
                await wait_for(lambda: state.incidents[b].closed)
                assert state.incidents[b].latest.merged_into == a
                closed = await http.post(f"/api/incidents/{b}/commands", json=override, headers=auth(op))
                assert closed.status == 409
                moved = state.incidents[b].latest.sources[0]
                split = await command(a, {"kind": "split", "report_id": moved, "add_flags": ["injured"], "reason": "two people after all"})
                assert split["status"] == "applied"
                await wait_for(lambda: any(v.latest.sources == (moved,) and not v.closed for v in state.incidents.values()))
                assert moved not in state.incidents[a].latest.sources

                # A priority set by hand, with its reason, recorded as the operator's rule.
                raised = await command(a, {"kind": "priority", "priority": "P1", "reason": "叫不醒 cannot be woken"})
                assert raised["status"] == "applied"
                latest = state.incidents[a].latest
                assert latest.priority == "P1" and "operator:王调度" in latest.rules

                # Eight commands were accepted, each written once by the console (the phone's resend was not), plus the redelivery.
                written = await read_topic(broker, settings, topics.OPERATOR_COMMANDS, expect=9)
                assert len(written) == 9 and [c["command_id"] for c in written].count("phone-assess-0001") == 1
                assert [c["by_team"] for c in written if c["kind"] == "assess"] == ["T-daowai-3"]
                results = await read_topic(broker, settings, topics.COMMAND_RESULTS, expect=8)
                assert len(results) == 8 and [r["command_id"] for r in results].count(answer["command_id"]) == 1
                assert state.incidents[a].latest.team_id == "T-daowai-3"

    try:
        asyncio.run(main())
    finally:
        worker.stop()

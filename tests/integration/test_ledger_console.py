"""The ledger's console and team API on the real broker and both databases: who sees what, and every read logged.

The feeder's task hints reach the team's task on the console; sweep tasks are worked from the phone's API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from agents.ledger import run_ledger
from console.auth import add_token
from console.ledger_api import ledger_screens
from console.server import ConsoleRunner
from core import topics
from core.settings import Settings
from ledger.store import PersonInput, Store
from pipeline.broker import free_port
from tests.integration.test_console_api import T0, auth, dispatch_event
from tests.policies import ledger_policy
from tests.unit.ledger.builders import incident_story

pytestmark = pytest.mark.integration
PLACE = (45.7735, 126.6165)


def seed(url: str) -> tuple[str, str]:
    """Three cold nights on which the same old man refused help at one place; another person elsewhere."""
    store = Store.open(url, ledger_policy())
    a = store.open_person(
        PersonInput(sex="male", age_group="elderly", appearance="军大衣 灰胡子", languages="只说方言", health_notes="diabetic", helps="hot soup first", identity={"name": "张三丰", "phone": "13812345678"}),
        by="seed",
        at=T0 - timedelta(days=3),
    )
    b = store.open_person(PersonInput(sex="female", age_group="adult"), by="seed", at=T0 - timedelta(days=3))
    for night in (3, 2, 1):
        incident = f"past-{night}"
        for e in incident_story(incident, T0 - timedelta(days=night, minutes=10), outcome="refused", level="orange", lat=PLACE[0], lon=PLACE[1]):
            store.apply_dispatch(e)
        store.link(incident, a, by="seed", at=T0)
    for e in incident_story("past-b", T0 - timedelta(days=1), lat=45.74, lon=126.66):
        store.apply_dispatch(e)
    store.link("past-b", b, by="seed", at=T0)
    store.close()
    return a, b


@asynccontextmanager
async def ledger_console(broker: str, topic_prefix: str, tokens_file: Path, database_url: str, cities: str = "") -> AsyncIterator[int]:
    """A console with the ledger routes on the real broker that has seen the new incident `inc-new`; yields its port."""
    port = free_port()
    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, tokens_file=tokens_file, console_port=port, database_url=database_url,
                       cities=cities)
    runner = ConsoleRunner(settings, broker, host="127.0.0.1", port=port, extensions=(ledger_screens(settings),))
    await runner.start()
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    try:
        new = dispatch_event("inc-new", text="老大爷穿军大衣坐在长椅上", lat=PLACE[0] + 0.0005, lon=PLACE[1], flags=("elderly",))
        await producer.send_and_wait(settings.topic(topics.DISPATCH), new.to_json())
        deadline = time.monotonic() + 30
        while "inc-new" not in runner.service.state.incidents:
            assert time.monotonic() < deadline, "the console did not see inc-new"
            await asyncio.sleep(0.02)
        yield port
    finally:
        await producer.stop()
        await runner.stop()


def tokens(tokens_file: Path) -> tuple[str, str, str, str]:
    """An operator, a supervisor and two teams of the district."""
    return (
        add_token(tokens_file, "operator", name="王调度"),
        add_token(tokens_file, "supervisor", name="sup1"),
        add_token(tokens_file, "team", team_id="T-daoli-1"),
        add_token(tokens_file, "team", team_id="T-daoli-2"),
    )


async def call(http: aiohttp.ClientSession, method: str, path: str, token: str, body: object = None, status: int = 200) -> dict:
    """One API call with a token; asserts the status; JSON back (or the text and type of a CSV or HTML answer)."""
    data = None if body is None else json.dumps(body, ensure_ascii=False)
    async with http.request(method, path, headers=auth(token), data=data) as resp:
        text = await resp.text()
        assert resp.status == status, (method, path, text)
        return json.loads(text) if resp.content_type == "application/json" else {"text": text, "type": resp.content_type}


def test_ledger_console_roles_links_suggestions_and_audit(broker: str, topic_prefix: str, tmp_path: Path, ledger_url: str) -> None:
    person_a, _ = seed(ledger_url)
    tokens_file = tmp_path / "tokens.json"
    op, sup, t1, t2 = tokens(tokens_file)

    async def main() -> None:
        async with ledger_console(broker, topic_prefix, tokens_file, ledger_url) as port, aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            await scenario(http)

    async def scenario(http: aiohttp.ClientSession) -> None:
        # The operator sees the likely file for the new incident, as a summary only.
        view = await call(http, "GET", "/api/ledger/incidents/inc-new", op)
        assert view["likely"] == person_a and view["linked"] == []
        top = view["suggestions"][0]
        assert top["person_id"] == person_a and any("refused help 3" in n for n in top["what_helps"])
        assert "张" not in json.dumps(view, ensure_ascii=False) and "1381" not in json.dumps(view)
        # The team on the task is told what helps; another team is refused.
        helps = await call(http, "GET", "/api/ledger/team/helps?incident_id=inc-new", t1)
        assert [p["person_id"] for p in helps["persons"]] == [person_a] and helps["known"] is False
        await call(http, "GET", "/api/ledger/team/helps?incident_id=inc-new", t2, status=403)
        await call(http, "POST", "/api/ledger/incidents/inc-new/link", t2, {"person_id": person_a}, status=403)
        # The team links its incident to the file, once.
        assert (await call(http, "POST", "/api/ledger/incidents/inc-new/link", t1, {"person_id": person_a}, status=201))["linked"] is True
        assert (await call(http, "POST", "/api/ledger/incidents/inc-new/link", t1, {"person_id": person_a}))["linked"] is False
        helps = await call(http, "GET", "/api/ledger/team/helps?incident_id=inc-new", t1)
        assert helps["known"] is True
        # Refused requests.
        await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, {"person_id": "P-nobody"}, status=400)
        await call(http, "POST", "/api/ledger/incidents/inc-404/link", op, {"person_id": person_a}, status=400)
        await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, {}, status=400)
        await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, {"new": {"sex": "robot"}}, status=400)
        await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, {"new": {"shoe_size": 44}}, status=400)
        # A new file for a second person at the same incident; the same request twice opens it once.
        body = {"new": {"sex": "female", "age_group": "adult", "identity": {"name": "李四"}}, "request_id": "req-7"}
        first = await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, body, status=201)
        again = await call(http, "POST", "/api/ledger/incidents/inc-new/link", op, body)
        assert first["person_id"] == again["person_id"] != person_a
        # Only a supervisor reads a whole file, identity masked.
        await call(http, "GET", f"/api/ledger/persons/{person_a}", op, status=403)
        await call(http, "GET", f"/api/ledger/persons/{person_a}", t1, status=403)
        file = await call(http, "GET", f"/api/ledger/persons/{person_a}", sup)
        assert file["identity"]["name"] == "张**" and file["identity"]["phone"] == "*******5678" and file["refusals"] == 3
        await call(http, "POST", f"/api/ledger/persons/{person_a}/notes", t1, {"kind": "referral", "text": "referred to social work"}, status=201)
        await call(http, "POST", f"/api/ledger/persons/{person_a}/notes", t1, {"kind": "gossip", "text": "x"}, status=400)
        # Every read is in the log: who, as what.
        reads = (await call(http, "GET", f"/api/ledger/audit?person_id={person_a}", sup))["reads"]
        assert {(r["who"], r["role"]) for r in reads} >= {("王调度", "operator"), ("T-daoli-1", "team"), ("sup1", "supervisor")}
        await call(http, "GET", "/api/ledger/audit", op, status=403)
        # Repeated refusals in an orange cold wave escalated the file; the supervisor closes it.
        escalations = (await call(http, "GET", "/api/ledger/escalations", sup))["escalations"]
        assert [e["person_id"] for e in escalations] == [person_a]
        await call(http, "POST", f"/api/ledger/escalations/{escalations[0]['escalation_id']}/close", sup)
        assert (await call(http, "GET", "/api/ledger/escalations", sup))["escalations"] == []
        # Tonight's sweep list puts the place first, with the person likely there.
        sweep = await call(http, "GET", "/api/ledger/sweep?date=2026-12-20&level=red", op)
        assert sweep["stops"][0]["persons"] == [person_a] and sweep["stops"][0]["nights_seen"] == 3
        await call(http, "GET", "/api/ledger/sweep?level=purple", op, status=400)
        # The supervisor sends the first place to a team; the team sees who is likely there and what helps.
        order = {"date": "2026-12-20", "rank": 1, "team_id": "T-daoli-1", "level": "red"}
        await call(http, "POST", "/api/ledger/sweep/tasks", op, order, status=403)
        await call(http, "POST", "/api/ledger/sweep/tasks", sup, {**order, "team_id": "T-nowhere"}, status=400)
        await call(http, "POST", "/api/ledger/sweep/tasks", sup, {**order, "rank": 99}, status=400)
        task_id = (await call(http, "POST", "/api/ledger/sweep/tasks", sup, order, status=201))["task_id"]
        assert (await call(http, "POST", "/api/ledger/sweep/tasks", sup, order))["task_id"] == task_id
        assert (await call(http, "GET", "/api/ledger/team/sweeps", t2))["tasks"] == []
        tasks = (await call(http, "GET", "/api/ledger/team/sweeps", t1))["tasks"]
        assert [t["task_id"] for t in tasks] == [task_id] and tasks[0]["persons"][0]["person_id"] == person_a
        assert any("hot soup" in n for n in tasks[0]["persons"][0]["what_helps"])
        await call(http, "POST", f"/api/ledger/team/sweeps/{task_id}/done", t2, {"note": "x"}, status=404)
        await call(http, "POST", f"/api/ledger/team/sweeps/{task_id}/done", t1, {"note": "met him, took soup"})
        assert (await call(http, "GET", "/api/ledger/team/sweeps", t1))["tasks"] == []
        # The daily report, as CSV and printable HTML.
        csv_text = (await call(http, "GET", "/api/ledger/report?date=2026-12-19&format=csv", op))["text"]
        assert "事件总数,合计,2" in csv_text
        own = (await call(http, "GET", "/api/ledger/report?date=2026-12-19&format=csv&centre=harbin", op))["text"]
        assert "事件总数,合计,2" in own  # the one centre of this deployment: the whole ledger
        await call(http, "GET", "/api/ledger/report?date=2026-12-19&centre=nowhere", op, status=404)
        page = await call(http, "GET", "/api/ledger/report?date=2026-12-19&format=html&lang=en", sup)
        assert page["type"] == "text/html" and "<svg" in page["text"]

    asyncio.run(main())


def test_the_teams_task_carries_the_likely_file_and_its_phone_works_a_sweep(broker: str, topic_prefix: str, tmp_path: Path, ledger_url: str) -> None:
    """The feeder reads the new task, sends the team what the ledger knows; the console puts it on the team's task only."""
    person_a, _ = seed(ledger_url)
    tokens_file = tmp_path / "tokens.json"
    _, sup, t1, t2 = tokens(tokens_file)
    settings = replace(Settings(), broker=broker, topic_prefix=topic_prefix, database_url=ledger_url)
    policy = ledger_policy()

    async def feed(*, again: bool = False) -> None:
        store = Store.open(ledger_url, policy)
        try:
            if again:  # a replay: the same records read once more from the start
                store.db.execute("DELETE FROM ledger_offsets")
            await asyncio.wait_for(run_ledger(settings, broker, store, until_caught_up=True), 120)
        finally:
            store.close()

    async def main() -> None:
        async with ledger_console(broker, topic_prefix, tokens_file, ledger_url) as port, aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            await feed()
            deadline = time.monotonic() + 30
            while not (tasks := (await call(http, "GET", "/api/team/tasks", t1))["tasks"]) or tasks[0]["known"] is None:
                assert time.monotonic() < deadline, f"no task hint reached the team's task: {tasks}"
                await asyncio.sleep(0.05)
            known = tasks[0]["known"]
            assert tasks[0]["incident_id"] == "inc-new" and known["person_id"] == person_a and known["linked"] is False
            assert known["task_event_id"] == "inc-new-r1" and 0 < known["score"] <= 1
            assert (known["sex"], known["age_group"], known["appearance"]) == ("male", "elderly", "军大衣 灰胡子")
            helps = " | ".join(known["what_helps"])
            assert "refused help 3" in helps and "diabetic" in helps and "只说方言" in helps and "hot soup" in helps
            assert known["usual"].startswith("usually within ") and "(met 3 time(s))" in known["usual"]
            blob = json.dumps(known, ensure_ascii=False)
            assert "张" not in blob and "1381" not in blob  # identity never leaves the database
            assert (await call(http, "GET", "/api/team/tasks", t2))["tasks"] == []  # another team sees nothing of it
            # The hint was a read of the file on the team's behalf, logged once even when the feeder replays.
            await feed(again=True)
            reads = (await call(http, "GET", f"/api/ledger/audit?person_id={person_a}", sup))["reads"]
            assert [(r["who"], r["role"]) for r in reads if r["what"].startswith("task hint")] == [("T-daoli-1", "team")]
            # The team confirms the file from its phone: the console sends the linked file as the task's hint.
            assert (await call(http, "POST", "/api/ledger/incidents/inc-new/link", t1, {"person_id": person_a, "client_id": "c0"}, status=201))["linked"]
            deadline = time.monotonic() + 30
            while not (known := (await call(http, "GET", "/api/team/tasks", t1))["tasks"][0]["known"])["linked"]:
                assert time.monotonic() < deadline, f"the linked file did not reach the team's task: {known}"
                await asyncio.sleep(0.05)
            assert known["person_id"] == person_a and known["score"] is None and known["task_event_id"] == "inc-new-r1"
            reads = (await call(http, "GET", f"/api/ledger/audit?person_id={person_a}", sup))["reads"]
            assert sorted(r["what"] for r in reads if r["what"].startswith("task hint")) == ["task hint for inc-new (linked)", "task hint for inc-new (suggested)"]
            # A sweep task on the phone: accepted, then found with a note; a resend or a late "not found" changes nothing.
            order = {"date": "2026-12-20", "rank": 1, "team_id": "T-daoli-1", "level": "red"}
            task_id = (await call(http, "POST", "/api/ledger/sweep/tasks", sup, order, status=201))["task_id"]
            report = "/api/ledger/team/sweeps/report"
            await call(http, "POST", report, t2, {"task_id": task_id, "status": "accepted"}, status=404)
            await call(http, "POST", report, t1, {"task_id": task_id, "status": "asleep"}, status=400)
            await call(http, "POST", report, t1, {"status": "accepted"}, status=400)
            assert (await call(http, "POST", report, t1, {"task_id": task_id, "status": "accepted", "client_id": "c1"}))["status"] == "accepted"
            listed = (await call(http, "GET", "/api/ledger/team/sweeps", t1))["tasks"]
            assert [(t["task_id"], t["status"]) for t in listed] == [(task_id, "accepted")]
            found = {"task_id": task_id, "status": "found", "note": "met him, took soup", "client_id": "c2"}
            assert (await call(http, "POST", report, t1, found)) == {"task_id": task_id, "status": "done", "result": "found"}
            assert (await call(http, "POST", report, t1, found))["result"] == "found"
            assert (await call(http, "POST", report, t1, {"task_id": task_id, "status": "not_found"}))["result"] == "found"
            assert (await call(http, "GET", "/api/ledger/team/sweeps", t1))["tasks"] == []

    asyncio.run(main())
    store = Store.open(ledger_url, policy)
    try:
        (task,) = store.sweep_tasks(None, None)
        assert (task["status"], task["result"], task["note"]) == ("done", "found", "met him, took soup") and task["accepted_at"]
    finally:
        store.close()


def test_each_centre_has_its_own_sweep_list_and_sends_it_to_its_own_teams(broker: str, topic_prefix: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    seed(url)  # Harbin's nights, written before events named a centre: placed by position
    store = Store.open(url, ledger_policy())
    for e in incident_story("past-q", T0 - timedelta(days=1), lat=47.3485, lon=123.9455):
        store.apply_dispatch({**e, "centre": "qiqihar"})
    for e in incident_story("past-moved", T0 - timedelta(days=1), lat=47.3440, lon=123.9500):
        store.apply_dispatch({**e, "centre": "harbin"})  # Harbin's incident, its position since moved into Qiqihar
    store.close()
    tokens_file = tmp_path / "tokens.json"
    op, sup, *_ = tokens(tokens_file)

    async def main() -> None:
        async with ledger_console(broker, topic_prefix, tokens_file, url, cities="harbin,qiqihar") as port, \
                aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            def seen(sweep: dict) -> set[tuple[float, float]]:
                return {(round(s["lat"], 2), round(s["lon"], 2)) for s in sweep["stops"] if s["nights_seen"]}

            harbin = await call(http, "GET", "/api/ledger/sweep?date=2026-12-20&level=red", op)
            assert harbin["centre"] == "harbin" and seen(harbin) == {(45.77, 126.62), (45.74, 126.66), (47.34, 123.95)}
            qiqihar = await call(http, "GET", "/api/ledger/sweep?date=2026-12-20&level=red&centre=qiqihar", op)
            assert qiqihar["centre"] == "qiqihar" and seen(qiqihar) == {(47.35, 123.95)}
            assert all(47.3 <= s["lat"] <= 47.38 for s in qiqihar["stops"]), "its gathering places are its own city's"
            await call(http, "GET", "/api/ledger/sweep?centre=mars", op, status=404)
            order = {"date": "2026-12-20", "level": "red", "rank": 1, "centre": "qiqihar"}
            await call(http, "POST", "/api/ledger/sweep/tasks", sup, {**order, "team_id": "T-daoli-1"}, status=400)
            await call(http, "POST", "/api/ledger/sweep/tasks", sup, {**order, "team_id": "T-longsha-2"}, status=201)

    asyncio.run(main())

"""The ledger's console and team API: person files, links, suggestions, sweeps, reports.

A console extension (`ledger_screens`, see `console.server.Extension`):
`patrol console` adds it next to the call desk. Who sees what:

- supervisors read whole files (identity masked) and the read log, and close
  social-work escalations;
- operators see what dispatch needs: suggested and linked files as summaries,
  sweep lists and reports; they link incidents and open files;
- teams see the summary of the person on their own open task ("what helps")
  and may link their task's incident to a file or open one.

Every read of a file, whole or summary, writes a `read_audit` row (who, role,
when, what). Database calls run on one worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web

from console.auth import CONSOLE_ROLES, Principal
from console.server import SERVICE, STATIC_DIR, ConsoleService, api_error, json_response, read_body
from console.state import Change
from core.errors import PatrolError, RecordError
from core.records import COLD_WAVE_LEVELS, DispatchEvent, maybe_time
from core.settings import Settings
from core.validate import EARLIEST_YEAR, LATEST_YEAR, plausible_year
from geo.city import City
from ledger.centres import LedgerCentres, deployment_cities
from ledger.db import RowRefused
from ledger.match import Case, likely, suggest
from ledger.policy import load_ledger_policy
from ledger.report import REPORT_STYLE, Report, to_csv, to_html
from ledger.store import SWEEP_REPORTS, PersonInput, Store
from ledger.sweep import SweepStop, owner
from rules.policy import load_policy

T = TypeVar("T")
log = logging.getLogger("patrol.console.ledger")

# The printable report (format=html) is styled by one inline <style>: the console's policy (style-src 'self') blocked
# it and the report printed unstyled. Its own policy allows that text by hash, and nothing else: no script, no fetch.
_STYLE_HASH = base64.b64encode(hashlib.sha256(REPORT_STYLE.encode("utf-8")).digest()).decode("ascii")
REPORT_CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'"


class LedgerService:
    """The ledger store behind the console, opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cities: dict[str, City] = deployment_cities(settings)
        self.tz: ZoneInfo = next(iter(self.cities.values())).timezone  # the deployment's (the first city's): reports, dates
        self.centres: LedgerCentres | None = None
        self._store: Store | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-db")

    def _open(self) -> Store:
        if self._store is None:
            policy = load_ledger_policy(self.settings.ledger_policy_file, outcomes=load_policy(self.settings.policy_file).outcomes)
            self._store = Store.open(self.settings.ledger_database, policy)
            self.centres = LedgerCentres(self.cities, self._store.policy.sweep_radius_m)
        return self._store

    def zone(self, event: DispatchEvent) -> ZoneInfo:
        """The time zone of an incident's city (`ledger.centres.LedgerCentres.zone`); on the database thread."""
        assert self.centres is not None
        return self.centres.zone(event)

    def centre(self, asked: object) -> str:
        """The centre a sweep request names (`centre`), else the first; 404 for one not deployed."""
        centre = asked if isinstance(asked, str) and asked else next(iter(self.cities))
        if centre not in self.cities:
            raise api_error(404, "unknown_centre", f"no city {centre!r:.40} in this deployment ({', '.join(self.cities)})")
        return centre

    def report(self, store: Store, day: date, centre: str | None) -> Report:
        """The daily report of one centre, or of the whole deployment (`ledger.centres.LedgerCentres.report`); on the database thread."""
        assert self.centres is not None
        return self.centres.report(store, "daily", day, day, centre)

    def sweep(self, store: Store, night: date, level: str | None, centre: str) -> tuple[str, list[SweepStop]]:
        """A centre's sweep list (`ledger.centres.LedgerCentres`) and its level; on the database thread, so the store is open."""
        assert self.centres is not None
        return self.centres.sweep(store, night, level, centre)

    async def call(self, fn: Any, *args: Any) -> Any:
        """Run `fn(store, *args)` on the database thread; refusals become 400, an unreachable database 503."""
        def work() -> Any:
            return fn(self._open(), *args)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except RecordError as exc:
            raise api_error(400, exc.kind, exc.reason) from exc
        except RowRefused as exc:  # the request's value, not the database: a retry gets the same answer
            log.warning("ledger refused a value of a request: %s", exc)
            raise api_error(400, "invalid", "a value the ledger cannot store (a NUL character, a number out of range)") from exc
        except PatrolError as exc:
            # Why (the database's address and user, its file's path, a statement, the policy file's line) is for the log:
            # any token, a team's too, read it in the answer.
            log.error("ledger unavailable: %s", exc)
            raise api_error(503, "ledger_unavailable", "the ledger database cannot be reached now (logged by the console); try again") from exc

    # The console extension protocol (`console.server.Extension`): routes only, no topics of its own.
    read_topics: tuple[str, ...] = ()
    write_topics: tuple[str, ...] = ()

    def add_routes(self, app: web.Application) -> None:
        _add_routes(app, self)

    def ingest(self, topic: str, data: Any) -> list[Change]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Close the database on its own thread."""
        if self._store is not None:
            store, self._store = self._store, None
            await asyncio.get_running_loop().run_in_executor(self._pool, store.close)
        self._pool.shutdown(wait=True)


LEDGER: web.AppKey[LedgerService] = web.AppKey("ledger", LedgerService)


def _who(request: web.Request, roles: tuple[str, ...]) -> tuple[ConsoleService, LedgerService, Principal]:
    service = request.app[SERVICE]
    return service, request.app[LEDGER], service.authorize(request, roles)


async def _guard_incident(service: ConsoleService, ledger: LedgerService, who: Principal, incident_id: str) -> None:
    """403 when an operator's token scoped to some centres names another centre's incident (`ConsoleService.guard`).

    An incident the console no longer holds (closed 6 h ago, or before a restart) is judged by the ledger's row: its
    desk's centre, else where it lay (`ledger.sweep.owner`), as the sweep list and reports place it."""
    if (view := service.state.incidents.get(incident_id)) is not None:
        service.guard(who, view)
        return
    if who.centres is None:
        return

    def centre_of(store: Store) -> str | None:
        row = store.incident(incident_id)
        assert ledger.centres is not None  # opened with the store
        return None if row is None else owner(row["centre"], float(row["lat"]), float(row["lon"]), ledger.centres.locate)

    centre = await ledger.call(centre_of)
    if centre is not None and not who.covers(centre):
        raise api_error(403, "other_centre", f"incident {incident_id!r:.60} belongs to centre {centre!r:.40}; "
                                             f"this token covers {', '.join(sorted(who.centres))}")


def _may_read_file(store: Store, ledger: LedgerService, who: Principal, person_id: str) -> bool:
    """Whether a token may read or write a person's file: one scoped to some centres, a file linked to one of their
    incidents (placed as `_guard_incident` places them), or to none (nothing places it); every other token, any file."""
    if who.centres is None:
        return True
    assert ledger.centres is not None  # opened with the store
    centres = {owner(c, lat, lon, ledger.centres.locate) for c, lat, lon in store.places_of(person_id)} - {None}
    return not centres or not centres.isdisjoint(who.centres)


def _file_of_centre(store: Store, ledger: LedgerService, who: Principal, person_id: str) -> None:
    """403 `other_centre` for a file of another centre's incidents (on the database thread)."""
    if not _may_read_file(store, ledger, who, person_id):
        raise api_error(403, "other_centre", f"file {person_id!r:.60} is of incidents of centres this token does not cover")


def _case(store: Store, service: ConsoleService, incident_id: str) -> Case | None:
    """What the incident says about the person: the ledger's row, else the console's live view."""
    row = store.incident(incident_id)
    if row is not None:
        flags = tuple(f for f in row["flags"].split(",") if f)
        return Case(float(row["lat"]), float(row["lon"]), datetime.fromisoformat(row["first_report_at"]), flags, row["text"])
    view = service.state.incidents.get(incident_id)
    if view is None:
        return None
    ev = view.latest
    return Case(ev.lat, ev.lon, maybe_time(ev.first_report_at) or ev.at, tuple(ev.flags), ev.text)


def _incident_view(store: Store, service: ConsoleService, tz: ZoneInfo, incident_id: str, who: Principal) -> dict[str, Any]:
    """Linked files and suggestions for one incident, each shown as a summary (and logged)."""
    case = _case(store, service, incident_id)
    if case is None:
        raise RecordError(f"no incident {incident_id!r}", kind="incident_not_found")
    linked = store.persons_of(incident_id)
    profiles = {p.person_id: p for p in store.profiles()}
    suggestions = [s for s in suggest(case, list(profiles.values()), store.policy, tz) if s.person_id not in linked]
    best = likely(suggestions, store.policy)
    now = datetime.now(UTC)
    for person_id in [*linked, *(s.person_id for s in suggestions)]:
        store.log_read(who=who.name, role=who.role, person_id=person_id, what=f"summary for {incident_id}", at=now)
    return {
        "incident_id": incident_id,
        "linked": [profiles[p].team_summary() for p in linked if p in profiles],
        "suggestions": [{**profiles[s.person_id].team_summary(), "score": s.score, "distance_m": s.distance_m, "hour_gap": s.hour_gap, "reasons": list(s.reasons)} for s in suggestions],
        "likely": best.person_id if best else None,
    }


def _team_incident(service: ConsoleService, principal: Principal, incident_id: str) -> None:
    """A team touches only the incident of one of its own open tasks."""
    if not any(v.latest.incident_id == incident_id for v in service.state.team_tasks(principal.team_id or "")):
        raise api_error(403, "not_your_task", f"incident {incident_id!r} is not an open task of team {principal.team_id}")


def _team_may_link(store: Store, service: ConsoleService, tz: ZoneInfo, incident_id: str, person_id: str) -> bool:
    """A team confirms the file its phone was shown for the incident (already linked, or the ledger's suggestion), never
    another: a file id seen elsewhere (another task, a colleague's phone) linked to its own task would open that
    stranger's summary and notes to it. The answer is the same whether the file exists or not."""
    if person_id in store.persons_of(incident_id):
        return True
    case = _case(store, service, incident_id)
    return case is not None and any(s.person_id == person_id for s in suggest(case, store.profiles(), store.policy, tz))


async def _team_file(service: ConsoleService, ledger: LedgerService, principal: Principal, person_id: str) -> None:
    """A team writes only to a file linked to the incident of one of its own open tasks (403 before the file's existence
    is looked at, so a team learns nothing of the files beyond its tasks)."""
    own = sorted({v.latest.incident_id for v in service.state.team_tasks(principal.team_id or "")})
    if not await ledger.call(lambda store: any(person_id in store.persons_of(incident_id) for incident_id in own)):
        raise api_error(403, "not_your_task", f"file {person_id!r} is not linked to an open task of team {principal.team_id}")


async def api_incident(request: web.Request) -> web.StreamResponse:
    """Operator/supervisor: files linked to an incident and the likely file for it."""
    service, ledger, who = _who(request, CONSOLE_ROLES)
    incident_id = request.match_info["incident_id"]
    await _guard_incident(service, ledger, who, incident_id)
    return json_response(await ledger.call(_incident_view, service, ledger.tz, incident_id, who))


async def api_link(request: web.Request) -> web.StreamResponse:
    """Link an incident to a known file (`person_id`) or to a new one (`new`: description, optional identity)."""
    service, ledger, who = _who(request, ("operator", "supervisor", "team"))
    incident_id = request.match_info["incident_id"]
    if who.role == "team":
        _team_incident(service, who, incident_id)
    await _guard_incident(service, ledger, who, incident_id)
    body = await read_body(request)
    at = service.state.now_or_wall()
    person_id = body.get("person_id")
    new = body.get("new")
    if (person_id is None) == (new is None):
        raise api_error(400, "missing_field", "give either person_id or new")
    if new is not None:
        if not isinstance(new, dict):
            raise api_error(400, "invalid_new", "new must be an object")
        identity = new.get("identity")
        if identity is not None and not isinstance(identity, dict):
            # dict() of a string or a list was a 500 (ValueError), or made a pair list into fields nobody wrote.
            raise api_error(400, "invalid_new", "new.identity must be an object {name, phone, id_number}")
        try:
            person = PersonInput(**{k: v for k, v in new.items() if k != "identity"}, identity=dict(identity or {}))
        except TypeError as exc:
            raise api_error(400, "invalid_new", f"new: {exc}") from exc
        request_id = body.get("request_id")
        if request_id is not None and not isinstance(request_id, str):
            raise api_error(400, "invalid_request_id", "request_id must be a string")
        if request_id:  # the caller's own: another's request id (guessed, or reused) opened, linked and rewrote that file
            request_id = f"{who.token_id}:{request_id}"

        def open_and_link(store: Store) -> tuple[str, bool]:
            if _case(store, service, incident_id) is None:
                raise RecordError(f"no incident {incident_id!r}", kind="incident_not_found")
            pid = store.open_person(person, by=who.name, at=at, request_id=request_id)
            return pid, store.link(incident_id, pid, by=who.name, at=at)

        person_id, created = await ledger.call(open_and_link)
    else:
        if not isinstance(person_id, str):
            raise api_error(400, "invalid_person_id", "person_id must be a string")

        def link_known(store: Store) -> bool:
            if who.role == "team" and not _team_may_link(store, service, ledger.tz, incident_id, person_id):
                raise api_error(403, "not_your_file", f"file {person_id!r} is not the file proposed for incident {incident_id!r}")
            if not store.person_exists(person_id):
                raise RecordError(f"no file {person_id!r}", kind="person_not_found")
            if _case(store, service, incident_id) is None:
                raise RecordError(f"no incident {incident_id!r}", kind="incident_not_found")
            return store.link(incident_id, person_id, by=who.name, at=at)

        created = await ledger.call(link_known)
    await _tell_teams(service, ledger, incident_id, at)
    return json_response({"incident_id": incident_id, "person_id": person_id, "linked": created}, status=201 if created else 200)


async def _tell_teams(service: ConsoleService, ledger: LedgerService, incident_id: str, at: datetime) -> None:
    """After a link, the teams holding a task in the incident get the file as a task hint (the feeder only sees the stream).

    The link is written whatever happens here: a broker that does not answer
    costs the phones the update, not the link (`/api/ledger/team/helps` has it).
    """
    view = service.state.incidents.get(incident_id)
    if view is None:
        return
    tasks = [(view.latest, team, task, at) for team in sorted(service.state.teams) if (task := view.task_of(team))]
    for hint in await ledger.call(lambda s: s.hints_for(tasks, ledger.zone)):
        try:
            await service.publisher.publish_hint(hint)
        except Exception as exc:  # the broker is down: the phone keeps the hint it had
            log.error("could not publish task hint %s: %s", hint.hint_id, exc)


async def api_person(request: web.Request) -> web.StreamResponse:
    """Supervisor: the whole file (identity masked); the read is logged."""
    _, ledger, who = _who(request, ("supervisor",))
    person_id = request.match_info["person_id"]

    def read(store: Store) -> dict[str, Any] | None:
        _file_of_centre(store, ledger, who, person_id)
        file = store.person_file(person_id)
        if file is not None:
            store.log_read(who=who.name, role=who.role, person_id=person_id, what="file", at=datetime.now(UTC))
        return file

    file = await ledger.call(read)
    if file is None:
        raise api_error(404, "person_not_found", f"no file {person_id!r}")
    return json_response(file)


async def api_note(request: web.Request) -> web.StreamResponse:
    """Add a follow-up, referral, refusal or note to a file; a team only to a file linked to one of its open tasks."""
    service, ledger, who = _who(request, ("operator", "supervisor", "team"))
    person_id = request.match_info["person_id"]
    if who.role == "team":
        await _team_file(service, ledger, who, person_id)
    body = await read_body(request)
    at = service.state.now_or_wall()

    def note(store: Store) -> str:
        _file_of_centre(store, ledger, who, person_id)
        if not store.person_exists(person_id):
            raise RecordError(f"no file {person_id!r}", kind="person_not_found")
        return store.add_note(person_id, str(body.get("kind", "")), body.get("text"), by=who.name, at=at)  # type: ignore[arg-type]

    return json_response({"note_id": await ledger.call(note)}, status=201)


async def api_team_helps(request: web.Request) -> web.StreamResponse:
    """Team: what is known to help the person of one of its open tasks (linked file, else the likely one)."""
    service, ledger, who = _who(request, ("team",))
    incident_id = request.query.get("incident_id", "")
    _team_incident(service, who, incident_id)

    def helps(store: Store) -> dict[str, Any]:
        view = _incident_view(store, service, ledger.tz, incident_id, who)
        if view["linked"]:
            return {"incident_id": incident_id, "known": True, "persons": view["linked"]}
        best = [s for s in view["suggestions"] if s["person_id"] == view["likely"]]
        return {"incident_id": incident_id, "known": False, "persons": [{k: v for k, v in s.items() if k != "reasons"} for s in best]}

    return json_response(await ledger.call(helps))


async def api_escalations(request: web.Request) -> web.StreamResponse:
    """Supervisor: files escalated for a social-work plan (repeated refusals in a cold wave)."""
    _, ledger, who = _who(request, ("supervisor",))
    status = request.query.get("status", "open")

    def listed(store: Store) -> list[dict[str, Any]]:
        rows = store.escalations(None if status == "all" else status)
        return [r for r in rows if _may_read_file(store, ledger, who, str(r["person_id"]))]

    return json_response({"escalations": await ledger.call(listed)})


async def api_close_escalation(request: web.Request) -> web.StreamResponse:
    _, ledger, who = _who(request, ("supervisor",))
    escalation_id = request.match_info["escalation_id"]

    def close(store: Store) -> bool:
        row = next((r for r in store.escalations(None) if r["escalation_id"] == escalation_id), None)
        if row is not None:
            _file_of_centre(store, ledger, who, str(row["person_id"]))
        return store.close_escalation(escalation_id)

    if not await ledger.call(close):
        raise api_error(404, "escalation_not_found", f"no escalation {escalation_id!r}")
    return json_response({"escalation_id": escalation_id, "status": "closed"})


def _plausible_date(raw: str, name: str) -> date:
    """A YYYY-MM-DD date in the years records may carry: 0001-01-01 or 9999-12-31 overflowed the report day's bounds (500)."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise api_error(400, f"invalid_{name}", f"{name} must be YYYY-MM-DD") from None
    if not plausible_year(day):
        raise api_error(400, f"invalid_{name}", f"{name} must be a date in the years {EARLIEST_YEAR}..{LATEST_YEAR}")
    return day


def _query_date(request: web.Request, name: str, default: date) -> date:
    raw = request.query.get(name)
    if not raw:
        return default
    return _plausible_date(raw, name)


async def api_sweep(request: web.Request) -> web.StreamResponse:
    """Operator/supervisor: a centre's sweep list (主动排查) for `date`, by default tonight in its city's time zone."""
    service, ledger, who = _who(request, CONSOLE_ROLES)
    centre = ledger.centre(request.query.get("centre") or (min(who.centres) if who.centres else None))
    service.guard_centre(who, centre)
    tonight = _query_date(request, "date", service.state.now_or_wall().astimezone(ledger.cities[centre].timezone).date())
    level = request.query.get("level")
    if level is not None and level not in COLD_WAVE_LEVELS:
        raise api_error(400, "invalid_level", f"level must be one of {', '.join(COLD_WAVE_LEVELS)}")

    def sweep(store: Store) -> dict[str, Any]:
        lvl, stops = ledger.sweep(store, tonight, level, centre)
        return {"date": tonight.isoformat(), "centre": centre, "level": lvl, "stops": [s.to_dict() for s in stops]}

    return json_response(await ledger.call(sweep))


async def api_send_sweep(request: web.Request) -> web.StreamResponse:
    """Supervisor: send a place of a centre's sweep list to a team (`{"date", "rank", "team_id", "level"?, "centre"?}`)."""
    service, ledger, who = _who(request, ("supervisor",))
    body = await read_body(request)
    team_id, rank, level = body.get("team_id"), body.get("rank"), body.get("level")
    if not isinstance(team_id, str) or team_id not in service.state.teams:
        raise api_error(400, "invalid_team_id", "team_id must name a team of the city")
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
        raise api_error(400, "invalid_rank", "rank must be a place's rank on the list (1, 2, ...)")
    if level is not None and level not in COLD_WAVE_LEVELS:
        raise api_error(400, "invalid_level", f"level must be one of {', '.join(COLD_WAVE_LEVELS)}")
    night = _plausible_date(str(body.get("date")), "date")
    at = service.state.now_or_wall()
    centre = ledger.centre(body.get("centre") or (min(who.centres) if who.centres else None))
    service.guard_centre(who, centre)
    if len(ledger.cities) > 1 and service.centres.of_team(team_id) != centre:
        raise api_error(400, "invalid_team_id", f"team {team_id} is not a team of {centre}")

    def send(store: Store) -> tuple[str, bool]:
        stops = [s for s in ledger.sweep(store, night, level, centre)[1] if s.rank == rank]
        if not stops:
            raise RecordError(f"no place ranked {rank} on the list of {night}", kind="invalid_rank")
        return store.send_sweep(night, stops[0], team_id, by=who.name, at=at)

    task_id, created = await ledger.call(send)
    return json_response({"task_id": task_id, "created": created}, status=201 if created else 200)


async def api_team_sweeps(request: web.Request) -> web.StreamResponse:
    """Team: its open sweep tasks, each with what helps the people likely there (reads logged)."""
    _, ledger, who = _who(request, ("team",))

    def tasks(store: Store) -> list[dict[str, Any]]:
        out = []
        now = datetime.now(UTC)
        for task in (t for t in store.sweep_tasks(who.team_id, None) if t["status"] != "done"):
            persons = [p for p in task["persons"].split(",") if p]
            for person_id in persons:
                store.log_read(who=who.name, role=who.role, person_id=person_id, what=f"sweep {task['task_id']}", at=now)
            task["persons"] = [p.team_summary() for p in store.profiles(persons)]
            out.append(task)
        return out

    return json_response({"team_id": who.team_id, "tasks": await ledger.call(tasks)})


async def api_team_sweep_report(request: web.Request) -> web.StreamResponse:
    """Team phone: `{"task_id", "status": accepted|found|not_found, "note"?}` on one of its sweep tasks (a resend changes nothing)."""
    service, ledger, who = _who(request, ("team",))
    body = await read_body(request)
    task_id, status, note = body.get("task_id"), body.get("status"), body.get("note", "")
    if not isinstance(task_id, str) or not task_id:
        raise api_error(400, "missing_field", "task_id must name a sweep task")
    if status not in SWEEP_REPORTS:
        raise api_error(400, "unknown_status", f"status must be one of {', '.join(SWEEP_REPORTS)}")
    if not isinstance(note, str) or len(note) > 2000:
        raise api_error(400, "invalid_note", "note must be a text of at most 2000 characters")
    at = service.state.now_or_wall()
    task = await ledger.call(lambda s: s.report_sweep(task_id, who.team_id or "", status, note, at=at))
    if task is None:
        raise api_error(404, "task_not_found", f"no sweep task {task_id!r} of team {who.team_id}")
    return json_response({"task_id": task_id, "status": task["status"], "result": task["result"]})


async def api_team_sweep_done(request: web.Request) -> web.StreamResponse:
    """Team: a sweep task done, with a note (whom it met, what it did)."""
    service, ledger, who = _who(request, ("team",))
    body = await read_body(request, allow_empty=True)
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 2000:
        raise api_error(400, "invalid_note", "note must be a text of at most 2000 characters")
    task_id = request.match_info["task_id"]
    at = service.state.now_or_wall()
    if not await ledger.call(lambda s: s.finish_sweep(task_id, who.team_id or "", note, at=at)):
        raise api_error(404, "task_not_found", f"no open sweep task {task_id!r} of team {who.team_id}")
    return json_response({"task_id": task_id, "status": "done"})


async def api_report(request: web.Request) -> web.StreamResponse:
    """Operator/supervisor: the daily report of `date` as JSON rows, CSV or printable HTML; one centre's with `centre`
    (its incidents, persons, tips and weather, the day in its city's time zone), else the whole deployment's."""
    service, ledger, who = _who(request, CONSOLE_ROLES)
    centre = ledger.centre(request.query["centre"]) if request.query.get("centre") else None
    if centre is None and who.centres is not None:
        raise api_error(403, "other_centre", "this token covers some centres only: name one (`centre`)")
    if centre is not None:
        service.guard_centre(who, centre)
    tz = ledger.cities[centre].timezone if centre else ledger.tz
    day = _query_date(request, "date", service.state.now_or_wall().astimezone(tz).date())
    lang = request.query.get("lang", "zh")
    fmt = request.query.get("format", "json")
    if lang not in ("zh", "en") or fmt not in ("json", "csv", "html"):
        raise api_error(400, "invalid_format", "lang zh|en, format json|csv|html")
    report = await ledger.call(lambda s: ledger.report(s, day, centre))
    if fmt == "csv":
        return web.Response(text=to_csv(report, lang), content_type="text/csv", charset="utf-8")
    if fmt == "html":
        return web.Response(text=to_html(report, lang), content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": REPORT_CSP})
    return json_response({"date": day.isoformat(), "rows": [list(r) for r in report.rows()]})


MAX_AUDIT_ROWS = 5000  # the most reads one answer of `/api/ledger/audit` holds (`?limit=`, default AUDIT_ROWS)
AUDIT_ROWS = 500


async def api_audit(request: web.Request) -> web.StreamResponse:
    """Supervisor: who read which file when: the newest `limit` reads (older than the read `before`), oldest first,
    `more` when older ones exist and `next`, the `before` of the next page. A token scoped to some centres sees the
    reads of their files only (`_may_read_file`): which files another centre's staff opened, and how often, is that
    centre's business; they are left out while the page is filled, so it still holds `limit` rows when more exist."""
    _, ledger, who = _who(request, ("supervisor",))
    person_id = request.query.get("person_id") or None
    raw = request.query.get("limit", str(AUDIT_ROWS))
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= MAX_AUDIT_ROWS:
        raise api_error(400, "invalid_limit", f"limit must be a whole number 1..{MAX_AUDIT_ROWS}")
    limit = int(raw)

    before = request.query.get("before") or None

    def page(store: Store) -> tuple[list[dict[str, Any]], bool]:
        if person_id is not None:
            _file_of_centre(store, ledger, who, person_id)
        allowed: dict[str, bool] = {}  # by file, judged once a page

        def keep(row: dict[str, Any]) -> bool:
            person = str(row["person_id"])
            if person not in allowed:
                allowed[person] = _may_read_file(store, ledger, who, person)
            return allowed[person]

        try:
            return store.audit_page(person_id, limit=limit, before=before, keep=keep if who.centres is not None and person_id is None else None)
        except KeyError:
            raise api_error(400, "invalid_before", f"no read {before!r:.60} in the audit to page from") from None

    rows, more = await ledger.call(page)
    return json_response({"reads": rows, "more": more, "next": rows[0]["audit_id"] if more else None})


async def page_ledger(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "ledger.html")


def _add_routes(app: web.Application, ledger: LedgerService) -> None:
    app[LEDGER] = ledger
    app.router.add_get("/ledger", page_ledger)
    app.router.add_get("/api/ledger/incidents/{incident_id}", api_incident)
    app.router.add_post("/api/ledger/incidents/{incident_id}/link", api_link)
    app.router.add_get("/api/ledger/persons/{person_id}", api_person)
    app.router.add_post("/api/ledger/persons/{person_id}/notes", api_note)
    app.router.add_get("/api/ledger/team/helps", api_team_helps)
    app.router.add_get("/api/ledger/escalations", api_escalations)
    app.router.add_post("/api/ledger/escalations/{escalation_id}/close", api_close_escalation)
    app.router.add_get("/api/ledger/sweep", api_sweep)
    app.router.add_get("/api/ledger/report", api_report)
    app.router.add_post("/api/ledger/sweep/tasks", api_send_sweep)
    app.router.add_get("/api/ledger/team/sweeps", api_team_sweeps)
    app.router.add_post("/api/ledger/team/sweeps/report", api_team_sweep_report)
    app.router.add_post("/api/ledger/team/sweeps/{task_id}/done", api_team_sweep_done)
    app.router.add_get("/api/ledger/audit", api_audit)


def ledger_screens(settings: Settings) -> LedgerService:
    """The ledger's page and API as a console extension (`console.server.Extension`)."""
    return LedgerService(settings)

"""The decision one report gets, audited case by case against DOMAIN.md: `decision_audit.toml`.

Each case is a short night (weather, clock, maybe teams, one or two reports)
with the decision DOMAIN.md asks for: category by the first matching row,
priority and every rule that raised it, the acknowledgement deadline, the
destination, the partners named, follow-ups, and the replies a reporter who
left a contact gets. The night runs through the real intake and Desk
(`deskkit.Run`); the replies through the real `ReplyWriter`, fed every event
the night wrote, as the reporters agent is.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from core.records import ReporterContact, ReporterFeedback
from core.settings import DATA_DIR
from rules.context import Context, load_context
from rules.desk import Outputs
from rules.intake import parse_contact
from rules.reporters import ReplyWriter, TipReplies
from tests.unit.rules.deskkit import Run, check

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "decision_audit.toml").read_text(encoding="utf-8"))["case"]
EARLIER = [c["id"] for name in ("desk_audit.toml", "desk_audit2.toml", "desk_audit3.toml")
           for c in tomllib.loads((HERE / name).read_text(encoding="utf-8"))["case"]]
OWN_KEYS = ("dest_kind", "no_followup")
CODE = re.compile(r"\b(?:P[1-4]|[a-z]+_[a-z_]+)\b")  # a priority or a snake_case code is no plain word


def _without_minors_centre(root: Path) -> Path:
    """Harbin's city files with every place serving minors left out: a city that has no minors' centre."""
    city = root / "harbin-no-minors"
    if not city.exists():
        shutil.copytree(DATA_DIR / "cities" / "harbin", city)
        points = json.loads((city / "help_points.geojson").read_text(encoding="utf-8"))
        points["features"] = [f for f in points["features"] if "minors" not in f["properties"].get("serves", [])]
        (city / "help_points.geojson").write_text(json.dumps(points, ensure_ascii=False), encoding="utf-8")
    return city


@pytest.fixture(scope="module")
def contexts(ctx: Context, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Context]:
    city = _without_minors_centre(tmp_path_factory.mktemp("cities"))
    return {"harbin": ctx, "harbin-no-minors": load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", city)}


class Replies:
    """The reporters agent's part: each tip's contact, and every event of the night offered for each of its sources."""

    def __init__(self) -> None:
        self.writer = ReplyWriter(hotline="12349", exercise=False)
        self.states: dict[str, TipReplies] = {}
        self.sent: list[ReporterFeedback] = []
        self.contacts: dict[str, str] = {}  # tip id -> the number or id it left

    def contact(self, tip_id: str, given: str, at: Any) -> None:
        number, masked, via = parse_contact(given)
        record = ReporterContact(tip_id=tip_id, contact=number, masked=masked, via=via, at=at)
        self.contacts[tip_id] = number
        due, self.states[tip_id] = self.writer.contact(record, self.states.get(tip_id, TipReplies()))
        self.sent += due

    def events(self, out: Outputs) -> None:
        for event in out.events:
            for tip_id in event.sources:
                feedback, self.states[tip_id] = self.writer.handle(event, tip_id, self.states.get(tip_id, TipReplies()))
                if feedback is not None:
                    self.sent.append(feedback)


def check_replies(replies: Replies, want: list[list[str]], texts: list[str]) -> None:
    """[[tip, stage, outcome_class], ...] in order; each to its own reporter, in plain words, naming nobody."""
    assert [[f.tip_id, f.stage, f.outcome_class] for f in replies.sent] == want
    numbers = [re.sub(r"\D", "", n)[-8:] for n in replies.contacts.values()]
    for feedback in replies.sent:
        assert feedback.to == replies.contacts[feedback.tip_id], "a reply goes to the tip's own reporter"
        for message in (feedback.message_zh, feedback.message_en):
            assert not CODE.search(message), (CODE.search(message), message)
            for secret in [*numbers, *texts]:
                assert secret not in message, (secret, message)


def check_own(run: Run, out: Outputs, expect: dict[str, Any]) -> None:
    if "dest_kind" in expect:
        last = run.events(out, expect.get("of"))[-1]
        assert last.destination is not None and last.destination.kind == expect["dest_kind"], last.destination
    if expect.get("no_followup"):
        assert run.desk.incidents[run.incident(expect.get("of"))].followup_at is None


def test_audit_covers_single_decisions() -> None:
    assert 60 <= len(CASES) <= 90
    ids = [c["id"] for c in CASES]
    assert len(set(ids)) == len(ids) and not set(ids) & set(EARLIER), "each case id once, over the four files"
    for case in CASES:
        assert sum(1 for s in case["step"] if "expect" in s) >= 1, case["id"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_one_report_decided_as_the_domain_says(case: dict[str, Any], contexts: dict[str, Context]) -> None:
    run = Run(contexts[case.get("city", "harbin")])
    replies = Replies()
    for step in case["step"]:
        record = run.record(step)
        contact = step.get("tip", {}).get("reporter_contact")
        if contact is not None:
            replies.contact(step["tip"].get("tip_id", f"tip-{run.n}"), contact, record.at)
        out = run.deliver(record)
        replies.events(out)
        if "expect" in step:
            expect = dict(step["expect"])
            own = {key: expect.pop(key) for key in OWN_KEYS if key in expect}
            check(run, record.at, out, expect)
            check_own(run, out, own)
    if "replies" in case:
        check_replies(replies, case["replies"], case.get("private", []))

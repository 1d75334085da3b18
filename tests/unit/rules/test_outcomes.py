"""Outcome codes: the desk policy's `dispatch.outcomes` is the one list, and whoever sends or words an outcome keeps to it."""

from __future__ import annotations

from core.settings import DATA_DIR
from drill.ledger_drill import Someone, outcome
from rules.policy import load_policy
from rules.reporters import OUTCOME_CLASSES
from simulators.teams import OUTCOMES, STAYING_OUTCOMES
from tests.policies import ledger_policy

POLICY = load_policy(DATA_DIR / "policy.toml")


def test_the_simulated_teams_and_the_ledger_drills_crews_send_only_listed_outcomes() -> None:
    """The desk refuses a code its policy does not list (`unknown_outcome`): a drill sending one would lose the task."""
    crews = {outcome(Someone("p", "male", "adult", "coat", refuses, 45.76, 126.63, 20.0, True)) for refuses in (True, False)}
    sent = {*OUTCOMES.values(), *STAYING_OUTCOMES, *crews, "not_found"}  # the ledger drill's crew finding nobody
    assert sent <= set(POLICY.outcomes), sorted(sent - set(POLICY.outcomes))


def test_every_listed_outcome_has_words_for_the_reporter_and_a_column_in_the_reports() -> None:
    """A listed code without a reporter wording falls back to a bare "handled", and one without a ledger column lands
    under "other": the shipped list has neither."""
    ledger = ledger_policy()
    for code in POLICY.outcomes:
        assert code in OUTCOME_CLASSES, code
        assert ledger.outcome_columns(code), code
    assert set(ledger.refusal_outcomes) <= set(POLICY.outcomes)
    assert set(POLICY.followup_outcomes) <= set(POLICY.outcomes)

from __future__ import annotations

from datetime import timedelta

from ledger.profile import Contact, social_work_due
from tests.policies import ledger_policy
from tests.unit.ledger.builders import T0

POLICY = ledger_policy()


def contact(n: int, days: float, outcome: str = "refused", level: str = "orange") -> Contact:
    return Contact(f"i{n}", T0 + timedelta(days=days), 45.7, 126.6, outcome, level)


def test_two_refusals_in_an_orange_week_call_for_social_work() -> None:
    due = social_work_due([contact(1, 0), contact(2, 3)], POLICY)
    assert due is not None and due[0] == "i1" and due[2] == T0 + timedelta(days=3) and "社工" in due[1]


def test_no_escalation_without_a_cold_wave_or_with_refusals_far_apart() -> None:
    assert social_work_due([contact(1, 0, level="yellow"), contact(2, 1, level="yellow")], POLICY) is None
    assert social_work_due([contact(1, 0), contact(2, 9)], POLICY) is None
    assert social_work_due([contact(1, 0), contact(2, 1, outcome="taken_to_station")], POLICY) is None


def test_the_same_history_in_any_order_names_the_same_escalation() -> None:
    history = [contact(3, 20), contact(1, 0), contact(2, 12), contact(4, 21)]
    assert social_work_due(history, POLICY) == social_work_due(list(reversed(history)), POLICY)
    assert social_work_due(history, POLICY)[0] == "i3"  # type: ignore[index]

"""The shipped ledger policy, loaded as every command loads it: against the dispatch policy's outcome codes."""

from __future__ import annotations

from pathlib import Path

from core.settings import DATA_DIR
from ledger.policy import LedgerPolicy, load_ledger_policy
from rules.policy import load_policy

DISPATCH_OUTCOMES: tuple[str, ...] = load_policy(DATA_DIR / "policy.toml").outcomes


def ledger_policy(path: Path = DATA_DIR / "ledger.toml") -> LedgerPolicy:
    """The ledger policy at `path` (default the shipped one), checked against the shipped `dispatch.outcomes`."""
    return load_ledger_policy(path, outcomes=DISPATCH_OUTCOMES)

"""Shared fixtures: the shipped policy, lexicon and city, loaded once."""

from __future__ import annotations

import pytest

from core.settings import DATA_DIR
from rules.context import Context, load_context


@pytest.fixture(scope="session")
def ctx() -> Context:
    return load_context(DATA_DIR / "policy.toml", DATA_DIR / "lexicon.toml", DATA_DIR / "cities" / "harbin")

"""Integration fixtures: one real embedded broker for the whole session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from pipeline.broker import EmbeddedBroker


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Bootstrap servers of a real broker: `PATROL_TEST_BROKER` or an embedded Tansu."""
    configured = os.environ.get("PATROL_TEST_BROKER", "")
    if configured:
        yield configured
        return
    with EmbeddedBroker() as embedded:
        yield embedded.bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A fresh topic namespace per test, so tests on one broker never see each other's records."""
    return f"t{uuid.uuid4().hex[:8]}-"


# The ledger's databases (PostgreSQL cluster, fresh SQLite files): see ledger_fixtures.py.
from tests.integration.ledger_fixtures import ledger_url, postgres_server  # noqa: E402, F401

"""The configured event loop is the one a process's loops are made of."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import pytest
import uvloop

from core.errors import ConfigError
from core.settings import Settings
from pipeline.eventloop import use_event_loop


@pytest.fixture(autouse=True)
def _standard_loop_after() -> Iterator[None]:
    yield
    asyncio.set_event_loop_policy(None)


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.mark.parametrize(("kind", "loop_type"), [("uvloop", uvloop.Loop), ("asyncio", asyncio.BaseEventLoop)])
def test_loops_made_after_the_choice_are_of_its_kind(kind: str, loop_type: type) -> None:
    assert use_event_loop(replace(Settings(), event_loop=kind)) == kind
    loop = asyncio.run(_running_loop())
    assert isinstance(loop, loop_type)
    assert (type(loop) is uvloop.Loop) == (kind == "uvloop")


def test_uvloop_is_the_default() -> None:
    assert Settings.from_env({}).event_loop == "uvloop"


def test_an_unknown_loop_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="PATROL_EVENT_LOOP must be uvloop or asyncio, not 'trio'"):
        Settings.from_env({"PATROL_EVENT_LOOP": "trio"})

"""The drain loop's hand-over: direct when nothing waits, raced against the flow's suspension when it does."""

from __future__ import annotations

import asyncio

import pytest
from mode import Service

from pipeline.kafka_compat import hand_over


def test_a_hand_over_that_never_waits_finishes_in_one_step_without_tasks() -> None:
    async def scenario() -> None:
        delivered: list[int] = []

        async def put() -> None:
            delivered.append(1)

        tasks = len(asyncio.all_tasks())
        step = hand_over(Service(), put(), asyncio.Event())
        with pytest.raises(StopIteration):  # hand_over itself never suspended
            step.send(None)
        assert delivered == [1]
        assert len(asyncio.all_tasks()) == tasks

    asyncio.run(scenario())


def test_a_hand_over_that_waits_goes_on_from_where_it_stopped() -> None:
    async def scenario() -> None:
        room, delivered = asyncio.Event(), []

        async def put() -> None:
            delivered.append("first step")
            await room.wait()
            await asyncio.sleep(0)
            delivered.append("rest")

        handing = asyncio.ensure_future(hand_over(Service(), put(), asyncio.Event()))
        await asyncio.sleep(0.01)
        assert delivered == ["first step"]
        room.set()
        await asyncio.wait_for(handing, 1)
        assert delivered == ["first step", "rest"]

    asyncio.run(scenario())


def test_a_waiting_hand_over_is_abandoned_when_the_flow_is_suspended() -> None:
    async def scenario() -> None:
        suspend, cleaned = asyncio.Event(), []

        async def put() -> None:
            try:
                await asyncio.Event().wait()  # a full queue that never drains
            finally:
                cleaned.append("cancelled")

        handing = asyncio.ensure_future(hand_over(Service(), put(), suspend))
        await asyncio.sleep(0.01)
        suspend.set()
        await asyncio.wait_for(handing, 1)
        await asyncio.sleep(0)
        assert cleaned == ["cancelled"]

    asyncio.run(scenario())


def test_errors_reach_the_drain_loop_before_and_after_a_wait() -> None:
    async def scenario() -> None:
        async def bad_at_once() -> None:
            raise ValueError("undecodable")

        async def bad_later() -> None:
            await asyncio.sleep(0.001)
            raise KeyError("gone")

        with pytest.raises(ValueError):
            await hand_over(Service(), bad_at_once(), asyncio.Event())
        with pytest.raises(KeyError):
            await hand_over(Service(), bad_later(), asyncio.Event())


    asyncio.run(scenario())

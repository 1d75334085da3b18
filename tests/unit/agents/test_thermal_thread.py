"""The thermal agent's frame thread: results and errors come back, and the event loop turns meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.thermal import FrameThread
from core.errors import FrameError


def _slow(seconds: float, value: str) -> str:
    time.sleep(seconds)  # stands in for a frame's detection (OpenCV releases the GIL as sleep does)
    return value


def _bad(_raw: bytes) -> None:
    raise FrameError("not base64", kind="malformed")


def test_a_call_on_the_frame_thread_returns_its_result_while_the_loop_keeps_turning() -> None:
    async def main() -> tuple[str, int]:
        thread = FrameThread()
        turns = 0
        done = asyncio.Event()

        async def count() -> None:
            nonlocal turns
            while not done.is_set():
                await asyncio.sleep(0.005)
                turns += 1

        counter = asyncio.create_task(count())
        got = await thread.run(_slow, 0.3, "detections")
        done.set()
        await counter
        return got, turns

    got, turns = asyncio.run(main())
    assert got == "detections"
    assert turns >= 20  # about 60 turns of 5 ms in 0.3 s; run on the loop it would be 1


def test_an_error_on_the_frame_thread_reaches_the_agent_as_itself() -> None:
    async def main() -> None:
        await FrameThread().run(_bad, b"x")

    with pytest.raises(FrameError, match="not base64"):
        asyncio.run(main())


def test_frames_on_the_frame_thread_run_one_at_a_time_in_order() -> None:
    async def main() -> list[str]:
        thread = FrameThread()
        order: list[str] = []

        def step(name: str) -> None:
            order.append(f"{name}+")
            time.sleep(0.02)
            order.append(f"{name}-")

        await asyncio.gather(*(thread.run(step, n) for n in "abc"))
        return order

    assert asyncio.run(main()) == ["a+", "a-", "b+", "b-", "c+", "c-"]

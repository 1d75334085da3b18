"""The thermal agent's frame thread: results and errors come back, and the event loop turns meanwhile."""

from __future__ import annotations

import asyncio
import threading
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
    """The call waits until the loop has turned five times: it can only return its result if the loop turns
    meanwhile (run on the loop itself it would time out), however loaded the machine is."""
    released = threading.Event()

    def waits_for_the_loop() -> str:
        return "detections" if released.wait(timeout=10.0) else "the loop stood still"

    async def main() -> str:
        thread = FrameThread()

        async def count() -> None:
            for _ in range(5):
                await asyncio.sleep(0.001)
            released.set()

        counter = asyncio.create_task(count())
        got = await thread.run(waits_for_the_loop)
        await counter
        return got

    assert asyncio.run(main()) == "detections"


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

"""The event loop of every long-running process: uvloop unless the settings say asyncio.

uvloop runs asyncio's interface on libuv, as Faust's own docs recommend;
the worker's event loop carries aiokafka's fetches and sends, Faust's
stream machinery and the agents, all on one core. `PATROL_EVENT_LOOP=asyncio`
keeps the standard loop for debugging or for platforms uvloop lacks.
"""

from __future__ import annotations

import asyncio

from core.settings import Settings


def use_event_loop(settings: Settings) -> str:
    """Make the loops this process creates from now on the configured kind; its name."""
    if settings.event_loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(None)
    return settings.event_loop

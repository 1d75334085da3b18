"""`patrol drill --phones`: the drill's teams through a console's team API.

Wires two packages that do not know each other: the console (started here,
in-process, on the drill's own topics, with one token per team of every
city of PATROL_CITIES, so each city's teams act on their own phones)
and the drill's gateway that sends each simulated reaction as a phone would.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from console.auth import add_token
from console.server import ConsoleRunner
from core.settings import Settings
from drill.phones import PhoneGateway
from geo.city import load_city
from pipeline.broker import free_port


@asynccontextmanager
async def console_phones(settings: Settings, bootstrap: str) -> AsyncIterator[PhoneGateway]:
    """A console on the run's topics and the gateway to its team API; the console stops after."""
    tokens_file = Path(tempfile.mkdtemp(prefix="patrol-phones-")) / "tokens.json"
    tokens = {team.team_id: add_token(tokens_file, "team", team_id=team.team_id, name=f"drill {team.team_id}")
              for folder in settings.centre_dirs.values() for team in load_city(folder).teams}
    port = free_port()
    runner = ConsoleRunner(replace(settings, tokens_file=tokens_file), bootstrap, host="127.0.0.1", port=port)
    await runner.start()
    state, phones = runner.service.state, runner.service.phones

    def seen(event_ids: Collection[str], tick: datetime) -> bool:
        return phones.caught_up.is_set() and state.now is not None and state.now >= tick and all(e in state.event_index for e in event_ids)

    try:
        async with PhoneGateway(f"http://127.0.0.1:{port}", tokens, seen) as gateway:
            yield gateway
    finally:
        await runner.stop()

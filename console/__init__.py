"""Dispatch console (operators, live over SSE) and patrol-team task API.

Layer 7, beside `drill` (imports `tools` and below). Both sit on the pipeline's topics: they read
`dispatch`, `team-status`, `conditions` and `clock`, and every action is a TaskAck on `task-acks`.
Its modules:

- `server`: the aiohttp app, its routes and `ConsoleRunner` (`patrol console`).
- `state`: `ConsoleState`, topic records folded into what operators see.
- `auth`: bearer tokens, hashed at rest (`patrol token`).
- `masking`: what a patrol team's phone may show about an incident.
- `kafka_io`: reading the view topics and writing task-acks.
- `centres`: `CentreKeys`, the dispatch centre (the Kafka key) of each record the console writes to a desk input.
- `calls`: call-taking and the needs-attention endpoints (`CallDesk`).
- `commands`: operators' and teams' commands to the desk and the desk's answers (`CommandDesk`).
- `attention`: the needs-attention queue, tips that could not be read (`AttentionQueue`).
- `outbox`: the console's own records besides task-acks: new tips, operators' decisions and commands (`OutboxScreens` starts an extension's outbox).
- `metrics`: the console's Prometheus page.
- `ledger_api`: `ledger_screens`, the person ledger's page and API (files, links, sweeps, reports), a console extension.
- `phone`: `TeamPhones`, the team page's side: actions applied once, fixes checked, tasks with `nav_links`.

Import the modules (`from console.server import ConsoleRunner`); this package file imports nothing.
"""

__all__ = ["attention", "auth", "calls", "centres", "commands", "kafka_io", "ledger_api", "masking", "metrics", "outbox", "phone", "server", "state"]

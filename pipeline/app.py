"""The Faust application factory: one app and its topics (agents register on it from above).

Input topics carry raw bytes (parsing is ours, so a bad payload is
dead-lettered with its original text). Every stage has `PATROL_PARTITIONS`
partitions; the desk's inputs are keyed by dispatch centre, so each centre has
one writer of its incident and team state, which keeps decisions
deterministic (`pipeline.partitioning`).
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import Any

import faust

from core import topics as names
from core.settings import Settings
from pipeline.kafka_compat import patch_faust_for_tansu
from pipeline.kafka_security import faust_credentials

log = logging.getLogger("patrol.app")


@dataclass
class Topics:
    """The app's topic objects by short name."""

    app: faust.App
    settings: Settings

    def __call__(self, name: str) -> Any:
        return self.many(name)

    def many(self, *shorts: str) -> Any:
        """One topic object over several topics of one partition count (an agent that reads them as one stream)."""
        counts = {self.settings.partitions if name in names.SCALED else 1 for name in shorts}
        if len(counts) != 1:
            raise ValueError(f"topics {', '.join(shorts)} have different partition counts")
        partitions = counts.pop()
        return self.app.topic(
            *(self.settings.topic(name) for name in shorts),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
            replicas=self.settings.replication,
        )


def broker_urls(bootstrap: str) -> list[str]:
    return [f"aiokafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def restore_log_level(level_name: str) -> None:
    """Undo the DEBUG root level Faust's worker sets for its startup spinner.

    At WARNING the worker lowers the root logger to DEBUG so that every record
    turns its terminal spinner; the handlers still drop everything below
    WARNING, but every `log.debug` in Faust and aiokafka (several per message)
    then builds a record for nothing: about 6% of the worker's time.
    """
    level = logging.getLevelName(level_name.upper())
    root = logging.getLogger()
    if isinstance(level, int) and root.level < level:
        root.setLevel(level)


def settle_heap() -> int:
    """Move every object alive now out of the collector's reach; the number moved.

    A worker holds some 300,000 long-lived objects (Faust, aiokafka, the
    city layers, recovered tables). Each full collection walked them all:
    a 100-130 ms stall of the one event loop, twice in a 4 s run at 500
    tips/s, which made most of the p99 tip-to-dispatch latency. Frozen
    objects are still freed when their last reference goes (a closed
    incident's state is); only reference cycles among them would outlive
    their use, and a collection runs first so that none are frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def state_table(state_id: str) -> type[faust.Table]:
    """Faust's table, its changelog named after PATROL_APP_ID rather than the app id (the stage set's group).

    A table belongs to one stage (the desk's incidents, the thermal trackers, the notices' threads), so a worker
    that runs only that stage recovers the very changelog a worker running every stage wrote: a deployment can
    split its stages, or join them again, without losing state.
    """

    class StateTable(faust.Table):  # type: ignore[misc]
        def _changelog_topic_name(self) -> str:
            return f"{state_id}-{self.name}-changelog"

    return StateTable


def create_app(settings: Settings, bootstrap: str) -> tuple[faust.App, Topics]:
    """Build the bare app; `agents.worker.build_worker_app` registers the agents on it."""
    patch_faust_for_tansu()
    app = faust.App(
        settings.group_id,
        Table=state_table(settings.app_id),
        broker=broker_urls(bootstrap),
        broker_credentials=faust_credentials(settings),
        store="memory://",
        autodiscover=False,
        datadir=str(settings.state_dir),
        topic_partitions=1,
        topic_replication_factor=settings.replication,
        processing_guarantee=settings.guarantee,
        web_enabled=True,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        broker_session_timeout=6.0,
        broker_heartbeat_interval=0.5,
        broker_rebalance_timeout=6.0,
        broker_request_timeout=30.0,
        broker_commit_interval=settings.commit_interval,
        consumer_auto_offset_reset="earliest",
        producer_linger_ms=1,
        stream_wait_empty=False,
        table_standby_replicas=0,
        logging_config=None,
    )
    topics = Topics(app, settings)

    async def _settle_heap(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        # Recovery is done: what the worker holds now stays for a long time.
        log.info("froze %d long-lived objects out of the garbage collector", settle_heap())

    app.on_rebalance_complete.connect(_settle_heap)

    @app.task
    async def _restore_log_level() -> None:
        # Runs once the worker has set up logging (and its spinner).
        restore_log_level(settings.log_level)

    return app, topics

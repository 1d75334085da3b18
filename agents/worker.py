"""The worker's app: the bare Faust app from `pipeline.app` with the agents of its stages (`PATROL_STAGES`) registered."""

from __future__ import annotations

import faust

from agents import desk, detections, health, intake, metrics, partners, reporters, thermal
from core.settings import Settings
from pipeline.app import create_app
from rules.context import Province


def build_worker_app(settings: Settings, province: Province, bootstrap: str) -> faust.App:
    """One app with the agents of the settings' stages, and the health and metrics pages in every worker.

    `intake`: the intake, detections and thermal agents; `desk`; `notify`: partner notices and reporter replies.
    Stages talk only through topics, so each runs alone as well as beside the others.

    Intake, detections and the desk route each record to its dispatch centre;
    partner notices go to the partners of the incident's centre, and a
    reporter's reply names the hotline of that centre's city; thermal trackers
    are kept per centre and camera.
    """
    app, topics = create_app(settings, bootstrap)
    stages = settings.stage_set
    if "intake" in stages:
        intake.register(app, topics, province)
        detections.register(app, topics, province)
        thermal.register(app, topics, province)
    if "desk" in stages:
        desk.register(app, topics, province)
    if "notify" in stages:
        partners.register(app, topics, province, exercise=settings.exercise)
        reporters.register(app, topics, province, exercise=settings.exercise)
    health.register(app)
    metrics.register(app, settings.topic_prefix)
    return app

"""The worker's app: the bare Faust app from `pipeline.app` with every agent registered."""

from __future__ import annotations

import faust

from agents import desk, detections, health, intake, metrics, partners, reporters, thermal
from core.settings import Settings
from pipeline.app import create_app
from rules.context import Province


def build_worker_app(settings: Settings, province: Province, bootstrap: str) -> faust.App:
    """One app with the intake, detections, thermal, desk, partner-notice, reporter-reply and health agents.

    Intake, detections and the desk route each record to its dispatch centre;
    partner notices go to the partners of the incident's centre, and a
    reporter's reply names the hotline of that centre's city; thermal trackers
    are kept per centre and camera.
    """
    app, topics = create_app(settings, bootstrap)
    intake.register(app, topics, province)
    detections.register(app, topics, province)
    thermal.register(app, topics, province)
    desk.register(app, topics, province)
    partners.register(app, topics, province, exercise=settings.exercise)
    reporters.register(app, topics, province, exercise=settings.exercise)
    health.register(app)
    metrics.register(app, settings.topic_prefix)
    return app

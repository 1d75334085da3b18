"""The worker's app: the bare Faust app from `pipeline.app` with every agent registered."""

from __future__ import annotations

import faust

from agents import desk, detections, health, intake, metrics, partners, reporters, thermal
from core.settings import Settings
from pipeline.app import create_app
from rules.context import Context


def build_worker_app(settings: Settings, ctx: Context, bootstrap: str) -> faust.App:
    """One app with the intake, detections, thermal, desk, partner-notice, reporter-reply and health agents."""
    app, topics = create_app(settings, bootstrap)
    intake.register(app, topics, ctx)
    detections.register(app, topics, ctx)
    thermal.register(app, topics, ctx)
    desk.register(app, topics, ctx)
    partners.register(app, topics, ctx, exercise=settings.exercise)
    reporters.register(app, topics, ctx, exercise=settings.exercise)
    health.register(app)
    metrics.register(app, settings.topic_prefix)
    return app

"""patrol: streaming alerting pipeline for winter street rescue."""

__version__ = "0.1.0"

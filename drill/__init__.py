"""Drills: a simulated night run through the real pipeline, scored against ground truth.

`drill.scoring` turns the run's outputs into measures; `drill.report` draws
them (imported on demand: it needs matplotlib).
"""

from drill.scoring import format_scores, score

__all__ = ["format_scores", "score"]

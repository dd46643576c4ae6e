"""Experiment tracking: runs, params, metrics by step, tags and artifacts.

See ``keel.tracking._writer`` for exactly what survives a killed process.
"""

from keel.tracking._lifecycle import (
    delete_experiment,
    delete_runs,
    gc,
    mark_dead_runs_killed,
    restore_experiment,
    restore_runs,
)
from keel.tracking._run import ActiveRun
from keel.tracking._tracker import GcReport, RunPage, Tracker

__all__ = [
    "ActiveRun",
    "GcReport",
    "RunPage",
    "Tracker",
    "delete_experiment",
    "delete_runs",
    "gc",
    "mark_dead_runs_killed",
    "restore_experiment",
    "restore_runs",
]

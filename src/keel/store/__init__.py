"""The only layer that touches SQL or the artifact filesystem."""

from keel.store._records import (
    RUN_STATUSES,
    ArtifactRecord,
    Experiment,
    MetricPoint,
    RunRecord,
    SnapshotRecord,
)
from keel.store._sql import SQLStore

__all__ = [
    "RUN_STATUSES",
    "ArtifactRecord",
    "Experiment",
    "MetricPoint",
    "RunRecord",
    "SQLStore",
    "SnapshotRecord",
]

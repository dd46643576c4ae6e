"""Plain, immutable records the store returns: what a run, experiment or metric point is."""

from __future__ import annotations

from dataclasses import dataclass, field

RUN_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True)
class Experiment:
    experiment_id: int
    name: str
    lifecycle: str
    created_at: float
    deleted_at: float | None = None


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: float


@dataclass(frozen=True)
class ArtifactRecord:
    run_id: str
    path: str
    digest: str
    size: int
    created_at: float


@dataclass(frozen=True)
class SnapshotRecord:
    """An immutable data snapshot: Parquet data and schema JSON in the artifact store.

    ``snapshot_id`` is the SHA-256 of the content hash and the schema, so the same data
    with the same schema always gets the same id.
    """

    snapshot_id: str
    content_hash: str
    data_digest: str
    schema_digest: str
    rows: int
    columns: int
    source: str | None
    created_at: float


@dataclass(frozen=True)
class RunRecord:
    """A run as stored: its attributes, params, tags and the latest value of each metric.

    ``metrics`` holds only the last point of each metric (highest step, then newest);
    read a full history with ``Workspace.get_metric_history``.
    """

    run_id: str
    experiment_id: int
    experiment: str
    name: str
    status: str
    start_time: float
    end_time: float | None = None
    parent_run_id: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    host: str | None = None
    pid: int | None = None
    pid_started: int | None = None
    user: str | None = None
    error: str | None = None
    lifecycle: str = "active"
    deleted_at: float | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.run_id

    @property
    def duration(self) -> float | None:
        return None if self.end_time is None else self.end_time - self.start_time

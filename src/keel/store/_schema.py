"""The metadata tables, in SQLAlchemy Core, shared by SQLite and PostgreSQL.

Migrations in ``store/migrations/versions`` create exactly these tables; a test compares
the two so they cannot drift apart.

NaN cannot be stored faithfully in SQLite (it reads back as NULL), so a metric value is
kept as ``value`` (NULL for NaN) plus ``is_nan``; infinities round-trip natively on both.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from keel.store._version import SCHEMA_VERSION as SCHEMA_VERSION

KEY_MAX = 250
NAME_MAX = 256
PATH_MAX = 1024

#: The table in which Alembic records keel's schema revision (see migrations/env.py).
VERSION_TABLE = "keel_alembic_version"

metadata = MetaData()

meta = Table(
    "keel_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_MAX), nullable=False, unique=True),
    Column("lifecycle", String(16), nullable=False, server_default="active"),
    Column("created_at", Float, nullable=False),
    Column("deleted_at", Float),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "experiment_id",
        Integer,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(NAME_MAX), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float),
    Column("parent_run_id", String(32)),
    Column("git_commit", String(64)),
    Column("git_dirty", Boolean),
    Column("host", String(NAME_MAX)),
    Column("pid", Integer),
    # The process start time (clock ticks since boot on Linux) guards against pid reuse.
    Column("pid_started", BigInteger),
    Column("user", String(NAME_MAX)),
    Column("error", Text),
    Column("lifecycle", String(16), nullable=False, server_default="active"),
    Column("deleted_at", Float),
    Index("ix_runs_experiment_start", "experiment_id", "lifecycle", "start_time"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_parent", "parent_run_id"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_MAX), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_params_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_MAX), primary_key=True),
    Column("value", Text, nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(KEY_MAX), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False),
    Index("ix_metrics_run_key_step", "run_id", "key", "step"),
)

# The last point of each metric of each run (highest step, then latest timestamp):
# search filters and sorts on this table and never scans the full history.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(KEY_MAX), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("value", Float),
    Column("is_nan", Boolean, nullable=False),
    Column("count", BigInteger, nullable=False),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(PATH_MAX), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_artifacts_digest", "digest"),
)

# Immutable data snapshots (Parquet + schema JSON in the artifact store), and which runs
# used which snapshot: the data half of a model's lineage.
data_snapshots = Table(
    "data_snapshots",
    metadata,
    Column("snapshot_id", String(64), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("data_digest", String(64), nullable=False),
    Column("schema_digest", String(64), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("columns", Integer, nullable=False),
    Column("source", Text),
    Column("created_at", Float, nullable=False),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "snapshot_id",
        String(64),
        ForeignKey("data_snapshots.snapshot_id"),
        primary_key=True,
    ),
    Column("role", String(32), primary_key=True),
    Index("ix_run_inputs_snapshot", "snapshot_id"),
)

# Per-entity recent rows for leakage-safe lag features (keel.features.StoreHistory), so
# serving replicas share one history and a restart loses nothing. ``seq`` orders the rows;
# ``event_time`` is float seconds since the epoch (NULL when the rows have no time column);
# ``values_json`` is a JSON list of the numeric values, in the history's column order.
feature_history = Table(
    "feature_history",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("name", String(NAME_MAX), nullable=False),
    Column("entity", String(KEY_MAX), nullable=False),
    Column("event_time", Float),
    Column("values_json", Text, nullable=False),
    Index("ix_feature_history_name_entity_seq", "name", "entity", "seq"),
)

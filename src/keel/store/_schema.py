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
    ForeignKeyConstraint,
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

# The model registry (keel.models.Registry). A version's number is never reused: deleting
# a version only marks it ``deleted`` (its package then becomes garbage for gc), so the
# alias history and lineage keep meaning what they said. ``tags_json`` holds a JSON
# object of strings, ``parents_json`` a JSON list of refs ("name/3").
registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(NAME_MAX), primary_key=True),
    Column("description", Text),
    Column("tags_json", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(NAME_MAX)),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(NAME_MAX), ForeignKey("registered_models.name"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("description", Text),
    Column("tags_json", Text, nullable=False),
    Column("package_digest", String(64), nullable=False),
    Column("package_size", BigInteger, nullable=False),
    Column("manifest_json", Text, nullable=False),
    Column("run_id", String(32)),
    Column("snapshot_id", String(64)),
    Column("git_commit", String(64)),
    Column("parents_json", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("created_by", String(NAME_MAX)),
    Index("ix_model_versions_run", "run_id"),
)

# Where each alias points now. ``revision`` counts its moves: a move updates the row only
# at the revision it read (under the row lock), so a lost update cannot go unnoticed.
model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", String(NAME_MAX), primary_key=True),
    Column("alias", String(NAME_MAX), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(NAME_MAX)),
    ForeignKeyConstraint(["name", "version"], ["model_versions.name", "model_versions.version"]),
    Index("ix_model_aliases_version", "name", "version"),
)

# Every alias change, append-only: never updated, never deleted. ``action`` is ``set``,
# ``remove`` or ``rollback``; ``revision`` is the alias row's revision after the change.
alias_events = Table(
    "alias_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("name", String(NAME_MAX), nullable=False),
    Column("alias", String(NAME_MAX), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_version", Integer),
    Column("to_version", Integer),
    Column("revision", Integer, nullable=False),
    Column("who", String(NAME_MAX)),
    Column("at", Float, nullable=False),
    Column("why", Text),
    Index("ix_alias_events_name_alias_seq", "name", "alias", "seq"),
)

# API tokens for the serving layer (keel tokens create). Only the SHA-256 digest of a token
# is kept; ``token_id`` is the digest's first 12 hex digits, so a server can name a token
# in its logs without a lookup and without ever writing the secret. ``role`` is
# ``reader``, ``deployer`` or ``admin``; times are float seconds since the epoch, NULL
# ``expires_at`` meaning never and NULL ``revoked_at`` meaning still valid.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("name", String(NAME_MAX)),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("revoked_at", Float),
)

# Deployments (keel.rollout): one row per named endpoint holding its current state as JSON
# (keel.rollout.DeploymentState). ``revision`` mirrors the state's revision: a writer updates
# the row only at the revision it read, so two controllers (or replicas) cannot both move
# a canary from the same step. ``model`` and ``status`` are copies for listing and filtering.
deployments = Table(
    "deployments",
    metadata,
    Column("name", String(NAME_MAX), primary_key=True),
    Column("model", String(NAME_MAX), nullable=False),
    Column("strategy", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("state_json", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Every change of a deployment, append-only: never updated, never deleted. ``kind`` is
# created, updated, switch, advance, promote, rollback, reweight or ended; ``actor`` cli,
# api or controller; ``evidence_json`` the statistics behind an automatic decision;
# ``state_json`` the state written by the change.
deployment_events = Table(
    "deployment_events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("deployment", String(NAME_MAX), nullable=False),
    Column("at", Float, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("actor", String(NAME_MAX), nullable=False),
    Column("reason", Text),
    Column("evidence_json", Text, nullable=False),
    Column("state_json", Text, nullable=False),
    Index("ix_deployment_events_deployment_seq", "deployment", "seq"),
)

# Per-version request counters of a deployment, summed across server replicas: each
# replica adds its increments (INSERT .. ON CONFLICT DO UPDATE SET value = value + new), so
# no replica needs to know the others. ``epoch`` is the state's epoch (a new trial starts
# from zero), ``minute`` is int(unix seconds // 60) for time series, ``counter`` a name
# from keel.serving's Tally (requests, errors, reward_sum, ...).
deployment_counts = Table(
    "deployment_counts",
    metadata,
    Column("deployment", String(NAME_MAX), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("minute", BigInteger, primary_key=True),
    Column("counter", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)

# Monitoring reports (keel.monitoring): one row per `keel monitor run`, newest id last.
# ``window_start``/``window_end`` are the window's first and last prediction times (float
# seconds since the epoch); ``metrics_json`` is the flat mapping alert rules read
# ({"drift.share": 0.2, ...}); ``report_json`` the whole report; ``html_digest`` the
# SHA-256 of its HTML report in the artifact store, when one was written.
monitor_reports = Table(
    "monitor_reports",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("model", String(NAME_MAX), nullable=False),
    Column("version", Integer),
    Column("window_start", Float),
    Column("window_end", Float),
    Column("rows", BigInteger, nullable=False),
    Column("metrics_json", Text, nullable=False),
    Column("report_json", Text, nullable=False),
    Column("html_digest", String(64)),
    Column("created_at", Float, nullable=False),
    Index("ix_monitor_reports_model_id", "model", "id"),
)

# Alerts fired by monitor runs, append-only. ``fingerprint`` identifies an alert across
# runs (model, rule, severity, sink): deduplication and cooldown look up its latest row.
# ``delivered`` is false when every attempt to send failed; ``payload_json`` is what was
# sent.
alert_events = Table(
    "alert_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("model", String(NAME_MAX), nullable=False),
    Column("rule", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("fired_at", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("report_id", BigInteger),
    Column("payload_json", Text, nullable=False),
    Column("delivered", Boolean, nullable=False),
    Index("ix_alert_events_fingerprint_id", "fingerprint", "id"),
)

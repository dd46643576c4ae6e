"""The first schema: experiments, runs, params, tags, metrics, latest metrics, artifacts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _run_id(primary_key: bool = True) -> sa.Column:
    return sa.Column(
        "run_id",
        sa.String(32),
        sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "keel_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False, unique=True),
        sa.Column("lifecycle", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float),
        sa.Column("parent_run_id", sa.String(32)),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("git_dirty", sa.Boolean),
        sa.Column("host", sa.String(256)),
        sa.Column("pid", sa.Integer),
        sa.Column("pid_started", sa.BigInteger),
        sa.Column("user", sa.String(256)),
        sa.Column("error", sa.Text),
        sa.Column("lifecycle", sa.String(16), nullable=False, server_default="active"),
        sa.Column("deleted_at", sa.Float),
    )
    op.create_index(
        "ix_runs_experiment_start", "runs", ["experiment_id", "lifecycle", "start_time"]
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_parent", "runs", ["parent_run_id"])
    op.create_table(
        "params",
        _run_id(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_params_key_value", "params", ["key", "value"])
    op.create_table(
        "tags",
        _run_id(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "metrics",
        _run_id(primary_key=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("is_nan", sa.Boolean, nullable=False),
    )
    op.create_index("ix_metrics_run_key_step", "metrics", ["run_id", "key", "step"])
    op.create_table(
        "latest_metrics",
        _run_id(),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "artifacts",
        _run_id(),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_artifacts_digest", "artifacts", ["digest"])


def downgrade() -> None:
    for table in ("artifacts", "latest_metrics", "metrics", "tags", "params", "runs"):
        op.drop_table(table)
    op.drop_table("experiments")
    op.drop_table("keel_meta")

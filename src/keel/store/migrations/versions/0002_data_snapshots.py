"""Data snapshots and the runs that used them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_snapshots",
        sa.Column("snapshot_id", sa.String(64), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("data_digest", sa.String(64), nullable=False),
        sa.Column("schema_digest", sa.String(64), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("columns", sa.Integer, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "run_inputs",
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "snapshot_id",
            sa.String(64),
            sa.ForeignKey("data_snapshots.snapshot_id"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(32), primary_key=True),
    )
    op.create_index("ix_run_inputs_snapshot", "run_inputs", ["snapshot_id"])


def downgrade() -> None:
    op.drop_table("run_inputs")
    op.drop_table("data_snapshots")

"""Deployments (keel.rollout): their state, their append-only event log, their counters.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("strategy", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "deployment_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("deployment", sa.String(256), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("evidence_json", sa.Text, nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_deployment_events_deployment_seq", "deployment_events", ["deployment", "seq"]
    )
    op.create_table(
        "deployment_counts",
        sa.Column("deployment", sa.String(256), primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("minute", sa.BigInteger, primary_key=True),
        sa.Column("counter", sa.String(64), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deployment_counts")
    op.drop_index("ix_deployment_events_deployment_seq", "deployment_events")
    op.drop_table("deployment_events")
    op.drop_table("deployments")

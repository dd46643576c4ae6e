"""Monitoring (keel.monitoring): stored monitor reports and the alert events they fired.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    op.create_table(
        "monitor_reports",
        _id(),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("window_start", sa.Float),
        sa.Column("window_end", sa.Float),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("metrics_json", sa.Text, nullable=False),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("html_digest", sa.String(64)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_monitor_reports_model_id", "monitor_reports", ["model", "id"])
    op.create_table(
        "alert_events",
        _id(),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("fired_at", sa.Float, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("report_id", sa.BigInteger),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
    )
    op.create_index("ix_alert_events_fingerprint_id", "alert_events", ["fingerprint", "id"])


def downgrade() -> None:
    op.drop_index("ix_alert_events_fingerprint_id", "alert_events")
    op.drop_table("alert_events")
    op.drop_index("ix_monitor_reports_model_id", "monitor_reports")
    op.drop_table("monitor_reports")

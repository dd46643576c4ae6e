"""Per-entity recent rows for lag features (keel.features.StoreHistory).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_history",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("entity", sa.String(250), nullable=False),
        sa.Column("event_time", sa.Float),
        sa.Column("values_json", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_feature_history_name_entity_seq", "feature_history", ["name", "entity", "seq"]
    )


def downgrade() -> None:
    op.drop_table("feature_history")

"""The model registry: registered models, their versions, aliases and the alias history.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
    )
    op.create_table(
        "model_versions",
        sa.Column(
            "name", sa.String(256), sa.ForeignKey("registered_models.name"), primary_key=True
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("tags_json", sa.Text, nullable=False),
        sa.Column("package_digest", sa.String(64), nullable=False),
        sa.Column("package_size", sa.BigInteger, nullable=False),
        sa.Column("manifest_json", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("snapshot_id", sa.String(64)),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("parents_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(256)),
    )
    op.create_index("ix_model_versions_run", "model_versions", ["run_id"])
    op.create_table(
        "model_aliases",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("alias", sa.String(256), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(256)),
        sa.ForeignKeyConstraint(
            ["name", "version"], ["model_versions.name", "model_versions.version"]
        ),
    )
    op.create_index("ix_model_aliases_version", "model_aliases", ["name", "version"])
    op.create_table(
        "alias_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_version", sa.Integer),
        sa.Column("to_version", sa.Integer),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("who", sa.String(256)),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("why", sa.Text),
    )
    op.create_index("ix_alias_events_name_alias_seq", "alias_events", ["name", "alias", "seq"])


def downgrade() -> None:
    op.drop_table("alias_events")
    op.drop_table("model_aliases")
    op.drop_table("model_versions")
    op.drop_table("registered_models")

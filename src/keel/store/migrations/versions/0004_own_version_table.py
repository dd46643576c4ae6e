"""keel records its revision in its own table, keel_alembic_version (Optuna uses
alembic_version in the same database). The move itself happens before Alembic runs (see
keel.store._migrate); this revision marks stores that have it.

Revision ID: 0004
Revises: 0003
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

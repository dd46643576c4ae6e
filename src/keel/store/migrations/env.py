"""Alembic environment: keel always runs migrations on a connection it opened itself.

keel records its revision in ``keel_alembic_version``, not Alembic's default
``alembic_version``: Optuna keeps its studies in the same database and versions its own
tables with Alembic under the default name.
"""

from alembic import context

from keel.store._schema import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: keel always runs migrations on a connection it opened itself."""

from alembic import context

from keel.store._schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

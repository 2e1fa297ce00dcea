"""Alembic environment of the control-plane store, configured programmatically by ``connector.store.migrate``
(no alembic.ini): the caller passes an open connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from connector.store.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only ``connector.store.migrate`` runs this environment
    raise RuntimeError("run the store migrations through connector.store.migrate.upgrade(url)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things: copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

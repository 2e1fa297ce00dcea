"""Versioned migrations: a new database reaches head on SQLite and PostgreSQL, upgrading again is a no-op, and the
migrated schema is exactly the one the ORM models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from connector.identity import ReplayStore
from connector.identity.storage import make_engine
from connector.store import Base, current_revision, head_revision, upgrade

TABLES = {"negotiations", "agreements", "transfers", "messages_seen", "identity_seen_tokens", "alembic_version",
          "datasets", "offers"}


def test_a_new_database_is_migrated_to_head(database_url):
    assert head_revision() == "0002"
    assert current_revision(database_url) is None
    assert upgrade(database_url) == head_revision()
    assert current_revision(database_url) == head_revision()
    engine = make_engine(database_url)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == TABLES
        columns = {column["name"] for column in inspector.get_columns("negotiations")}
        assert {"provider_pid", "consumer_pid", "intent", "lease_owner", "lease_expires_at", "version"} <= columns
        with engine.connect() as connection:
            ignored = {"identity_seen_tokens", "alembic_version"}
            diff = [d for d in compare_metadata(MigrationContext.configure(connection), Base.metadata)
                    if not (d[0] == "remove_table" and d[1].name in ignored)
                    and not (d[0] == "remove_index" and d[1].table.name in ignored)]
        assert diff == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(database_url):
    upgrade(database_url)
    assert upgrade(database_url) == head_revision()
    assert current_revision(database_url) == head_revision()


def test_the_replay_table_is_adopted_when_the_identity_layer_created_it_first(database_url):
    engine = make_engine(database_url)
    try:
        store = ReplayStore(engine)
        assert store.remember("did:web:issuer.example", "jti-1", 2e9)
        assert upgrade(engine) == head_revision()
        assert not store.remember("did:web:issuer.example", "jti-1", 2e9)  # the row survived
    finally:
        engine.dispose()

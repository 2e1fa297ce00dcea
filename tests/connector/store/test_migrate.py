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
          "datasets", "offers", "audit_records", "audit_head", "edr_grants", "agreement_usage", "received_copies",
          "data_pushes", "plan_runs", "plan_items"}


def test_a_new_database_is_migrated_to_head(database_url):
    assert head_revision() == "0007"
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


def test_downgrade_one_step_then_upgrade_again(database_url):
    from connector.store.migrate import downgrade

    upgrade(database_url)
    assert downgrade(database_url, "-1") == "0006"
    engine = make_engine(database_url)
    try:
        assert not {"plan_runs", "plan_items"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert downgrade(database_url, "-1") == "0005"
    engine = make_engine(database_url)
    try:
        assert {"received_copies"} <= set(inspect(engine).get_table_names())
        assert "data_pushes" not in set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert downgrade(database_url, "-1") == "0004"
    assert downgrade(database_url, "-1") == "0003"
    assert downgrade(database_url, "-1") == "0002"
    engine = make_engine(database_url)
    try:
        assert not {"edr_grants", "agreement_usage", "received_copies"} & set(inspect(engine).get_table_names())
        assert not {"audit_records", "audit_head"} & set(inspect(engine).get_table_names())
        assert downgrade(engine, "-1") == "0001"
        assert not {"datasets", "offers"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert upgrade(database_url) == head_revision()


def test_jnt_db_commands(tmp_path):
    from typer.testing import CliRunner

    from connector.cli import app

    runner = CliRunner()
    data_dir = str(tmp_path / "participant")
    (tmp_path / "participant").mkdir()
    shown = runner.invoke(app, ["--lang", "en", "db", "current", "--data-dir", data_dir])
    assert shown.exit_code == 0, shown.output
    assert "none (empty)" in shown.output and "jnt db upgrade" in shown.output
    done = runner.invoke(app, ["--lang", "en", "db", "upgrade", "--data-dir", data_dir])
    assert done.exit_code == 0 and f"empty → {head_revision()}" in done.output, done.output
    again = runner.invoke(app, ["db", "upgrade", "--data-dir", data_dir])
    assert again.exit_code == 0 and "déjà à jour" in again.output, again.output
    back = runner.invoke(app, ["--lang", "en", "db", "downgrade", "--data-dir", data_dir])
    assert back.exit_code == 0 and "revision: 0006" in back.output, back.output
    broken = runner.invoke(app, ["--lang", "en", "db", "current", "--database-url",
                                 "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert broken.exit_code == 1 and "database unreachable" in broken.output, broken.output

"""Versioned schema migrations of the store (Alembic, configured in code: no alembic.ini). The scripts live in
``connector/store/migrations`` inside the package, so an installed wheel can migrate its own database.

    upgrade(settings.effective_database_url())   # what `jnt db upgrade` calls
"""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from connector.identity.storage import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's environment is module-level state (the `context` and `op` proxies): two migrations run at once from
# threads of one process (a multi-tenant host starting its connectors) would trample each other.
_ALEMBIC = threading.Lock()


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _engine(target: str | Engine) -> tuple[Engine, bool]:
    return (target, False) if isinstance(target, Engine) else (make_engine(target), True)


def upgrade(target: str | Engine, revision: str = "head") -> str | None:
    """Bring the database (a URL or an engine) to `revision` (default: the newest); a no-op when it is there
    already. Returns the revision reached."""
    engine, owned = _engine(target)
    try:
        with _ALEMBIC, engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return current_revision(engine)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: str | Engine, revision: str) -> str | None:
    """Take the database back to `revision` (``-1``: one step; ``base``: empty). Returns the revision reached."""
    engine, owned = _engine(target)
    try:
        with _ALEMBIC, engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
        return current_revision(engine)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: str | Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()

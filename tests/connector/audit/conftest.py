"""Audit-log fixtures: a fresh database on SQLite (a file) and on PostgreSQL (a schema of its own in the shared
`test` database, dropped afterwards), migrated to head; a participant with real encrypted keys; and `tamper`, the
way an attacker with database access edits the log — with the append-only triggers out of the way."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, Engine, text

from connector.audit import AuditLog
from connector.identity import Participant
from connector.identity.storage import make_engine
from connector.store import upgrade

from .helpers import DID, PASS, POSTGRES

SQLITE_TRIGGERS = ("audit_records_no_update", "audit_records_no_delete", "audit_records_next", "audit_head_no_delete",
                   "audit_head_forward")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'jnt.sqlite'}"
        return
    schema = f"jnt_audit_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def participant(tmp_path) -> Participant:
    return Participant.init(tmp_path / "participant", DID, PASS)


@pytest.fixture
def log(engine, participant) -> AuditLog:
    return AuditLog(engine, participant.keys, participant.did)


@contextmanager
def _tampering(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for trigger in SQLITE_TRIGGERS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        else:
            # Ordinary triggers do not fire for a replication session (superuser only, as an attacker would be).
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield connection


@pytest.fixture
def tamper(engine) -> Callable[..., None]:
    """tamper("UPDATE audit_records SET ... WHERE seq = :seq", seq=3): raw SQL, triggers disabled."""

    def run(*statements: str, **params: object) -> None:
        with _tampering(engine) as connection:
            for statement in statements:
                connection.execute(text(statement), params)

    return run
